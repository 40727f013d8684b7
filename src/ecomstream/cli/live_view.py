"""The live terminal view of a running pipeline (rich)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rich.console import Console
from rich.live import Live
from rich.table import Table

from ecomstream.processor.loop import RunStats


def stats_table(stats: RunStats, lag: int | None, title: str = "ecomstream") -> Table:
    """One table of what the pipeline is doing now."""
    table = Table(title=title, show_header=False, min_width=48)
    table.add_column("figure", style="bold")
    table.add_column("value", justify="right")
    percentiles = stats.latency.percentiles()
    table.add_row("events/s (last 5 s)", f"{stats.events_per_s():,.0f}")
    table.add_row("received", f"{stats.received:,}")
    table.add_row("accepted", f"{stats.accepted:,}")
    table.add_row("rejected", f"{stats.rejected:,}")
    table.add_row("late events", f"{stats.late:,}")
    table.add_row("transport duplicates dropped", f"{stats.duplicates:,}")
    table.add_row("lag to the source (events on the bus)", "-" if lag is None else f"{lag:,}")
    if percentiles:
        p50, _, p99 = percentiles
        table.add_row("latency hand-off -> commit p50 / p99", f"{p50:,.0f} ms / {p99:,.0f} ms")
    if stats.watermark_us is not None:
        moment = datetime.fromtimestamp(stats.watermark_us / 1e6, tz=UTC)
        table.add_row("watermark", moment.strftime("%Y-%m-%d %H:%M:%S UTC"))
    table.add_row("commits", f"{stats.commits:,}")
    table.add_row("running for", f"{time.time() - stats.started_at:,.1f} s")
    return table


class LiveView:
    """Refreshes the stats table while the pipeline runs (off with `--quiet`)."""

    def __init__(self, stats_source, lag_source, console: Console | None = None) -> None:
        self._stats = stats_source
        self._lag = lag_source
        self._live = Live(console=console or Console(stderr=True), refresh_per_second=2, transient=False)

    def refresh(self) -> None:
        self._live.update(stats_table(self._stats(), self._lag()))

    def __enter__(self) -> LiveView:
        self._live.__enter__()
        self.refresh()
        return self

    def __exit__(self, *exc: object) -> None:
        self.refresh()
        self._live.__exit__(None, None, None)
