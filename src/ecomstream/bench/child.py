"""What the benchmark runs in a child process, so start-up and peak memory are its own.

`python -m ecomstream.bench.child parse FILE` or `... pipeline STORE_URL FILE...` prints
one JSON line: seconds (timed after imports), rows, peak RSS in bytes.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def parse(path: Path) -> dict[str, float]:
    import polars as pl

    started, cpu = time.perf_counter(), _cpu_s()
    frame = pl.read_csv(path, schema_overrides={"category_id": pl.Int64, "user_id": pl.Int64})
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu": _cpu_s() - cpu, "rows": frame.height, "rss": _peak_rss()}


def pipeline(store_url: str, paths: list[Path]) -> dict[str, float]:
    from ecomstream.pipeline.embedded import EmbeddedPipeline, SourceSpec
    from ecomstream.store import open_store

    with open_store(store_url) as store:
        started, cpu = time.perf_counter(), _cpu_s()
        stats = EmbeddedPipeline(store, SourceSpec(files=paths)).run()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu": _cpu_s() - cpu, "rows": stats.accepted + stats.rejected, "rss": _peak_rss()}


def main(argv: list[str]) -> None:
    result = parse(Path(argv[1])) if argv[0] == "parse" else pipeline(argv[1], [Path(p) for p in argv[2:]])
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
