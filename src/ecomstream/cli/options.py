"""Shared command-line options; every one falls back to an `ECOMSTREAM_*` variable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

DEFAULT_STORE = "sqlite:///data/ecomstream.db"


def option(*names: str, env: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A click option whose `--help` shows its environment fallback `ECOMSTREAM_<env>`."""
    kwargs.setdefault("show_default", True)
    return click.option(*names, envvar=f"ECOMSTREAM_{env}", show_envvar=True, **kwargs)


def stacked(command: Callable[..., Any], decorators: list[Callable[..., Any]]) -> Callable[..., Any]:
    """Apply option decorators so that `--help` lists them in the order given."""
    for decorate in reversed(decorators):
        command = decorate(command)
    return command


store_option = option(
    "--store",
    env="STORE",
    default=DEFAULT_STORE,
    help="Where metrics are kept: sqlite:///PATH or postgresql://USER@HOST:PORT/DB.",
)


def dashboard_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Where and how the dashboard serves: --host, --port, --token, --refresh-ms."""
    decorators = [
        option("--host", env="HOST", default="127.0.0.1",
               help="Address to serve on; 0.0.0.0 opens it to the network (set a token then)."),
        option("--port", env="PORT", type=click.IntRange(0, 65535), default=8050,
               help="Port to serve on; 0 picks a free one (the URL is printed)."),
        option("--token", env="TOKEN", default=None, show_default=False,
               help="Access token required by the page and the API (prefer the variable: "
               "arguments show in the process list)."),
        option("--refresh-ms", env="REFRESH_MS", type=click.IntRange(min=100), default=1000,
               help="How often the page refreshes, in milliseconds."),
    ]  # fmt: skip
    return stacked(command, decorators)
