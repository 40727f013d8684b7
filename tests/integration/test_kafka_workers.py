"""Consumer-group workers against a real broker and PostgreSQL: sharing partitions,
crashing, and the broker going away; the report stays that of one clean pass."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from tests.conftest import SHARED_FILES
from tests.helpers import assert_same_report, report_of, spawn
from tests.integration.kafka_support import committed_offsets, finish, fresh_store, spawn_worker, unique, wait_until
from tests.reference import data_lines, reference_report

from ecomstream.bus.kafka import ensure_topic

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS = 100_000  # rees46_2019oct_tail_100000rows
RATE = "20000"


@pytest.fixture
def setup(shared_data: Path, kafka_bootstrap: str, postgres_url: str) -> dict:
    topic = unique("w")
    ensure_topic({"bootstrap.servers": kafka_bootstrap}, topic, 6)
    path = shared_data / SHARED_FILES[1]
    return {"bootstrap": kafka_bootstrap, "topic": topic, "group": unique("g"), "store": fresh_store(postgres_url),
            "path": path, "expected": reference_report(data_lines(path))}  # fmt: skip


def start_workers(s: dict, *names: str, idle: float = 4.0) -> dict[str, subprocess.Popen[bytes]]:
    workers = {name: spawn_worker(s["bootstrap"], s["topic"], s["group"], s["store"], name, idle) for name in names}
    wait_until(lambda: assigned(s["store"]) == {name: 6 // len(names) for name in names}, 60,
               f"workers {names} to share the 6 partitions")  # fmt: skip
    return workers


def assigned(store: str) -> dict[str, int]:
    """Partitions per running worker, from the lag detail the workers publish."""
    with psycopg.connect(store, autocommit=True) as conn:
        try:
            rows = conn.execute("SELECT worker, detail FROM workers WHERE running = 1").fetchall()
        except psycopg.errors.UndefinedTable:
            return {}
    return {worker: len(json.loads(detail)["lag"]) for worker, detail in rows if detail}


def start_producer(s: dict) -> subprocess.Popen[bytes]:
    return spawn("produce", "--bus", f"kafka://{s['bootstrap']}", "--topic", s["topic"], "--source", str(s["path"]),
                 "--rate", RATE, "--quiet")  # fmt: skip


def events_per_worker(store: str) -> dict[str, int]:
    with psycopg.connect(store, autocommit=True) as conn:
        return dict(conn.execute("SELECT worker, events FROM workers").fetchall())


def test_two_workers_on_six_partitions(setup: dict) -> None:
    workers = start_workers(setup, "a", "b")
    producer = start_producer(setup)
    finish(producer, 120, "producer")
    for name, child in workers.items():
        finish(child, 120, f"worker {name}")
    assert_same_report(report_of(setup["store"]), setup["expected"])
    shares = events_per_worker(setup["store"])
    assert shares["a"] > 0 and shares["b"] > 0, shares
    assert committed_offsets(setup["store"], setup["topic"]) == ROWS


@pytest.mark.parametrize("restart", [True, False], ids=["restarted", "taken-over"])
def test_kill_9_of_a_worker_mid_stream(setup: dict, restart: bool) -> None:
    workers = start_workers(setup, "a", "b")
    producer = start_producer(setup)
    wait_until(lambda: committed_offsets(setup["store"], setup["topic"]) > 25_000, 60, "25,000 committed events")
    os.kill(workers["a"].pid, signal.SIGKILL)
    workers["a"].wait()
    assert committed_offsets(setup["store"], setup["topic"]) < ROWS, "the kill should land mid-stream"
    if restart:
        workers["a"] = spawn_worker(setup["bootstrap"], setup["topic"], setup["group"], setup["store"], "a")
    else:
        del workers["a"]
    finish(producer, 120, "producer")
    for name, child in workers.items():
        finish(child, 180, f"worker {name}")
    assert_same_report(report_of(setup["store"]), setup["expected"])
    assert committed_offsets(setup["store"], setup["topic"]) == ROWS


def test_broker_stopped_and_started_while_producing_and_consuming(setup: dict, kafka_broker) -> None:
    # Idle long enough for the producer to reconnect and deliver what it holds once the broker is back.
    workers = start_workers(setup, "a", "b", idle=10.0)
    producer = start_producer(setup)
    wait_until(lambda: committed_offsets(setup["store"], setup["topic"]) > 15_000, 60, "15,000 committed events")
    with kafka_broker.stopped():
        down = committed_offsets(setup["store"], setup["topic"])
        time.sleep(2)  # the broker stays down a moment while clients keep trying
    assert down < ROWS, "the broker should go down mid-stream"
    finish(producer, 300, "producer")
    for name, child in workers.items():
        finish(child, 300, f"worker {name}")
    assert_same_report(report_of(setup["store"]), setup["expected"])
    assert committed_offsets(setup["store"], setup["topic"]) == ROWS


def test_in_process_pipeline_for_demo(shared_data: Path, kafka_bootstrap: str, postgres_url: str) -> None:
    from ecomstream.pipeline.embedded import SourceSpec
    from ecomstream.pipeline.kafka import run_kafka_pipeline
    from ecomstream.store import open_store

    path = shared_data / SHARED_FILES[3]
    with open_store(fresh_store(postgres_url)) as store:
        produced, stats = run_kafka_pipeline(f"kafka://{kafka_bootstrap}", unique("demo"), unique("g"), store,
                                             SourceSpec(files=[path]), idle_s=0.5)  # fmt: skip
        assert produced.failed == 0 and produced.sent == stats.received == 2397
        assert_same_report(report_of(store.url), reference_report(data_lines(path)))
