"""Which partition a producer sends a record to, so that a source's records keep theirs.

Workers drop a re-sent record by comparing its `seq` with the largest committed for its
source *on its partition* (see `processor.kafka`). That holds as long as a record goes to
the same partition every time it is sent. Keyed by user, the partition is
`crc32(key) % partitions` (librdkafka's default for keyed messages), and so it changes
when partitions are added to the topic: produced again after that (a re-run after a
crash, the same file twice), a record could land on a partition that never saw it and
be counted again.

So each source is pinned to the partition count it was first produced with. The pins
live in Kafka itself, in the compacted topic `<topic>.sources` (key: the source id,
value: `{"partitions": N}`), written and flushed before the source's first record is
sent, and read by every producer when it starts. A new source uses every partition the
topic has; a source seen before keeps the count it had, and so its partitions.
"""

from __future__ import annotations

import json
import time
import uuid
import zlib
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from ecomstream.bus.config import PRODUCER_DEFAULTS, producer_settings
from ecomstream.errors import BusError

REGISTRY_SUFFIX = ".sources"
REGISTRY_CONFIG = {"cleanup.policy": "compact"}


def registry_topic(topic: str) -> str:
    """The compacted topic that pins the sources of `topic` to partition counts."""
    return f"{topic}{REGISTRY_SUFFIX}"


def partition_of(key: bytes, partitions: int) -> int:
    """librdkafka's `consistent` partitioner: CRC-32 of the key modulo the count.

    >>> partition_of(b"541312140", 6)
    1
    """
    return zlib.crc32(key) % partitions


class SourcePartitions:
    """The partition count each source of one topic is produced with."""

    def __init__(self, settings: dict[str, Any], topic: str, partitions: int, timeout: float = 30) -> None:
        """`partitions`: the topic's partition count now, for sources not seen before.
        The registry topic must exist (see `bus.kafka.ensure_topic`)."""
        self.settings, self.topic, self.partitions, self.timeout = settings, topic, partitions, timeout
        self.registry = registry_topic(topic)
        self.pinned = read_pins(settings, self.registry, timeout)
        self._producer: Producer | None = None

    def count_for(self, source: str) -> int:
        """The partition count `source`'s records are spread over (pinned on first use)."""
        found = self.pinned.get(source)
        if found is None:
            found = self.pinned[source] = self.partitions
            self._pin(source, found)
        return found

    def _pin(self, source: str, partitions: int) -> None:
        failures: list[str] = []

        def delivered(err: KafkaError | None, _msg: Any) -> None:
            if err is not None:
                failures.append(err.str())

        if self._producer is None:
            self._producer = Producer(producer_settings(self.settings))
        value = json.dumps({"partitions": partitions}).encode()
        self._producer.produce(self.registry, value, source.encode(), on_delivery=delivered)
        if self._producer.flush(self.timeout) or failures:
            msg = (
                f"cannot record source {source!r} in {self.registry!r} ({'; '.join(failures) or 'timed out'}); "
                "nothing of it was sent, try again when the broker is reachable"
            )
            raise BusError(msg)


def read_pins(settings: dict[str, Any], registry: str, timeout: float = 30) -> dict[str, int]:
    """Every pin of a registry topic, read from its beginning to its end now."""
    common = {k: v for k, v in settings.items() if k not in PRODUCER_DEFAULTS}  # no producer-only warnings
    consumer = Consumer(
        {
            **common,
            "group.id": f"ecomstream-pins-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        return _read(consumer, registry, timeout)
    except KafkaException as err:
        msg = (
            f"cannot read the source pins of {registry!r}: {err.args[0].str()}; the producer needs to read "
            "(and, the first time, create) this topic"
        )
        raise BusError(msg) from err
    finally:
        consumer.close()


def _read(consumer: Consumer, registry: str, timeout: float) -> dict[str, int]:
    """The pins in partition 0 of `registry`, from its low to its high watermark."""
    pins: dict[str, int] = {}
    low, high = consumer.get_watermark_offsets(TopicPartition(registry, 0), timeout=timeout)
    if high <= low:
        return pins
    consumer.assign([TopicPartition(registry, 0, low)])
    deadline, position = time.monotonic() + timeout, low
    while position < high:
        if time.monotonic() > deadline:
            msg = f"cannot read the source pins of {registry!r} within {timeout:.0f}s; is the broker up?"
            raise BusError(msg)
        messages = consumer.consume(num_messages=10_000, timeout=0.5)
        if not messages:  # compaction may have left no record at the last offsets
            position = max(position, consumer.position([TopicPartition(registry, 0)])[0].offset)
        for message in messages:
            if message.error() is not None:
                continue
            position = message.offset() + 1
            key, value = message.key(), message.value()
            try:
                source = key.decode()
                if value is None:  # a tombstone: the pin was removed
                    pins.pop(source, None)
                else:
                    pins[source] = int(json.loads(value)["partitions"])
            except (AttributeError, ValueError, KeyError, TypeError):
                continue  # not one of ours: ignored
    return pins
