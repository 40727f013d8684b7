"""Kafka benchmark: prints figures, asserts nothing about time.

One topic is pre-filled with at least `--events` events (the shared REES46 samples
repeated), then, in the same run on the same machine:

- one worker, then two workers (separate processes, one consumer group each time),
  the full metric set committed to PostgreSQL: events/s from the first poll that
  returned messages to the last commit;
- the naive approach of the old project: kafka-python, `json.loads` per message,
  counters and a pandas frame concatenated every 1,000 messages;
- end-to-end latency at `--rate` events/s: a paced producer and one worker running
  together; p50/p95/p99 from the hand-off to the producer (Kafka CreateTime) to the
  commit in PostgreSQL, over every event of the run.

Usage (servers from scripts/kafka-local.sh and scripts/postgres-local.sh):

    .venv/bin/python benchmarks/bench_kafka.py --bus kafka://127.0.0.1:PORT \\
        --store postgresql://postgres@127.0.0.1:PORT/ecomstream
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]


def fresh_store(base: str) -> str:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(HERE), *args], stdout=subprocess.PIPE, text=True, cwd=REPO)


def result_of(process: subprocess.Popen[str], what: str) -> dict:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{what} failed (exit {process.returncode})")
    return json.loads(out.strip().splitlines()[-1])


# --- children ----------------------------------------------------------------------


def child_worker(bus: str, topic: str, group: str, store_url: str, batch_wait_ms: int, idle_s: float,
                 gate: str) -> None:  # fmt: skip
    """One worker until the topic is drained; prints its timings as JSON. With a `gate`
    folder, it holds its partitions paused until the parent creates `go` in it (the
    parent waits until every worker has its share), so that workers share the topic
    from the first message on."""
    from ecomstream.bus.config import client_settings
    from ecomstream.bus.worker import KafkaWorker, WorkerSettings
    from ecomstream.processor.loop import ProcessorSettings
    from ecomstream.store import open_store

    times = {"first": None, "last": None}
    latencies: list[tuple[float, int]] = []
    with open_store(store_url) as store:
        settings = ProcessorSettings(max_wait_ms=batch_wait_ms, worker=f"bench-{uuid.uuid4().hex[:6]}")
        worker = KafkaWorker(
            store, client_settings(bus), WorkerSettings(topic, group, exit_when_idle_s=idle_s), settings
        )
        prepare, add = worker.processor.prepare, worker.processor.stats.latency.add

        def timed(batches):
            if times["first"] is None:
                times["first"] = time.time()
            return prepare(batches)

        def keep(latency_s: float, count: int, now: float | None = None) -> None:
            latencies.append((latency_s, count))
            add(latency_s, count, now)

        worker.processor.prepare = timed
        worker.processor.stats.latency.add = keep
        if gate != "-":
            hold_until_go(worker, Path(gate) / "go")
        stats = worker.run()
        times["last"] = stats.last_commit_at
    print(json.dumps({"events": stats.accepted + stats.rejected, "first": times["first"], "last": times["last"],
                      "commits": stats.commits, "latency": percentiles(latencies),
                      "cpu": sum(os.times()[:2])}))  # fmt: skip


def hold_until_go(worker, go: Path) -> None:
    """Pause every assigned partition until `go` exists (checked on idle turns)."""
    from confluent_kafka import TopicPartition

    on_assign, publish = worker._on_assign, worker._publish_figures
    state = {"held": True}

    def assign_paused(consumer, partitions) -> None:
        on_assign(consumer, partitions)
        if state["held"]:
            consumer.pause(partitions)

    def publish_or_go() -> None:
        publish()
        if state["held"] and go.exists():
            state["held"] = False
            worker.consumer.resume([TopicPartition(worker.settings.topic, p) for p in sorted(worker.assigned)])

    worker._on_assign, worker._publish_figures = assign_paused, publish_or_go
    worker.settings = replace(worker.settings, figures_every_s=0.1)


def percentiles(samples: list[tuple[float, int]]) -> dict[str, float] | None:
    import numpy as np

    if not samples:
        return None
    values = np.array([s[0] for s in samples]) * 1000
    weights = np.array([s[1] for s in samples], dtype=np.float64)
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    picks = np.minimum(np.searchsorted(cumulative, [0.5, 0.95, 0.99]), len(order) - 1)
    return dict(zip(("p50_ms", "p95_ms", "p99_ms"), (float(values[order][i]) for i in picks), strict=True))


def child_naive(bus: str, topic: str, events: int) -> None:
    """The old project's consumer: kafka-python, json.loads, counters, pd.concat every 1,000."""
    import pandas as pd
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=bus.removeprefix("kafka://"), group_id=f"naive-{uuid.uuid4()}",
                             auto_offset_reset="earliest", consumer_timeout_ms=10_000)  # fmt: skip
    by_type: dict[str, int] = {}
    brands: dict[str, int] = {}
    revenue = 0.0
    rows: list[dict] = []
    frame = pd.DataFrame()
    count, first = 0, None
    for message in consumer:
        if first is None:
            first = time.time()
        event = json.loads(message.value)
        by_type[event["event_type"]] = by_type.get(event["event_type"], 0) + 1
        brand = (event.get("brand") or "(unknown)").lower()
        brands[brand] = brands.get(brand, 0) + 1
        if event["event_type"] == "purchase":
            revenue += float(event["price"] or 0)
        rows.append(event)
        if len(rows) == 1000:
            frame = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)
            rows = []
        count += 1
        if count >= events:
            break
    last = time.time()
    consumer.close()
    print(json.dumps({"events": count, "first": first, "last": last, "rows": len(frame)}))


# --- the run -----------------------------------------------------------------------


def prefill(bus: str, topic: str, events: int, cache: Path) -> tuple[int, float]:
    from ecomstream.bench.inputs import concatenated_csv, find_data_dir
    from ecomstream.bus.config import client_settings
    from ecomstream.pipeline.embedded import SourceSpec
    from ecomstream.pipeline.kafka import produce

    path, _ = concatenated_csv(find_data_dir(), events, cache)
    started = time.monotonic()
    result = produce(client_settings(bus), topic, SourceSpec(files=[path], chunk_bytes=4 << 20), partitions=6)
    if result.failed:
        raise SystemExit(f"pre-filling failed: {result.failed} events not delivered: {result.errors[:3]}")
    return result.sent, time.monotonic() - started


def workers_rate(bus: str, topic: str, base_store: str, count: int) -> dict:
    """Events/s of `count` workers in one group, from the moment every worker has its
    partitions (held paused until then) to the last commit."""
    store, group = fresh_store(base_store), f"bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as gate:
        children = [child("worker", bus, topic, group, store, "200", "3", gate) for _ in range(count)]
        _, committed_then = wait_for_group(store, topic, count)
        started = time.time()
        (Path(gate) / "go").touch()
        results = [result_of(c, f"worker {i}") for i, c in enumerate(children)]
    events = sum(r["events"] for r in results)
    last = max(r["last"] for r in results if r["last"])
    span = last - started
    return {"events": events, "measured": events - committed_then, "seconds": span,
            "rate": (events - committed_then) / span, "per_worker": [r["events"] for r in results],
            "cpu": [round(r["cpu"], 1) for r in results]}  # fmt: skip


def wait_for_group(store: str, topic: str, workers: int, timeout: float = 120) -> tuple[float, int]:
    """Poll the store until `workers` workers share the 6 partitions: (time, messages committed by then)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(store, autocommit=True) as conn:
        while time.monotonic() < deadline:
            try:
                details = [d for (d,) in conn.execute("SELECT detail FROM workers WHERE running = 1") if d]
            except psycopg.errors.UndefinedTable:
                details = []
            shares = [len(json.loads(d)["lag"]) for d in details]
            if len(shares) == workers and min(shares) > 0 and sum(shares) == 6:
                moment = time.time()
                row = conn.execute(
                    "SELECT COALESCE(SUM(seq), 0) FROM positions WHERE source LIKE %s AND source NOT LIKE %s",
                    (f"kafka:{topic}:%", "%|%"),
                ).fetchone()
                return moment, int(row[0]) if row else 0
            time.sleep(0.02)
    raise SystemExit(f"{workers} workers did not share the partitions within {timeout:.0f}s")


def latency_run(bus: str, base_store: str, rate: float, seconds: float, batch_wait_ms: int, cache: Path) -> dict:
    """A paced producer (the REES46 samples at `rate` events/s for `seconds`) and one
    worker together; the worker's latency samples over the whole run."""
    from ecomstream.bench.inputs import concatenated_csv, find_data_dir
    from ecomstream.bus.config import client_settings
    from ecomstream.bus.kafka import ensure_topic
    from ecomstream.pipeline.embedded import SourceSpec
    from ecomstream.pipeline.kafka import produce
    from ecomstream.sources.pacing import Pace

    topic, store = f"bench-latency-{uuid.uuid4().hex[:8]}", fresh_store(base_store)
    ensure_topic(client_settings(bus), topic, 6)
    worker = child("worker", bus, topic, f"bench-{uuid.uuid4().hex[:8]}", store, str(batch_wait_ms), "3", "-")
    wait_for_group(store, topic, 1)
    path, _ = concatenated_csv(find_data_dir(), int(rate * seconds), cache)
    done = threading.Event()
    timer = threading.Timer(seconds, done.set)
    timer.start()
    result = produce(client_settings(bus), topic, SourceSpec(files=[path], pace=Pace(rate=rate)), stop=done)
    timer.cancel()
    if result.failed:
        raise SystemExit(f"the paced producer lost {result.failed} events: {result.errors[:3]}")
    measured = result_of(worker, "latency worker")
    return {"sent": result.sent, "events": measured["events"], **(measured["latency"] or {})}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        bus, topic, group, store, wait_ms, idle, gate = sys.argv[2:9]
        child_worker(bus, topic, group, store, int(wait_ms), float(idle), gate)
        return
    if len(sys.argv) > 1 and sys.argv[1] == "naive":
        child_naive(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bus", required=True, help="kafka://HOST:PORT")
    parser.add_argument("--store", required=True, help="postgresql://... (a schema per run is created in it)")
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the pre-filled topic")
    parser.add_argument("--naive-events", type=int, default=None, help="events for the naive consumer (default all)")
    parser.add_argument("--rate", type=float, default=10_000, help="events/s of the latency run")
    parser.add_argument("--latency-seconds", type=float, default=30, help="length of the latency run")
    parser.add_argument("--latency-wait-ms", type=int, default=100, help="worker's batch wait in the latency run")
    parser.add_argument("--skip", action="append", default=[], choices=["naive", "two", "latency"])
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "bench")
    args = parser.parse_args()

    topic = f"bench-{uuid.uuid4().hex[:8]}"
    sent, seconds = prefill(args.bus, topic, args.events, args.cache)
    print(f"pre-filled {topic}: {sent:,} events, 6 partitions, in {seconds:.1f}s "
          f"({sent / seconds:,.0f} events/s produced)")  # fmt: skip
    one = workers_rate(args.bus, topic, args.store, 1)
    print(f"1 worker  -> PostgreSQL: {one['measured']:,} events in {one['seconds']:.2f}s = "
          f"{one['rate']:,.0f} events/s (worker CPU {one['cpu'][0]:.1f}s)")  # fmt: skip
    if "two" not in args.skip:
        two = workers_rate(args.bus, topic, args.store, 2)
        print(f"2 workers -> PostgreSQL: {two['measured']:,} events in {two['seconds']:.2f}s = "
              f"{two['rate']:,.0f} events/s (split {two['per_worker']}, worker CPU {two['cpu']}s); "
              f"2 workers / 1 worker = {two['rate'] / one['rate']:.2f}")  # fmt: skip
    if "naive" not in args.skip:
        naive = result_of(child("naive", args.bus, topic, str(args.naive_events or sent)), "naive consumer")
        naive_rate = naive["events"] / (naive["last"] - naive["first"])
        print(f"naive (kafka-python, json.loads, pd.concat every 1,000): {naive['events']:,} events in "
              f"{naive['last'] - naive['first']:.1f}s = {naive_rate:,.0f} events/s; "
              f"1 worker / naive = {one['rate'] / naive_rate:.1f}x")  # fmt: skip
    if "latency" not in args.skip:
        latency = latency_run(args.bus, args.store, args.rate, args.latency_seconds, args.latency_wait_ms, args.cache)
        print(f"latency at {args.rate:,.0f} events/s ({latency['events']:,} events, batch wait "
              f"{args.latency_wait_ms} ms), produce -> committed in PostgreSQL: p50 {latency.get('p50_ms', 0):.0f} ms, "
              f"p95 {latency.get('p95_ms', 0):.0f} ms, p99 {latency.get('p99_ms', 0):.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
