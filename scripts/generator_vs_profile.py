"""Compare generated events with the real figures stored in the generator profile.

Usage: `python scripts/generator_vs_profile.py [--events N] [--rate EPS] [--seed S]`

Also measures the generator's speed (events/s of wall time, `take` in 100k batches,
after the first window is built).
"""

from __future__ import annotations

import argparse
import time

import polars as pl

from ecomstream.sources.clickstats import describe, prepare, window_repeat_share
from ecomstream.sources.synthetic import EventGenerator, load_profile


def _flat(figures: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    profile = load_profile()
    generator = EventGenerator(seed=args.seed, events_per_second=args.rate, profile=profile)
    frames = [generator.take(1)]  # builds the first window, and the blocks it overlaps
    started = time.perf_counter()
    frames += [generator.take(100_000) for _ in range(max(1, args.events // 100_000))]
    elapsed = time.perf_counter() - started
    events = pl.concat(frames)
    print(f"generated {events.height:,} events in {elapsed:.2f} s: {events.height / elapsed:,.0f} events/s")
    rows = prepare(events)
    generated = describe(rows)
    window = int(profile.targets.get("window_s", 0))
    if window:
        first = rows["t"].min()
        in_window = rows.filter(pl.col("t") < first + window)
        generated["window_repeat_share"] = window_repeat_share(in_window)
    real = _flat(profile.targets)
    print(f"{'figure':40} {'real':>12} {'generated':>12}")
    for key, value in _flat(generated).items():
        print(f"{key:40} {real.get(key, '')!s:>12} {value!s:>12}")


if __name__ == "__main__":
    main()
