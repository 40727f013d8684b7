"""Benchmark `ecomstream profile` against merely parsing the same file with polars.

Makes an uncompressed CSV of at least `--rows` rows by repeating the data rows of the
shared `.csv.gz` files (into `.cache/`, not committed), then times, on the same file:

- `pl.read_csv(path)`: parsing only, polars' defaults;
- `profile_files([path])`: the whole profile.

Each is run `--runs` times, alternating, each time in a fresh interpreter (so neither
inherits the other's memory); the best run of each gives the rows/s and the ratio. CPU
time and peak RSS are printed too: CPU time well above wall time times the cores in use,
or wall time well above CPU time, shows how busy the machine was.

    .venv/bin/python benchmarks/bench_profile.py [--rows 2000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ecomstream.profile import profile_files

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ECOMSTREAM_SHARED_DATA", ROOT / ".." / "shared" / "data"))
CACHE = ROOT / ".cache"


def make_csv(rows: int) -> Path:
    """A CSV with the header once and the shared data rows repeated to >= `rows` rows."""
    sources = sorted(SHARED_DATA.glob("*.csv.gz"))
    if not sources:
        msg = f"no .csv.gz files in {SHARED_DATA}; set ECOMSTREAM_SHARED_DATA to the shared data folder"
        raise SystemExit(msg)
    header, body = b"", bytearray()
    for source in sources:
        text = gzip.decompress(source.read_bytes())
        header, _, data = text.partition(b"\n")
        body += data if data.endswith(b"\n") else data + b"\n"
    per_copy = body.count(b"\n")
    copies = -(-rows // per_copy)
    path = CACHE / f"bench_profile_{per_copy * copies}rows.csv"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        partial = path.with_suffix(".part")
        with partial.open("wb") as out:
            out.write(header + b"\n")
            for _ in range(copies):
                out.write(body)
        partial.replace(path)
    return path


def measure(name: str, path: Path) -> dict:
    """Time one task in this process: rows, wall and CPU seconds, peak RSS."""
    work: dict[str, Callable[[], int]] = {
        "read_csv": lambda: pl.read_csv(path).height,
        "profile": lambda: profile_files([path])["rows"],
    }
    cpu, wall = time.process_time(), time.perf_counter()
    rows = work[name]()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"rows": rows, "wall": wall, "cpu": cpu, "peak": peak}


def in_child(name: str, path: Path) -> dict:
    """`measure` in a fresh interpreter, so neither task inherits the other's memory."""
    command = [sys.executable, __file__, "--measure", name, str(path)]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="at least this many rows (default 2,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each, the best counts (default 3)")
    parser.add_argument("--measure", nargs=2, metavar=("TASK", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    path = make_csv(args.rows)
    print(f"file: {path.name} ({path.stat().st_size / 1e6:,.0f} MB), {os.cpu_count()} cores")
    best: dict[str, dict] = {}
    for run in range(1, args.runs + 1):
        for name in ("profile", "read_csv"):
            result = in_child(name, path)
            rows, wall = result["rows"], result["wall"]
            print(
                f"run {run} {name:8s}: {rows:,} rows in {wall:5.2f} s = {rows / wall / 1e6:4.2f} M rows/s"
                f" (CPU {result['cpu']:5.2f} s, peak RSS {result['peak'] / 2**20:,.0f} MiB)"
            )
            if name not in best or wall < best[name]["wall"]:
                best[name] = result
    rows, parse_s, profile_s = best["read_csv"]["rows"], best["read_csv"]["wall"], best["profile"]["wall"]
    print(
        f"best: read_csv {rows / parse_s / 1e6:.2f} M rows/s, profile {rows / profile_s / 1e6:.2f} M rows/s,"
        f" ratio profile/read_csv = {parse_s / profile_s:.2f}"
    )


if __name__ == "__main__":
    main()
