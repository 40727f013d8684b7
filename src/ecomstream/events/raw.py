"""Raw batches: what sources hand to the bus before any parsing.

A raw batch is a run of consecutive records of one source. Its records are numbered
`first_seq, first_seq + 1, ...`; `(source, seq)` is the record's `event_id`. Keeping the
payload raw on the bus lets the processor parse, validate and dead-letter in one place,
with the original bytes at hand.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import polars as pl

from ecomstream.events.schema import FIELDS


@dataclass(frozen=True, slots=True)
class RawBatch:
    """Consecutive raw records of one source.

    Exactly one payload is set:

    - `csv`: data lines of a CSV file (no header), each ending in a newline;
    - `frame`: a frame of the nine schema columns as strings (generator, Parquet);
    - `messages`: one JSON object per record (Kafka), with `seqs` and `sources` per record.
    """

    source: str
    first_seq: int
    count: int
    csv: bytes | None = None
    frame: pl.DataFrame | None = None
    messages: list[bytes] | None = None
    seqs: list[int] | None = None
    sources: list[str] | None = None
    handed_at: float = field(default_factory=time.time)
    """Wall-clock time (epoch seconds) when the batch was handed to the bus."""
    last_in_source: bool = False
    """True on the final batch of a finite source."""
    time_shift_us: int = 0
    """Added to every event time (`--time now` replays), in microseconds."""
    columns: tuple[str, ...] = FIELDS
    """The order of the fields in each `csv` line, from the file's header (`events.header`)."""

    @property
    def last_seq(self) -> int:
        return self.first_seq + self.count - 1
