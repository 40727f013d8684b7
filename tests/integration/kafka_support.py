"""Helpers for the Kafka + PostgreSQL tests: fresh topics, schemas, workers, waiting."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from tests.helpers import run_cli, spawn

SESSION_TIMEOUT_MS = "6000"
"""The broker's smallest allowed session timeout: a dead worker's partitions move quickly."""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def fresh_store(postgres_url: str) -> str:
    """A store URL on a new, empty PostgreSQL schema of the test database."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in postgres_url else "?"
    return f"{postgres_url}{separator}options=-csearch_path%3D{schema}"


def produce(bootstrap: str, topic: str, *files: Path, partitions: int = 6, extra: tuple[str, ...] = ()) -> str:
    args = ["produce", "--bus", f"kafka://{bootstrap}", "--topic", topic, "--partitions", str(partitions), *extra]
    for path in files:
        args += ["--source", str(path)]
    return run_cli(*args)


def worker_args(bootstrap: str, topic: str, group: str, store: str, idle: float = 2.0, *extra: str) -> list[str]:
    return ["process", "--bus", f"kafka://{bootstrap}", "--topic", topic, "--group", group, "--store", store,
            "--exit-when-idle", str(idle), "--session-timeout-ms", SESSION_TIMEOUT_MS, "--quiet", *extra]  # fmt: skip


def process(bootstrap: str, topic: str, group: str, store: str, *extra: str) -> None:
    """One worker in this process, until the topic is drained."""
    run_cli(*worker_args(bootstrap, topic, group, store, 1.0, *extra))


def spawn_worker(bootstrap: str, topic: str, group: str, store: str, name: str, idle: float = 4.0,
                 *extra: str) -> subprocess.Popen[bytes]:  # fmt: skip
    return spawn(*worker_args(bootstrap, topic, group, store, idle, "--worker", name, *extra))


def committed_offsets(store: str, topic: str) -> int:
    """Messages of `topic` committed in the store, over all partitions."""
    with psycopg.connect(store, autocommit=True) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(seq), 0) FROM positions WHERE source LIKE %s AND source NOT LIKE %s",
            (f"kafka:{topic}:%", "%|%"),
        ).fetchone()
    return int(row[0]) if row else 0


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def finish(child: subprocess.Popen[bytes], timeout: float, name: str) -> None:
    """Wait for a worker process; fail with its output if it hangs or fails."""
    try:
        _, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        _, err = child.communicate()
        raise AssertionError(f"{name} still running after {timeout:.0f}s:\n{err.decode()[-3000:]}") from None
    assert child.returncode == 0, f"{name} exited {child.returncode}:\n{err.decode()[-3000:]}"
