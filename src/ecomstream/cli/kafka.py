"""`ecomstream produce` and `ecomstream process`: the pipeline split over Kafka."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from pathlib import Path

import click

from ecomstream.cli.options import option, stacked, store_option
from ecomstream.cli.run import make_spec, processor_options, source_options
from ecomstream.processor.loop import ProcessorSettings
from ecomstream.store import open_store


def kafka_options(command):
    """Where the broker is and how to talk to it, shared by the Kafka commands."""
    decorators = [
        option("--bus", env="BUS", required=True, help="Kafka brokers: kafka://HOST:PORT[,HOST:PORT]."),
        option("--topic", env="TOPIC", default="ecomstream.events", help="Topic of the events."),
        option("--kafka-config", "kafka_config", env="KAFKA_CONFIG", multiple=True, metavar="KEY=VALUE",
               help="A Kafka client setting (security.protocol, sasl.*, ssl.*...); repeatable. "
               "ECOMSTREAM_KAFKA_<KEY> variables work too (ECOMSTREAM_KAFKA_SASL_MECHANISM=PLAIN)."),
        option("--kafka-config-file", env="KAFKA_CONFIG_FILE", default=None,
               type=click.Path(exists=True, dir_okay=False, path_type=Path),
               help="File of KEY=VALUE Kafka client settings, one a line."),
    ]  # fmt: skip
    return stacked(command, decorators)


@click.command("produce")
@source_options
@kafka_options
@option("--partitions", env="PARTITIONS", type=click.IntRange(min=1), default=6,
        help="Partitions of the topic when it has to be created.")  # fmt: skip
@option("--flush-timeout", env="FLUSH_TIMEOUT", type=click.FloatRange(min=0), default=300.0,
        help="Seconds to wait at the end for every delivery.")  # fmt: skip
@option("--quiet", env="QUIET", is_flag=True, help="No summary line.")
def produce_command(sources, rate, speed, time_mode, seed, limit, bus, topic, kafka_config, kafka_config_file,
                    partitions, flush_timeout, quiet) -> None:  # fmt: skip
    """Send events to a Kafka topic: one JSON message per event, keyed by user.

    The topic is created with --partitions partitions if missing. Exits 1 if some event
    could not be delivered (they are counted and the first errors printed).
    """
    from ecomstream.bus.config import client_settings
    from ecomstream.pipeline.kafka import produce

    spec = make_spec(sources, rate, speed, time_mode, seed, limit)
    client = client_settings(bus, kafka_config, kafka_config_file)
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    started = time.monotonic()
    try:
        result = produce(client, topic, spec, partitions, stop=stop, flush_timeout=flush_timeout)
    finally:
        signal.signal(signal.SIGINT, previous)
    seconds = time.monotonic() - started
    if not quiet:
        click.echo(
            f"produced {result.sent:,} events to {topic} ({result.partitions} partitions) in {seconds:.1f}s "
            f"({result.sent / max(seconds, 1e-9):,.0f}/s); {result.failed:,} not delivered",
            err=True,
        )
    if result.failed:
        for error in result.errors:
            click.echo(f"delivery failed: {error}", err=True)
        click.echo(f"error: {result.failed:,} events were not delivered to {topic}; run produce again "
                   "(events already delivered are counted once)", err=True)  # fmt: skip
        sys.exit(1)


@click.command("process")
@kafka_options
@option("--group", env="GROUP", default="ecomstream", help="Consumer group; workers of one group share partitions.")
@store_option
@processor_options
@option("--dlq-topic", env="DLQ_TOPIC", default=None, help="Dead-letter topic (default: <topic>.dlq).")
@option("--exit-when-idle", env="EXIT_WHEN_IDLE", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
        help="Stop once the whole topic is committed and nothing arrived for SECONDS.")  # fmt: skip
@option("--worker", "worker_name", env="WORKER", default=None, help="Name in the workers table (default host-pid).")
@option("--session-timeout-ms", env="SESSION_TIMEOUT_MS", type=click.IntRange(min=1000), default=None,
        help="Consumer-group session timeout: how soon a dead worker's partitions move on.")  # fmt: skip
@option("--quiet", env="QUIET", is_flag=True, help="No summary line.")
def process_command(bus, topic, kafka_config, kafka_config_file, group, store, batch_size, batch_wait_ms, lateness,
                    dlq_topic, exit_when_idle, worker_name, session_timeout_ms, quiet) -> None:  # fmt: skip
    """Run a worker of a consumer group: topic -> metrics in the store.

    Offsets are committed in the store with the metrics, so any number of workers can
    stop, crash and restart: every event counts once. Bad messages go to the dead-letter
    topic and the store's rejects.
    """
    from ecomstream.bus.config import client_settings
    from ecomstream.bus.worker import KafkaWorker, WorkerSettings, default_worker_name

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    client = client_settings(bus, kafka_config, kafka_config_file)
    settings = WorkerSettings(topic, group, dlq_topic, exit_when_idle, session_timeout_ms)
    processing = ProcessorSettings(max_rows=batch_size, max_wait_ms=batch_wait_ms, lateness_s=lateness,
                                   worker=worker_name or default_worker_name())  # fmt: skip
    stop = threading.Event()
    handlers = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with open_store(store) as opened:
            stats = KafkaWorker(opened, client, settings, processing).run(stop)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    if not quiet:
        click.echo(f"worker {processing.worker}: {stats.accepted:,} accepted, {stats.rejected:,} rejected, "
                   f"{stats.duplicates:,} duplicates dropped, {stats.commits:,} commits", err=True)  # fmt: skip
