"""Latency from hand-off to the bus until the events are visible through the API, and the
server-side cost of one dashboard refresh over a store holding a day of 1-second windows.

    python benchmarks/bench_latency.py                       # both parts, default rates 1000 and 10000
    python benchmarks/bench_latency.py --rates 10000 --seconds 30
    python benchmarks/bench_latency.py --skip-latency         # only the refresh cycle

Part 1 runs the real processor in this process on a memory bus, fed at a steady rate from a
shared CSV file (event times moved to now), and a real `ecomstream dashboard` server in
another process on the same SQLite store; a poller asks `/api/totals` as often as it can.
An event's latency is the time from its hand-off to the bus until the first API answer that
counts it (so it includes the commit, the query and the HTTP round trip).

Part 2 fills a store with a day of data (86,400 windows, minute and hour x brand x category cubes,
2,000 brands, 200,000 products, 2 M sessions, 1 M users) and times the dashboard's refresh
callback work (snapshot + components + JSON) for a few views, cold and at a 1-second pace.

Floors: p99 < 1 s at 10,000 events/s; a refresh cycle < 300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import queue
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from ecomstream.bus.memory import MemoryBus  # noqa: E402
from ecomstream.processor.loop import Processor, ProcessorSettings  # noqa: E402
from ecomstream.sources.files import file_identity, first_event_us, read_file  # noqa: E402
from ecomstream.sources.pacing import Pace, paced  # noqa: E402
from ecomstream.store import open_store  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "rees46_2019nov_head_300000rows.csv.gz"
P99_FLOOR_S = 1.0
REFRESH_FLOOR_S = 0.300


# ---------------------------------------------------------------- part 1: latency


def start_server(store_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    command = [sys.executable, "-m", "ecomstream", "dashboard", "--store", store_url, "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log.open("wb"))
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5).decode()
        except queue.Empty:
            continue
        if line.startswith("dashboard: "):
            return process, line.split()[1]
    process.kill()
    raise SystemExit(f"the dashboard did not start; see {log}")


class Poller:
    """Asks /api/totals every `every_s` on one connection; keeps (answer time, events)."""

    def __init__(self, base: str, every_s: float = 0.005) -> None:
        self.every_s = every_s
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        self.seen: list[tuple[float, int]] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def events(self) -> int:
        try:
            self.connection.request("GET", "/api/totals")
            response = self.connection.getresponse()
            return int(json.loads(response.read())["events"])
        except (OSError, http.client.HTTPException):
            self.connection.close()  # the next request reconnects
            raise

    def _run(self) -> None:
        while not self.done.is_set():
            try:
                found = self.events()
            except (OSError, http.client.HTTPException):
                time.sleep(0.01)
                continue
            self.seen.append((time.time(), found))
            time.sleep(self.every_s)  # leave the CPU to the pipeline; 5 ms is the resolution


def weighted_percentiles(latencies: list[float], weights: list[int], qs: tuple[float, ...]) -> list[float]:
    order = np.argsort(latencies)
    values = np.asarray(latencies)[order]
    cumulative = np.cumsum(np.asarray(weights, dtype=float)[order])
    cumulative /= cumulative[-1]
    return [float(values[min(np.searchsorted(cumulative, q), len(values) - 1)]) for q in qs]


def latency_run(rate: int, seconds: float, workdir: Path, batch_wait_ms: int) -> dict[str, float]:
    url = f"sqlite:///{workdir / f'latency-{rate}.db'}"
    store = open_store(url)
    server, base = start_server(url, workdir / f"server-{rate}.log")
    poller = Poller(base)
    try:
        while True:  # the server answers
            try:
                poller.events()
                break
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
        bus = MemoryBus()
        processor = Processor(store, bus, ProcessorSettings(max_wait_ms=batch_wait_ms))
        stop = threading.Event()
        worker = threading.Thread(target=processor.run, args=(stop,), daemon=True)
        worker.start()
        poller.thread.start()
        handed: list[tuple[float, int]] = []
        limit = int(rate * seconds)
        source = file_identity(DATA)
        shift = round(time.time() * 1e6) - (first_event_us(DATA) or 0)
        total = 0
        for batch in paced(read_file(DATA, source, 0, time_shift_us=shift), Pace(rate=rate)):
            if total >= limit:
                break
            bus.put(batch)
            total += batch.count
            handed.append((batch.handed_at, total))
        deadline = time.monotonic() + 30
        while (not poller.seen or poller.seen[-1][1] < total) and time.monotonic() < deadline:
            time.sleep(0.01)
        poller.done.set()
        stop.set()
        worker.join(10)
        poller.thread.join(5)
    finally:
        server.terminate()
        server.wait(10)
        store.close()
    latencies, weights = [], []
    seen = poller.seen
    j, previous = 0, 0
    for handed_at, cumulative in handed:
        while j < len(seen) and seen[j][1] < cumulative:
            j += 1
        if j == len(seen):
            raise SystemExit(f"{cumulative - previous} events never became visible at {rate}/s")
        latencies.append(seen[j][0] - handed_at)
        weights.append(cumulative - previous)
        previous = cumulative
    p50, p95, p99 = weighted_percentiles(latencies, weights, (0.50, 0.95, 0.99))
    commit = processor.stats.latency.percentiles() or (float("nan"),) * 3
    span = handed[-1][0] - handed[0][0]
    polls = [b[0] - a[0] for a, b in itertools.pairwise(seen)]
    return {
        "rate": rate,
        "events": total,
        "achieved_rate": total / span if span else float("nan"),
        "commits": processor.stats.commits,
        "p50_s": p50,
        "p95_s": p95,
        "p99_s": p99,
        "max_s": max(latencies),
        "commit_p50_ms": commit[0],
        "commit_p99_ms": commit[2],
        "poll_ms": 1000 * statistics.median(polls) if polls else float("nan"),
    }


# ---------------------------------------------------------------- part 2: refresh cycle


def fill_day(path: Path, seed: int = 1) -> None:
    """A store with a day of additive rows, written straight into its tables."""
    open_store(f"sqlite:///{path}").close()  # creates the schema
    rng = np.random.default_rng(seed)
    day = 1_572_566_400
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    counts = rng.poisson([900, 20, 5, 15], size=(86_400, 4))
    revenue = rng.integers(0, 5_000_000_000, size=86_400)
    db.executemany(
        "INSERT INTO windows VALUES (?, ?, ?, ?, ?, ?)",
        ((day + i, *map(int, counts[i]), int(revenue[i])) for i in range(86_400)),
    )
    brands = [f"brand{i:04d}" for i in range(2_000)]
    categories = [
        "electronics",
        "appliances",
        "computers",
        "apparel",
        "furniture",
        "auto",
        "construction",
        "kids",
        "accessories",
        "sport",
        "stationery",
        "country_yard",
        "medicine",
        "(unknown)",
    ]
    combos = [
        (brands[int(b)], categories[int(c)])
        for b, c in zip(rng.zipf(1.3, 300) % 2_000, rng.integers(0, 14, 300), strict=True)
    ]
    combos = sorted(set(combos))
    db.executemany(
        "INSERT INTO cube VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((day + m * 60, b, c, 180, 4, 1, 3, 900_000_000) for m in range(1_440) for b, c in combos),
    )
    db.execute(
        "INSERT INTO cube_hours SELECT minute_start / 3600 * 3600, brand, category, SUM(view), SUM(cart), "
        "SUM(remove_from_cart), SUM(purchase), SUM(revenue_micros) FROM cube GROUP BY 1, 2, 3"
    )
    db.executemany(
        "INSERT INTO brands VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        ((b, int(v), 10, 2, 5, 1_000_000) for b, v in zip(brands, rng.integers(1, 100_000, 2_000), strict=True)),
    )
    db.executemany("INSERT INTO categories VALUES (?, 1000, 10, 2, 5, 1000000)", ((c,) for c in categories))
    db.executemany(
        "INSERT INTO products VALUES (?, ?, 1, 0, ?, ?)",
        ((p, int(rng.integers(0, 500)), int(p % 3), int(p % 3) * 99_000_000) for p in range(200_000)),
    )
    db.executemany(
        "INSERT INTO sessions VALUES (?, ?)",
        ((f"session-{i:08d}", int(f)) for i, f in enumerate(rng.integers(1, 16, 2_000_000))),
    )
    db.executemany("INSERT INTO users VALUES (?)", ((u,) for u in range(1_000_000)))
    db.executemany(
        "INSERT INTO rejects (source, seq, reason, raw, received_at) VALUES ('bench', ?, 'malformed', ?, ?)",
        ((i, b"x,y", day + i) for i in range(10_000)),
    )
    db.executemany(
        "INSERT INTO counters VALUES (?, ?)",
        [("received", 80_000_000), ("late_events", 1234), ("band:0-50", 9), ("present:brand", 70_000_000)],
    )
    db.execute(
        "INSERT INTO workers VALUES "
        "('embedded', ?, ?, 1, 80000000, 1000.0, 120.0, 300.0, 450.0, 0, 200000000, ?, ?, NULL)",
        (time.time() - 86_400, time.time(), (day + 86_399) * 1_000_000, time.time()),
    )
    db.commit()
    db.close()


def refresh_cycle(store_url: str, cycles: int) -> list[tuple[str, float, float, float]]:
    from dash._utils import to_json

    from ecomstream.dashboard import render
    from ecomstream.dashboard.data import LiveData
    from ecomstream.report.live import View

    views = {
        "all time, no filter": View(),
        "last 5 minutes": View("5m"),
        "last hour, brand": View("1h", brand="brand0001"),
        "all time, category": View(category="electronics"),
    }
    results = []
    for name, view in views.items():
        cold_data = LiveData(store_url)
        started = time.perf_counter()
        to_json(render.page(cold_data.snapshot(view)))
        cold = time.perf_counter() - started
        cold_data.close()
        data = LiveData(store_url)
        to_json(render.page(data.snapshot(view)))
        times = []
        for _ in range(cycles):
            time.sleep(1.0)  # the page's default pace: every fast panel has expired
            started = time.perf_counter()
            to_json(render.page(data.snapshot(view)))
            times.append(time.perf_counter() - started)
        data.close()
        results.append((name, cold, statistics.median(times), max(times)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument(
        "--batch-wait-ms",
        type=int,
        default=ProcessorSettings().max_wait_ms,
        help="The processor's longest wait to fill a micro-batch (default: the project's).",
    )
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-refresh", action="store_true")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="ecomstream-bench-") as folder:
        workdir = Path(folder)
        if not args.skip_latency:
            if not DATA.is_file():
                raise SystemExit(f"missing {DATA}: the shared data must be beside the repository")
            print(
                f"hand-off to the bus -> visible through GET /api/totals (weighted by events; "
                f"batch wait {args.batch_wait_ms} ms)"
            )
            print(
                f"{'rate/s':>8} {'achieved':>9} {'events':>8} {'commits':>7} {'p50':>8} {'p95':>8} {'p99':>8} "
                f"{'max':>8} {'commit p50/p99':>15} {'poll':>6}"
            )
            for rate in args.rates:
                r = latency_run(rate, args.seconds, workdir, args.batch_wait_ms)
                print(
                    f"{r['rate']:>8,} {r['achieved_rate']:>9,.0f} {r['events']:>8,} {r['commits']:>7,} "
                    f"{r['p50_s'] * 1000:>6.0f}ms {r['p95_s'] * 1000:>6.0f}ms {r['p99_s'] * 1000:>6.0f}ms "
                    f"{r['max_s'] * 1000:>6.0f}ms {r['commit_p50_ms']:>8.0f}/{r['commit_p99_ms']:.0f} ms "
                    f"{r['poll_ms']:>4.1f}ms"
                )
                if rate >= 10_000 and r["p99_s"] >= P99_FLOOR_S:
                    failed = True
                    print(f"  FLOOR MISSED: p99 {r['p99_s']:.3f} s >= {P99_FLOOR_S} s at {rate}/s")
        if not args.skip_refresh:
            path = workdir / "day.db"
            started = time.perf_counter()
            fill_day(path)
            print(
                f"\nrefresh cycle (snapshot + components + JSON), store with a day of 1-second windows "
                f"(filled in {time.perf_counter() - started:.1f} s, {path.stat().st_size / 2**20:,.0f} MiB)"
            )
            print(f"{'view':<22} {'cold':>9} {'steady p50':>11} {'steady max':>11}")
            for name, cold, p50, worst in refresh_cycle(f"sqlite:///{path}", args.cycles):
                print(f"{name:<22} {cold * 1000:>7.0f}ms {p50 * 1000:>9.0f}ms {worst * 1000:>9.0f}ms")
                if worst >= REFRESH_FLOOR_S:
                    failed = True
                    print(f"  FLOOR MISSED: {worst * 1000:.0f} ms >= {REFRESH_FLOOR_S * 1000:.0f} ms")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
