"""The store interface: what the processor writes and what readers query.

A store applies a `Commit` atomically and answers read-only SQL written in the portable
subset shared by SQLite and PostgreSQL, with `?` placeholders.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ecomstream.metrics.deltas import Deltas


@dataclass(slots=True)
class Reject:
    """A dead-lettered record: where it came from, why, and its original bytes."""

    source: str
    seq: int
    reason: str
    raw: bytes
    received_at: float


@dataclass(slots=True)
class Position:
    """How far a source has been committed (its last `seq`) and whether it is done."""

    seq: int
    finished: bool = False
    time_shift_us: int = 0


@dataclass(slots=True)
class WorkerFigures:
    """Measured pipeline figures of one worker, refreshed at each commit."""

    worker: str
    started_at: float
    updated_at: float
    running: bool
    events: int
    events_per_s: float
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    lag: int | None = None
    rss_bytes: int | None = None
    watermark_us: int | None = None
    last_commit_at: float | None = None
    detail: str | None = None
    """JSON text with worker-specific extras (e.g. lag per partition)."""


@dataclass(slots=True)
class Commit:
    """Everything one micro-batch writes, applied in one transaction."""

    deltas: Deltas | None = None
    rejects: list[Reject] = field(default_factory=list)
    positions: dict[str, Position] = field(default_factory=dict)
    streams: dict[str, int] = field(default_factory=dict)
    """Stream -> max event time seen (epoch µs), the watermark's base."""
    figures: WorkerFigures | None = None
    expected: dict[str, int] = field(default_factory=dict)
    """Positions that must still hold these `seq` values (a missing row counts as 0) for
    the commit to apply; otherwise nothing is written and `StaleCommit` is raised. This
    fences off a worker that lost its Kafka partitions without noticing."""


class Store(abc.ABC):
    """Where metrics live. Implementations: SQLite (embedded) and PostgreSQL (shared)."""

    url: str

    @abc.abstractmethod
    def commit(self, commit: Commit) -> None:
        """Apply deltas, rejects, positions and figures atomically."""

    @abc.abstractmethod
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query with `?` placeholders."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""

    def positions(self) -> dict[str, Position]:
        """Committed positions of every source."""
        return {
            source: Position(int(seq), bool(finished), int(shift))
            for source, seq, finished, shift in self.rows("SELECT source, seq, finished, time_shift_us FROM positions")
        }

    def stream_max(self, stream: str) -> int | None:
        """Max event time (epoch µs) committed for a stream, or None."""
        found = self.rows("SELECT max_ts_us FROM streams WHERE stream = ?", (stream,))
        return int(found[0][0]) if found else None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
