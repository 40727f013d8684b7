"""Kafka clients of ecomstream: topic creation, the event producer, the dead-letter sender.

The producer is idempotent with `acks=all`, so a retried send is written once and a
partition keeps its order. Delivery failures are counted and kept (first few messages),
never dropped silently: `EventProducer.finish` says how many events did not make it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from ecomstream.bus.config import producer_settings
from ecomstream.bus.messages import EventEncoder
from ecomstream.bus.partitioning import REGISTRY_CONFIG, SourcePartitions, partition_of, registry_topic
from ecomstream.errors import BusError
from ecomstream.events.raw import RawBatch
from ecomstream.processor.kafka import DeadLetter

KEPT_ERRORS = 20
"""Delivery errors kept verbatim for the final message."""


def ensure_topic(
    settings: dict[str, Any], topic: str, partitions: int, timeout: float = 30, config: dict[str, str] | None = None
) -> int:
    """Create `topic` with `partitions` partitions (and topic `config`) unless it exists;
    its partition count."""
    admin = AdminClient(settings)
    found = _partition_count(admin, topic, timeout, settings)
    if found:
        return found
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=-1, config=config or {})]
    )
    try:
        futures[topic].result(timeout=timeout)
    except KafkaException as err:
        if err.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            msg = f"cannot create topic {topic!r} with {partitions} partitions: {err.args[0].str()}"
            raise BusError(msg) from err
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _partition_count(admin, topic, timeout, settings)
        if found:
            return found
        time.sleep(0.1)
    msg = f"topic {topic!r} was created but its metadata did not show up within {timeout:.0f}s"
    raise BusError(msg)


def _partition_count(admin: AdminClient, topic: str, timeout: float, settings: dict[str, Any]) -> int:
    try:
        return partition_counts(admin, [topic], timeout)[topic]
    except KafkaException as err:
        servers = settings.get("bootstrap.servers")
        msg = f"cannot reach the Kafka brokers {servers}: {err.args[0].str()}; is the broker up and --bus right?"
        raise BusError(msg) from err


def partition_counts(admin: AdminClient, topics: list[str], timeout: float = 30) -> dict[str, int]:
    """Partitions of each topic as the brokers see it now (0 for a topic that does not exist)."""
    metadata = admin.list_topics(timeout=timeout)
    counts = {}
    for topic in topics:
        found = metadata.topics.get(topic)
        counts[topic] = 0 if found is None or found.error is not None else len(found.partitions)
    return counts


@dataclass(slots=True)
class DeliveryLog:
    """Failed deliveries of a producer: counted, the first few kept."""

    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __call__(self, err: KafkaError | None, msg: Any) -> None:
        if err is None:
            return
        self.failed += 1
        if len(self.errors) < KEPT_ERRORS:
            where = f"{msg.topic()}[{msg.partition()}]" if msg is not None else "?"
            self.errors.append(f"{where}: {err.str()}")

    def add(self, error: str) -> None:
        self.failed += 1
        if len(self.errors) < KEPT_ERRORS:
            self.errors.append(error)


class EventProducer:
    """Sends raw batches as one JSON message per event, keyed by user, each source over
    the partitions it was first produced to (`bus.partitioning`)."""

    def __init__(self, settings: dict[str, Any], topic: str, pins: SourcePartitions) -> None:
        self.topic = topic
        self.pins = pins
        self.delivery = DeliveryLog()
        self.sent = 0
        self.encoder = EventEncoder()
        self._producer = Producer({**producer_settings(settings), "on_delivery": self.delivery})

    @classmethod
    def for_topic(cls, settings: dict[str, Any], topic: str, partitions: int) -> EventProducer:
        """A producer for `topic`, created with `partitions` partitions if missing, with
        its source pins read (the pin topic is created if missing)."""
        count = ensure_topic(settings, topic, partitions)
        ensure_topic(settings, registry_topic(topic), 1, config=REGISTRY_CONFIG)
        return cls(settings, topic, SourcePartitions(settings, topic, count))

    def send(self, batch: RawBatch) -> int:
        """Queue a batch's events for sending (blocks while the local queue is full)."""
        return self.send_records(self.encoder.encode(batch), self.pins.count_for(batch.source))

    def send_records(self, records: Iterable[tuple[bytes, bytes]], partitions: int) -> int:
        """Queue (key, value) records, each to `partition_of(key, partitions)`."""
        produce, topic, poll = self._producer.produce, self.topic, self._producer.poll
        count = 0
        for key, value in records:
            partition = partition_of(key, partitions)
            while True:
                try:
                    produce(topic, value, key, partition)
                    break
                except BufferError:
                    poll(0.05)  # the local queue is full: let deliveries drain it
                except KafkaException as err:
                    self.delivery.add(f"{topic}: {err.args[0].str()} (message of {len(value):,} bytes)")
                    break
            count += 1
        poll(0)
        self.sent += count
        return count

    def finish(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for every delivery; the number of events that did
        not make it (failed, or still undelivered at the deadline)."""
        remaining = self._producer.flush(timeout)
        return self.delivery.failed + remaining

    @property
    def undelivered(self) -> int:
        return len(self._producer)


class DeadLetters:
    """Sends rejected messages to the dead-letter topic before their batch is committed.

    The value is the original message; headers say where it came from and why
    (`topic`, `partition`, `offset`, `reason`, `time`, `source`, `seq`). A batch whose
    dead letters cannot be delivered is not committed (it is read again)."""

    def __init__(self, settings: dict[str, Any], source_topic: str, topic: str, timeout: float = 300) -> None:
        self.source_topic = source_topic
        self.topic = topic
        self.timeout = timeout
        self.delivery = DeliveryLog()
        self._producer = Producer({**producer_settings(settings), "on_delivery": self.delivery})

    def __call__(self, letters: list[DeadLetter]) -> None:
        failed_before = self.delivery.failed
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for letter in letters:
            headers = [
                ("topic", self.source_topic.encode()),
                ("partition", str(letter.partition).encode()),
                ("offset", str(letter.offset).encode()),
                ("reason", letter.reason.encode()),
                ("time", now.encode()),
                ("source", letter.source.encode()),
                ("seq", str(letter.seq).encode()),
            ]
            while True:
                try:
                    self._producer.produce(self.topic, letter.value, None, headers=headers)
                    break
                except BufferError:
                    self._producer.poll(0.05)
        remaining = self._producer.flush(self.timeout)
        failed = self.delivery.failed - failed_before
        if failed or remaining:
            msg = (
                f"cannot dead-letter {failed + remaining} of {len(letters)} rejected messages to {self.topic!r} "
                f"({'; '.join(self.delivery.errors[-3:]) or 'timed out'}); the batch was not committed and "
                "will be read again"
            )
            raise BusError(msg)
