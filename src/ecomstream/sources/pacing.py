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
    per_tick = max(1, int((pace.rate or 0) * TICK_S))
    for batch in batches:
        if pace.rate:
            for piece in split(batch, per_tick):
                wait = started + handed / pace.rate - clock()
                if wait > 0:
                    sleep(wait)
                handed += piece.count
                yield replace(piece, handed_at=time.time())
            continue
        speed = pace.speed or 1.0
        for piece, moment in split_by_time(batch, TICK_S * speed):
            if moment is not None:
                first_event_s = moment if first_event_s is None else first_event_s
                wait = started + (moment - first_event_s) / speed - clock()
                if wait > 0:
                    sleep(wait)
            yield replace(piece, handed_at=time.time())


def split_by_time(batch: RawBatch, span_s: float, max_rows: int = 2_000) -> Iterator[tuple[RawBatch, float | None]]:
    """Cut a batch where its event times move on by more than `span_s`; each piece comes
    with the original event time (epoch s) of its first record, None when unreadable."""
    if batch.csv is not None and b'"' in batch.csv:  # records may span lines: keep it whole
        yield batch, _time_s(batch.csv.split(b",", 1)[0].decode(errors="replace").strip())
        return
    times = _event_times_s(batch)
    if not times:
        yield batch, None
        return
    sizes: list[int] = []
    starts: list[float | None] = []
    piece_start: float | None = None
    for moment in times:
        if sizes and sizes[-1] < max_rows and (moment is None or piece_start is None or moment - piece_start <= span_s):
            sizes[-1] += 1
            continue
        sizes.append(1)
        starts.append(moment)
        piece_start = moment if moment is not None else piece_start
    yield from zip(_cut(batch, sizes), starts, strict=True)


def split(batch: RawBatch, rows: int) -> Iterator[RawBatch]:
    """Cut a batch into consecutive pieces of at most `rows` records."""
    if batch.count <= rows:
        yield batch
        return
    sizes = [min(rows, batch.count - i) for i in range(0, batch.count, rows)]
    yield from _cut(batch, sizes)


def _cut(batch: RawBatch, sizes: list[int]) -> Iterator[RawBatch]:
    """Consecutive pieces of the given record counts (which add up to the batch's)."""
    if len(sizes) <= 1 or (batch.csv is None and batch.frame is None):
        yield batch
        return
    if batch.csv is not None:
        ends = np.flatnonzero(np.frombuffer(batch.csv, dtype=np.uint8) == 10) + 1
        bounds = [0, *(int(ends[i - 1]) for i in itertools.accumulate(sizes[:-1])), len(batch.csv)]
        payloads: list[dict] = [{"csv": batch.csv[a:b]} for a, b in itertools.pairwise(bounds)]
    else:
        offsets = [0, *itertools.accumulate(sizes[:-1])]
        payloads = [{"frame": batch.frame.slice(o, n)} for o, n in zip(offsets, sizes, strict=True)]
    seq = batch.first_seq
    for index, (payload, count) in enumerate(zip(payloads, sizes, strict=True)):
        last = batch.last_in_source and index == len(sizes) - 1
        yield RawBatch(batch.source, seq, count, **payload, time_shift_us=batch.time_shift_us, last_in_source=last)
        seq += count


def _event_times_s(batch: RawBatch) -> list[float | None]:
    """Original event time (epoch s) of every record, None where unreadable."""
    if batch.csv:
        lines = batch.csv.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        texts = [line.split(b",", 1)[0].decode(errors="replace").strip() for line in lines]
    elif batch.frame is not None and batch.frame.height:
        texts = batch.frame["event_time"].to_list()
    else:
        return []
    cache: dict[str, float | None] = {}
    return [cache[t] if t in cache else cache.setdefault(t, _time_s(t)) for t in texts]


def _time_s(text: str | None) -> float | None:
    if not text:
        return None
    try:
        if text.endswith(" UTC"):
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC).timestamp()
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
