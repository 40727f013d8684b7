"""`ecomstream dashboard` (the page alone, on a store others fill) and `ecomstream demo` (everything)."""

from __future__ import annotations

import importlib.util

import click

from ecomstream.cli.options import dashboard_options, store_option
from ecomstream.cli.run import make_spec, processor_options, source_options
from ecomstream.cli.serve import open_server, serve
from ecomstream.dashboard.settings import DashboardSettings
from ecomstream.errors import ConfigError
from ecomstream.pipeline.embedded import EmbeddedPipeline
from ecomstream.processor.loop import ProcessorSettings
from ecomstream.store import open_store

DEMO_RATE = 1_000.0
"""Events per second of `demo` when neither --rate nor --speed is given."""


@click.command("dashboard")
@store_option
@dashboard_options
def dashboard_command(store: str, host: str, port: int, token: str | None, refresh_ms: int) -> None:
    """Serve the live dashboard and the JSON API for a store that other processes fill."""
    with open_store(store) as opened:  # fails early, with a clear message, on a bad store
        url = opened.url
    serve(open_server(DashboardSettings(url, host, port, token, refresh_ms)))


@click.command("demo")
@source_options(time_default="now")
@processor_options
@store_option
@dashboard_options
def demo_command(sources, rate, speed, time_mode, seed, limit, batch_size, batch_wait_ms, lateness, store, host,
                 port, token, refresh_ms) -> None:  # fmt: skip
    """Everything in one process: generator (or --source FILE) -> memory bus -> processor ->
    store -> dashboard. Ctrl-C stops it; started again, it continues with the stored history.
    """
    if not sources and importlib.util.find_spec("ecomstream.sources.synthetic") is None:
        msg = "the synthetic generator is not in this build yet; replay a file: ecomstream demo --source FILE"
        raise ConfigError(msg)
    if not rate and not speed:
        rate = DEMO_RATE
    spec = make_spec(sources, rate, speed, time_mode, seed, limit)
    settings = ProcessorSettings(max_rows=batch_size, max_wait_ms=batch_wait_ms, lateness_s=lateness)
    with open_store(store) as opened:
        pipeline = EmbeddedPipeline(opened, spec, settings)
        serve(open_server(DashboardSettings(opened.url, host, port, token, refresh_ms)), pipeline)
