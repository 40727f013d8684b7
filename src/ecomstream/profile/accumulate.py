"""Folding validated chunks into mergeable partial aggregates.

Each chunk is grouped once per aggregate (the queries run together on both cores) and
the small per-chunk results go into `Tally` tables. What is kept grows with distinct
values only: event seconds, prices, products, brands, categories and category ids (all
small next to the rows), plus two sets needed for exact figures:

- sessions: one row per distinct (user_session, user_id, event type) with its event
  count, about 70 bytes each (14 M sessions, a whole REES46 month, would take ~1 GB);
- duplicate rows: one 64-bit hash per distinct raw record of the current file (8 bytes a row,
  up to twice that while merging). Two different rows sharing a hash would count as a
  duplicate: about n²/2⁶⁵, under 10⁻⁴ for 10⁸ rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ecomstream.events.schema import MICROS
from ecomstream.profile.decoding import Chunked
from ecomstream.profile.late import ALLOWED_LATENESS_S, late_flags
from ecomstream.profile.tally import Tally

HOUR_US = 3600 * MICROS

_COUNT = pl.len().cast(pl.Int64).alias("n")
_PRICE_SUM = pl.col("price_micros").sum().alias("price_micros")
_SUMS = {"n": "sum", "price_micros": "sum"}


def _tallies() -> dict[str, Tally]:
    i64, text = pl.Int64, pl.String
    per_type = {"type": pl.Int8, "n": i64, "price_micros": i64}
    return {
        "times": Tally({"ts_us": i64, "n": i64}, ["ts_us"], {"n": "sum"}),
        "hours": Tally({"hour": i64, **per_type}, ["hour", "type"], _SUMS),
        "prices": Tally({"price_micros": i64, "n": i64}, ["price_micros"], {"n": "sum"}),
        "brands": Tally({"brand": text, **per_type}, ["brand", "type"], _SUMS),
        "categories": Tally({"category_code": text, **per_type}, ["category_code", "type"], _SUMS),
        "products": Tally({"product_id": i64, **per_type}, ["product_id", "type"], _SUMS),
        "category_ids": Tally({"category_id": i64, "n": i64}, ["category_id"], {"n": "sum"}),
        "sessions": Tally(
            {"user_session": text, "user_id": i64, "type": pl.Int8, "n": pl.UInt32},
            ["user_session", "user_id", "type"],
            {"n": "sum"},
        ),
    }


def _chunk_queries(accepted: pl.LazyFrame) -> dict[str, pl.LazyFrame]:
    """Per-chunk partial aggregates, one per tally."""
    per_type = [_COUNT, _PRICE_SUM]
    return {
        "times": accepted.group_by("ts_us").agg(_COUNT),
        "hours": accepted.group_by((pl.col("ts_us") // HOUR_US).alias("hour"), "type").agg(per_type),
        "prices": accepted.group_by("price_micros").agg(_COUNT),
        "brands": accepted.group_by("brand", "type").agg(per_type),
        "categories": accepted.group_by("category_code", "type").agg(per_type),
        "products": accepted.group_by("product_id", "type").agg(per_type),
        "category_ids": accepted.group_by("category_id").agg(_COUNT),
        "sessions": accepted.group_by("user_session", "user_id", "type").agg(pl.len().alias("n")),
    }


@dataclass
class FileStats:
    """Per-file counts of the profile."""

    path: str
    format: str
    bytes: int
    rows: int = 0
    accepted: int = 0
    duplicate_rows: int = 0
    truncated: bool = False
    """The file (gzip) ends early: its whole rows are profiled, the cut one is not."""
    cut_bytes: int = 0
    """Bytes of the incomplete record a truncated file ends with (left out)."""


@dataclass
class Accumulator:
    """Everything the profile needs, updated chunk by chunk in file order."""

    lateness_s: float = ALLOWED_LATENESS_S
    received: int = 0
    present: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    late_events: int = 0
    seen_max_us: int | None = None
    first_us: int | None = None
    last_us: int | None = None
    tallies: dict[str, Tally] = field(default_factory=_tallies)
    files: list[FileStats] = field(default_factory=list)
    _row_hashes: Tally = field(init=False, default_factory=lambda: _hash_set())
    _hashed_rows: int = field(init=False, default=0)

    def start_file(self, stats: FileStats) -> None:
        """Begin a file: duplicate rows are counted within each file."""
        self.files.append(stats)
        self._row_hashes, self._hashed_rows = _hash_set(), 0

    def end_file(self) -> None:
        """Close the current file's duplicate count and free its row hashes."""
        stats = self.files[-1]
        stats.duplicate_rows = self._hashed_rows - self._row_hashes.distinct()
        self._row_hashes, self._hashed_rows = _hash_set(), 0

    def add(self, chunk: Chunked) -> None:
        """Fold one chunk of the current file (decoded, validated and hashed) in."""
        validated = chunk.validated
        stats = self.files[-1]
        stats.rows += validated.received
        stats.accepted += validated.accepted.height
        self.received += validated.received
        self.present.update(validated.present)
        if validated.rejected.height:
            self.rejected.update(dict(validated.rejected.group_by("reason").len().iter_rows()))
        accepted = validated.accepted
        queries = _chunk_queries(accepted.lazy())
        for name, part in zip(queries, pl.collect_all(list(queries.values())), strict=True):
            self.tallies[name].add(part)
        self._hashed_rows += chunk.hashes.len()
        self._row_hashes.add(chunk.hashes.alias("h").to_frame())
        self._track_time(accepted["ts_us"].to_numpy())

    def _track_time(self, ts_us: np.ndarray) -> None:
        if ts_us.size == 0:
            return
        late, self.seen_max_us = late_flags(ts_us, self.seen_max_us, self.lateness_s)
        self.late_events += int(late.sum())
        low, high = int(ts_us.min()), int(ts_us.max())
        self.first_us = low if self.first_us is None else min(self.first_us, low)
        self.last_us = high if self.last_us is None else max(self.last_us, high)


def _hash_set() -> Tally:
    """Distinct row hashes; 8 bytes a row, so it may wait for more rows before merging."""
    return Tally({"h": pl.UInt64}, ["h"], {}, min_compact_rows=1 << 21)
