"""Benchmark inputs made from the real samples, cached outside the repository."""

from __future__ import annotations

import gzip
from pathlib import Path

from ecomstream.errors import ConfigError

REES46 = (
    "rees46_2019oct_head_17434rows.csv.gz",
    "rees46_2019oct_tail_100000rows.csv.gz",
    "rees46_2019nov_head_300000rows.csv.gz",
)
ALL = (*REES46, "electronics_store_fragments_2397rows.csv.gz")


def find_data_dir(explicit: Path | None = None) -> Path:
    """The shared samples: explicit, $ECOMSTREAM_SHARED_DATA, or ../shared/data near here."""
    import os

    candidates = [explicit] if explicit else []
    if os.environ.get("ECOMSTREAM_SHARED_DATA"):
        candidates.append(Path(os.environ["ECOMSTREAM_SHARED_DATA"]))
    here = Path.cwd()
    candidates += [here.parent / "shared" / "data", Path(__file__).resolve().parents[4] / "shared" / "data"]
    for candidate in candidates:
        if candidate and candidate.is_dir():
            return candidate
    msg = "cannot find the sample data: pass --data-dir or set ECOMSTREAM_SHARED_DATA"
    raise ConfigError(msg)


def concatenated_csv(data_dir: Path, min_rows: int, cache: Path) -> tuple[Path, int]:
    """An uncompressed CSV of the REES46 samples repeated until it holds `min_rows` rows."""
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"rees46_repeated_{min_rows}.csv"
    bodies = []
    header = b""
    for name in REES46:
        with gzip.open(data_dir / name, "rb") as handle:
            header = handle.readline()
            bodies.append(handle.read())
    per_round = sum(body.count(b"\n") for body in bodies)
    rounds = -(-min_rows // per_round)
    rows = rounds * per_round
    if not target.exists() or target.stat().st_size == 0:
        partial = target.with_suffix(".partial")
        with partial.open("wb") as out:
            out.write(header)
            for _ in range(rounds):
                for body in bodies:
                    out.write(body)
        partial.rename(target)
    return target, rows
