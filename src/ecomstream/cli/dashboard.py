"""`ecomstream dashboard` (the page alone, on a store others fill) and `ecomstream demo` (everything)."""

from __future__ import annotations

import importlib.util

import click

from ecomstream.cli.options import dashboard_options, option, store_option
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
    with open_store(store, create=False) as opened:  # fails early, with a clear message, on a bad store
        url = opened.url
    serve(open_server(DashboardSettings(url, host, port, token, refresh_ms)))


@click.command("demo")
@source_options(time_default="now")
@processor_options
@store_option
@dashboard_options
@option("--bus", env="BUS", default="memory",
        help="memory (in-process), or kafka://HOST:PORT to go through a Kafka topic.")  # fmt: skip
@option("--topic", env="TOPIC", default="ecomstream-events", help="Kafka topic (with --bus kafka://...).")
@option("--group", env="GROUP", default="ecomstream", help="Kafka consumer group (with --bus kafka://...).")
def demo_command(sources, rate, speed, time_mode, seed, limit, batch_size, batch_wait_ms, lateness, store, host,
                 port, token, refresh_ms, bus, topic, group) -> None:  # fmt: skip
    """Everything in one process: generator (or --source FILE) -> memory bus -> processor ->
    store -> dashboard. Ctrl-C stops it; started again, it continues with the stored history.
    With --bus kafka://HOST:PORT the events go through a Kafka topic and a consumer-group worker.
    """
    if not sources and importlib.util.find_spec("ecomstream.sources.synthetic") is None:
        msg = "the synthetic generator is not in this build yet; replay a file: ecomstream demo --source FILE"
        raise ConfigError(msg)
    if not rate and not speed:
        rate = DEMO_RATE
    spec = make_spec(sources, rate, speed, time_mode, seed, limit)
    settings = ProcessorSettings(max_rows=batch_size, max_wait_ms=batch_wait_ms, lateness_s=lateness)
    if bus != "memory" and not bus.startswith("kafka://"):
        raise click.BadParameter(f"{bus!r}: use memory or kafka://HOST:PORT", param_hint="--bus")
    with open_store(store) as opened:
        if bus == "memory":
            pipeline = EmbeddedPipeline(opened, spec, settings)
        else:
            from ecomstream.pipeline.kafka import KafkaPipeline

            pipeline = KafkaPipeline(bus, topic, group, opened, spec, settings)
        serve(open_server(DashboardSettings(opened.url, host, port, token, refresh_ms)), pipeline)
