"""Pacing: hand batches on at `--rate N` events/s, at `--speed X` times the original
gaps between event times, or as fast as the bus takes them.

Paced batches are cut into slices of at most a tick (50 ms) of wall time, so a paced
stream looks live: small batches often, not large ones rarely.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from ecomstream.events.raw import RawBatch

TICK_S = 0.05


@dataclass(frozen=True, slots=True)
class Pace:
    """How fast to hand events on; neither set means as fast as possible."""

    rate: float | None = None
    speed: float | None = None

    @property
    def unlimited(self) -> bool:
        return not self.rate and not self.speed


def paced(
    batches: Iterator[RawBatch],
    pace: Pace,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[RawBatch]:
    """Re-cut and delay batches to follow `pace`."""
    if pace.unlimited:
        yield from batches
        return
    started = clock()
    handed = 0
    first_event_s: float | None = None
    per_tick = max(1, int((pace.rate or 0) * TICK_S)) if pace.rate else 2_000
    for batch in batches:
        for piece in split(batch, per_tick):
            if pace.rate:
                due = started + handed / pace.rate
            else:
                moment = _first_time_s(piece)
                if moment is not None and first_event_s is None:
                    first_event_s = moment
                due = started + ((moment or first_event_s or 0) - (first_event_s or 0)) / (pace.speed or 1)
            wait = due - clock()
            if wait > 0:
                sleep(wait)
            handed += piece.count
            yield replace(piece, handed_at=time.time())


def split(batch: RawBatch, rows: int) -> Iterator[RawBatch]:
    """Cut a batch into consecutive pieces of at most `rows` records."""
    if batch.count <= rows:
        yield batch
        return
    if batch.csv is not None:
        buf = np.frombuffer(batch.csv, dtype=np.uint8)
        ends = np.flatnonzero(buf == 10) + 1
        bounds = [0, *(int(ends[i - 1]) for i in range(rows, batch.count, rows)), len(batch.csv)]
        pieces = [batch.csv[a:b] for a, b in itertools.pairwise(bounds)]
        payloads = [{"csv": p} for p in pieces]
        counts = [p.count(b"\n") for p in pieces]
    elif batch.frame is not None:
        payloads = [{"frame": batch.frame.slice(i, rows)} for i in range(0, batch.count, rows)]
        counts = [min(rows, batch.count - i) for i in range(0, batch.count, rows)]
    else:
        yield batch
        return
    seq = batch.first_seq
    for index, (payload, count) in enumerate(zip(payloads, counts, strict=True)):
        last = batch.last_in_source and index == len(counts) - 1
        yield RawBatch(batch.source, seq, count, **payload, time_shift_us=batch.time_shift_us, last_in_source=last)
        seq += count


def _first_time_s(batch: RawBatch) -> float | None:
    """Original event time (epoch s) of a batch's first record, if it can be read."""
    text: str | None = None
    if batch.csv:
        text = batch.csv[: batch.csv.find(b",")].decode(errors="replace").strip()
    elif batch.frame is not None and batch.frame.height:
        text = batch.frame["event_time"][0]
    if not text:
        return None
    try:
        if text.endswith(" UTC"):
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC).timestamp()
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
