"""`ecomstream bench`: replay real data as fast as possible and print figures."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ecomstream.bench.inputs import concatenated_csv, find_data_dir
from ecomstream.cli.options import option


def _child(*args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "ecomstream.bench.child", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        msg = f"benchmark child {args[0]} failed: {done.stderr.strip()[-2000:]}"
        raise click.ClickException(msg)
    return json.loads(done.stdout.strip().splitlines()[-1])


@click.command("bench")
@option(
    "--data-dir",
    env="DATA_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the sample .csv.gz files (default: ../shared/data).",
)
@option(
    "--rows",
    env="BENCH_ROWS",
    type=click.IntRange(min=1),
    default=2_000_000,
    help="At least this many rows in the replayed file.",
)
@option(
    "--cache",
    env="CACHE",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".cache/bench"),
    help="Where the generated benchmark input is kept.",
)
@option(
    "--memory/--no-memory",
    env="BENCH_MEMORY",
    default=True,
    help="Also replay the three REES46 .csv.gz files five times in a row and report peak memory.",
)
def bench_command(data_dir: Path | None, rows: int, cache: Path, memory: bool) -> None:  # fmt: skip
    """Full-speed replay through the whole metric set, next to merely parsing the file.

    Each figure comes from its own child process, timed after its imports; the ratio of
    the two speeds shows how close the pipeline is to the parsing limit.
    """
    data = find_data_dir(data_dir)
    console = Console()
    path, expected = concatenated_csv(data, rows, cache)
    console.print(
        f"input: {path} ({expected:,} rows, {path.stat().st_size / 1e6:,.0f} MB: "
        "the three REES46 samples concatenated until it holds --rows)"
    )
    table = Table(title="ecomstream bench (one run, same machine)")
    for column in ("what", "rows", "seconds", "rows/s", "CPU s", "peak RSS MiB"):
        table.add_column(column, justify="left" if column == "what" else "right")
    with tempfile.TemporaryDirectory() as scratch:
        parsed = _child("parse", str(path))
        replay = _child("pipeline", f"sqlite:///{Path(scratch) / 'bench.db'}", str(path))
        _add_row(table, "parse only (polars read_csv)", parsed)
        _add_row(table, "pipeline, full metric set -> SQLite", replay)
        if memory:
            once, _ = concatenated_csv(data, 1, cache)
            _add_row(table, "pipeline, the 3 REES46 samples once",
                     _child("pipeline", f"sqlite:///{Path(scratch) / 'memory.db'}", str(once)))  # fmt: skip
    console.print(table)
    speed_ratio = (replay["rows"] / replay["seconds"]) / (parsed["rows"] / parsed["seconds"])
    console.print(f"pipeline / parse speed ratio: {speed_ratio:.2f}")
    console.print(f"parse / pipeline CPU-time ratio: {parsed['cpu'] / replay['cpu']:.2f} (steadier on a busy machine)")


def _add_row(table: Table, what: str, figures: dict[str, float]) -> None:
    rate = figures["rows"] / figures["seconds"]
    table.add_row(what, f"{figures['rows']:,.0f}", f"{figures['seconds']:.2f}", f"{rate:,.0f}",
                  f"{figures['cpu']:.2f}", f"{figures['rss'] / 2**20:,.0f}")  # fmt: skip
