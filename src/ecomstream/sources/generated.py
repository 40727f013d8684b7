"""The synthetic generator as a source of raw batches (see `synthetic`)."""

from __future__ import annotations

from collections.abc import Iterator

from ecomstream.events.raw import RawBatch

DEFAULT_START_US = 1_572_566_400_000_000
"""2019-11-01 00:00:00 UTC, where the calibration data starts."""


def generator_source_id(seed: int) -> str:
    return f"generator#seed={seed}"


def read_generator(
    seed: int,
    after_seq: int = 0,
    limit: int | None = None,
    batch_rows: int = 100_000,
    events_per_second: float = 50.0,
    time_shift_us: int = 0,
) -> Iterator[RawBatch]:
    """Raw batches of generated events numbered above `after_seq`, up to `limit` in all."""
    from ecomstream.sources.synthetic import EventGenerator

    generator = EventGenerator(seed=seed, start_us=DEFAULT_START_US, events_per_second=events_per_second)
    generator.skip(after_seq)
    source = generator_source_id(seed)
    seq = after_seq + 1
    while limit is None or seq <= limit:
        rows = batch_rows if limit is None else min(batch_rows, limit - seq + 1)
        frame = generator.take(rows)
        last = limit is not None and seq + rows > limit
        yield RawBatch(source, seq, rows, frame=frame, time_shift_us=time_shift_us, last_in_source=last)
        seq += rows
    if limit is not None and after_seq >= limit:
        yield RawBatch(source, limit + 1, 0, csv=b"", last_in_source=True)
