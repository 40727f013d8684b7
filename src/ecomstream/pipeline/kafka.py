"""The pipeline over Kafka: sources -> producer -> topic -> worker(s) -> store.

`produce` is the `produce` command's work; `run_kafka_pipeline` runs a producer thread
and one worker in this process (for `demo --bus kafka://...`), until finite sources are
produced and committed, or `stop` is set.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ecomstream.bus.config import client_settings
from ecomstream.bus.kafka import EventProducer, ensure_topic
from ecomstream.bus.worker import KafkaWorker, WorkerSettings
from ecomstream.pipeline.embedded import SourceSpec, source_batches
from ecomstream.processor.loop import ProcessorSettings, RunStats
from ecomstream.store.base import Store

PACED_LINGER_MS = 5


@dataclass(slots=True)
class ProduceResult:
    """What a producer run sent, and what did not make it."""

    sent: int = 0
    failed: int = 0
    partitions: int = 0
    errors: list[str] = field(default_factory=list)


def produce(
    client: dict[str, Any],
    topic: str,
    spec: SourceSpec,
    partitions: int = 6,
    stop: threading.Event | None = None,
    flush_timeout: float = 300.0,
) -> ProduceResult:
    """Send every event of `spec` to `topic` (created if missing); wait for delivery."""
    stop = stop or threading.Event()
    if not spec.pace.unlimited:
        # A paced stream is about latency, not batch size: do not hold messages back long.
        client = {"linger.ms": PACED_LINGER_MS, **client}
    producer = EventProducer.for_topic(client, topic, partitions)
    result = ProduceResult(partitions=producer.pins.partitions)
    try:
        for batch in source_batches(spec, {}):
            if stop.is_set():
                break
            producer.send(batch)
    finally:
        result.failed = producer.finish(flush_timeout)
        result.sent = producer.sent
        result.errors = list(producer.delivery.errors)
        if result.failed > producer.delivery.failed:
            result.errors.append(f"{result.failed - producer.delivery.failed} still undelivered after {flush_timeout}s")
    return result


def run_kafka_pipeline(
    bus_url: str,
    topic: str,
    group: str,
    store: Store,
    spec: SourceSpec,
    settings: ProcessorSettings | None = None,
    *,
    partitions: int = 6,
    kafka_config: dict[str, str] | None = None,
    stop: threading.Event | None = None,
    idle_s: float = 2.0,
) -> tuple[ProduceResult, RunStats]:
    """Produce `spec` to `topic` and consume it into `store` with one in-process worker.

    Ends when the producer is done and the topic is committed (finite sources), or when
    `stop` is set (the generator without `--limit`).
    """
    stop = stop or threading.Event()
    client = {**client_settings(bus_url), **(kafka_config or {})}
    ensure_topic(client, topic, partitions)
    produced = ProduceResult()
    failure: list[BaseException] = []
    producing = threading.Event()
    producing.set()

    def feed() -> None:
        try:
            result = produce(client, topic, spec, partitions, stop=stop)
            produced.sent, produced.failed = result.sent, result.failed
            produced.partitions, produced.errors = result.partitions, result.errors
        except BaseException as err:  # handed to the calling thread
            failure.append(err)
            stop.set()
        finally:
            producing.clear()

    feeder = threading.Thread(target=feed, name="ecomstream-producer", daemon=True)
    feeder.start()
    worker = KafkaWorker(store, client, WorkerSettings(topic, group, exit_when_idle_s=idle_s), settings)
    worker.may_exit = lambda: not producing.is_set()
    try:
        stats = worker.run(stop)
    finally:
        stop.set()
        feeder.join(timeout=10)
    if failure:
        raise failure[0]
    return produced, stats


class KafkaPipeline:
    """`run_kafka_pipeline` behind the interface of `EmbeddedPipeline` (`run()`, `stop`,
    `stats`), so `demo --bus kafka://...` serves the dashboard the same way."""

    def __init__(self, bus_url: str, topic: str, group: str, store: Store, spec: SourceSpec,
                 settings: ProcessorSettings | None = None) -> None:  # fmt: skip
        self.bus_url, self.topic, self.group = bus_url, topic, group
        self.store, self.spec, self.settings = store, spec, settings
        self.stop = threading.Event()
        self.stats = RunStats()

    def run(self) -> RunStats:
        _, self.stats = run_kafka_pipeline(
            self.bus_url, self.topic, self.group, self.store, self.spec, self.settings, stop=self.stop
        )
        return self.stats
