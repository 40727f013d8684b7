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
        rows_rate = {name: r["rows"] / r["seconds"] for name, r in (("parse", parsed), ("replay", replay))}
        table.add_row("parse only (polars read_csv)", f"{parsed['rows']:,.0f}", f"{parsed['seconds']:.2f}",
                      f"{rows_rate['parse']:,.0f}", f"{parsed['cpu']:.2f}", f"{parsed['rss'] / 2**20:,.0f}")  # fmt: skip
        table.add_row("pipeline, full metric set -> SQLite", f"{replay['rows']:,.0f}", f"{replay['seconds']:.2f}",
                      f"{rows_rate['replay']:,.0f}", f"{replay['cpu']:.2f}", f"{replay['rss'] / 2**20:,.0f}")  # fmt: skip
        if memory:
            once, _ = concatenated_csv(data, 1, cache)
            short = _child("pipeline", f"sqlite:///{Path(scratch) / 'memory.db'}", str(once))
            table.add_row("pipeline, the 3 REES46 samples once", f"{short['rows']:,.0f}",
                          f"{short['seconds']:.2f}", f"{short['rows'] / short['seconds']:,.0f}",
                          f"{short['cpu']:.2f}", f"{short['rss'] / 2**20:,.0f}")  # fmt: skip
    console.print(table)
    console.print(f"pipeline / parse speed ratio: {rows_rate['replay'] / rows_rate['parse']:.2f}")
    console.print(
        f"parse / pipeline CPU-time ratio: {parsed['cpu'] / replay['cpu']:.2f} (less sensitive to a busy machine)"
    )
