"""Partitions added to a topic between two runs of the producer on the same source: the
source's records keep their partitions, so the second run still counts once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewPartitions
from tests.conftest import SHARED_FILES
from tests.helpers import assert_same_report, report_of
from tests.integration.kafka_support import fresh_store, process, produce, unique
from tests.reference import data_lines, reference_report

from ecomstream.bus.kafka import partition_counts

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _grow(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_partitions([NewPartitions(topic, partitions)])[topic].result(timeout=30)
    deadline = time.monotonic() + 30
    while partition_counts(admin, [topic])[topic] != partitions:
        assert time.monotonic() < deadline, f"{topic} did not grow to {partitions} partitions"
        time.sleep(0.1)


def test_a_source_produced_again_after_partitions_were_added_counts_once(
    shared_data: Path, kafka_bootstrap: str, postgres_url: str
) -> None:
    topic, store = unique("grown"), fresh_store(postgres_url)
    path = shared_data / SHARED_FILES[0]
    produce(kafka_bootstrap, topic, path, partitions=2)
    _grow(kafka_bootstrap, topic, 5)
    produce(kafka_bootstrap, topic, path)  # the same file again, e.g. a producer re-run after a crash
    other = shared_data / SHARED_FILES[3]
    produce(kafka_bootstrap, topic, other)  # a new source spreads over all five partitions
    process(kafka_bootstrap, topic, unique("g"), store)
    assert_same_report(report_of(store), reference_report(data_lines(path) + data_lines(other)))
