"""Poison messages on the topic: dead-lettered with their bytes and a reason, counted
under `rejected`, and the stream goes on."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from tests.helpers import report_of, run_cli
from tests.integration.kafka_support import fresh_store, process, produce, unique
from tests.pipeline.test_bad_input import VALID, write

from ecomstream.bus.kafka import ensure_topic

pytestmark = pytest.mark.integration

GOOD_FIELDS = '"event_type":"view","product_id":"1","price":"1.00","user_id":"7"'
POISON: list[tuple[bytes, str]] = [
    (b"not json at all", "malformed"),
    (b"", "malformed"),
    (b"[1, 2, 3]", "malformed"),
    (b'{"event_time":"2019-10-01 00:00:01 UTC",' + GOOD_FIELDS.replace('"1"', "true", 1).encode() + b"}",
     "bad_type:product_id"),
    (b'{"event_time":12345,' + GOOD_FIELDS.encode() + b"}", "bad_type:event_time"),
    (b'{"event_time":"2019-10-01 00:00:01 UTC",' + GOOD_FIELDS.replace('"1.00"', '{"a":1}').encode() + b"}",
     "bad_type:price"),
    (b'{"event_time":"2019-10-01 00:00:01 UTC","brand":"' + b"x" * 17_000 + b'",' + GOOD_FIELDS.encode() + b"}",
     "too_large"),
]  # fmt: skip
FOREIGN_VALID = (
    b'{"event_time":"2019-10-01 00:00:30 UTC","event_type":"purchase","product_id":"9","price":"5.50","user_id":"3"}'
)


def dead_letters(bootstrap: str, topic: str, count: int, timeout: float = 60) -> list:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("dlq-reader"),
                         "auto.offset.reset": "earliest", "session.timeout.ms": 6000})  # fmt: skip
    consumer.subscribe([topic])
    found = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                found.append(message)
    finally:
        consumer.close()
    return found


def test_poison_messages_are_dead_lettered_and_counted(tmp_path: Path, kafka_bootstrap: str,
                                                       postgres_url: str) -> None:  # fmt: skip
    topic, store = unique("poison"), fresh_store(postgres_url)
    ensure_topic({"bootstrap.servers": kafka_bootstrap}, topic, 2)
    produce(kafka_bootstrap, topic, write(tmp_path, VALID, "before.csv"), partitions=2)
    raw = Producer({"bootstrap.servers": kafka_bootstrap})
    for value, _ in POISON:
        raw.produce(topic, value, b"poison", partition=0)
    raw.produce(topic, FOREIGN_VALID, b"3", partition=0)
    assert raw.flush(30) == 0
    produce(kafka_bootstrap, topic, write(tmp_path, VALID, "after.csv"), partitions=2)  # the stream goes on

    process(kafka_bootstrap, topic, unique("g"), store)

    report = report_of(store)
    assert report["events"] == 2 * len(VALID) + 1
    expected: dict[str, int] = {}
    for _, reason in POISON:
        expected[reason] = expected.get(reason, 0) + 1
    assert {k: v for k, v in report["rejected"].items() if v} == expected

    letters = dead_letters(kafka_bootstrap, f"{topic}.dlq", len(POISON))
    assert len(letters) == len(POISON)
    by_value = {m.value() or b"": dict(m.headers()) for m in letters}
    for value, reason in POISON:
        headers = by_value[value]
        assert headers["reason"].decode() == reason
        assert headers["topic"].decode() == topic
        assert headers["partition"] == b"0"
        assert headers["time"].decode().endswith("Z")
    assert len({int(h["offset"]) for h in by_value.values()}) == len(POISON)

    rejects = [json.loads(line) for line in
               run_cli("rejects", "--store", store, "--json", "--limit", "100").splitlines()]  # fmt: skip
    assert sorted(r["reason"] for r in rejects) == sorted(reason for _, reason in POISON)
    assert all(r["source"] == f"kafka:{topic}:0" for r in rejects)


def test_undeliverable_events_are_counted_printed_and_fail_the_command(tmp_path: Path, kafka_bootstrap: str) -> None:
    from click.testing import CliRunner

    from ecomstream.cli.main import cli

    long_line = VALID[0].replace("Sam,sung", "B" * 1_500)  # a message over the client's 1,000-byte limit
    path = write(tmp_path, [VALID[1], long_line, VALID[2]])
    result = CliRunner().invoke(cli, ["produce", "--bus", f"kafka://{kafka_bootstrap}", "--topic", unique("fail"),
                                      "--source", str(path), "--kafka-config", "message.max.bytes=1000"])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "1 events were not delivered" in result.stderr
    assert "delivery failed:" in result.stderr
