"""Partition choice without a broker (the pins themselves are tested against a real one
in tests/integration/test_kafka_partitions_added.py)."""

from __future__ import annotations

import doctest

import pytest

from ecomstream.bus import partitioning
from ecomstream.bus.partitioning import partition_of, registry_topic
from ecomstream.errors import BusError


def test_doctests() -> None:
    assert doctest.testmod(partitioning).failed == 0


def test_a_key_keeps_its_partition_while_the_count_is_kept() -> None:
    keys = [str(541_312_140 + i).encode() for i in range(1000)]
    first = [partition_of(k, 6) for k in keys]
    assert first == [partition_of(k, 6) for k in keys]
    assert set(first) == set(range(6))  # spread over every partition
    moved = sum(a != partition_of(k, 8) for a, k in zip(first, keys, strict=True))
    assert moved > 500  # which is why a source stays pinned to its first count


def test_registry_topic_name() -> None:
    assert registry_topic("events") == "events.sources"


def test_unreadable_pins_say_what_is_wrong() -> None:
    with pytest.raises(BusError, match=r"cannot read the source pins of 'events\.sources'"):
        partitioning.read_pins({"bootstrap.servers": "127.0.0.1:1"}, "events.sources", timeout=1)
