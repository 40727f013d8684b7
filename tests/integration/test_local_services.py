"""The local Kafka and PostgreSQL servers (scripts/*-local.sh) work with the project's clients."""

from __future__ import annotations

import importlib
import os
import time
import uuid
from types import ModuleType

import pytest

pytestmark = pytest.mark.integration


def _require(module: str, pip_name: str) -> ModuleType:
    if os.environ.get("CI", "").lower() == "true":
        return importlib.import_module(module)  # never skip in CI
    return pytest.importorskip(module, reason=f"pip install '{pip_name}'")


def _kafka() -> ModuleType:
    return _require("confluent_kafka", "confluent-kafka==2.16.1")


def _create_topic(bootstrap: str, partitions: int = 1) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"it-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1)], operation_timeout=30
    )
    futures[topic].result(timeout=60)
    return topic


def _consume(bootstrap: str, topic: str, n: int, *, protocol: str = "classic", timeout: float = 60) -> list:
    ck = _kafka()
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": f"g-{topic}-{protocol}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "group.protocol": protocol,
    }
    if protocol == "classic":
        conf["session.timeout.ms"] = 10_000
    consumer = ck.Consumer(conf)
    consumer.subscribe([topic])
    got = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < n and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            got.append(msg)
        if got:
            consumer.commit(message=got[-1], asynchronous=False)
    finally:
        consumer.close()
    assert len(got) == n, f"consumed {len(got)} of {n} messages from {topic} within {timeout}s"
    return got


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
def test_kafka_produce_and_consume(kafka_bootstrap: str, protocol: str) -> None:
    ck = _kafka()
    topic = _create_topic(kafka_bootstrap, partitions=2)
    producer = ck.Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
    reports = []
    producer.produce(topic, key=b"user-1", value=b'{"event":"view"}', on_delivery=lambda e, m: reports.append(e))
    assert producer.flush(30) == 0
    assert reports == [None]

    [msg] = _consume(kafka_bootstrap, topic, 1, protocol=protocol)
    assert (msg.key(), msg.value()) == (b"user-1", b'{"event":"view"}')


def test_kafka_start_is_idempotent(kafka_broker) -> None:
    if kafka_broker.external:
        pytest.skip("external broker")
    # a second start while running prints the same address and starts nothing
    assert kafka_broker.start() == kafka_broker.bootstrap


def test_kafka_broker_restart_keeps_address_and_data(kafka_broker) -> None:
    ck = _kafka()
    bootstrap = kafka_broker.bootstrap
    topic = _create_topic(bootstrap)
    producer = ck.Producer(
        {"bootstrap.servers": bootstrap, "enable.idempotence": True, "reconnect.backoff.max.ms": 1000}
    )
    producer.produce(topic, value=b"before")
    assert producer.flush(30) == 0

    with kafka_broker.stopped():
        # a running client keeps its messages queued while the broker is down
        producer.produce(topic, value=b"during")
        assert producer.flush(1) == 1

    assert kafka_broker.bootstrap == bootstrap
    assert producer.flush(60) == 0
    values = [m.value() for m in _consume(bootstrap, topic, 2)]
    assert values == [b"before", b"during"]


def test_postgres_select_1(postgres_url: str) -> None:
    psycopg = _require("psycopg", "psycopg[binary]==3.3.9")
    assert postgres_url.startswith("postgresql://")
    with psycopg.connect(postgres_url, connect_timeout=10) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        assert conn.info.dbname == "ecomstream"
