"""Shared command-line options; every one falls back to an `ECOMSTREAM_*` variable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

DEFAULT_STORE = "sqlite:///data/ecomstream.db"


def option(*names: str, env: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A click option whose `--help` shows its environment fallback `ECOMSTREAM_<env>`."""
    return click.option(*names, envvar=f"ECOMSTREAM_{env}", show_envvar=True, show_default=True, **kwargs)


store_option = option(
    "--store",
    env="STORE",
    default=DEFAULT_STORE,
    help="Where metrics are kept: sqlite:///PATH or postgresql://USER@HOST:PORT/DB.",
)
