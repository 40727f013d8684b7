"""The metric set as one mergeable value.

`Deltas` holds what a batch adds to every metric of ../shared/METRICS.md, as small
frames of additive rows (counts and integer money) plus a few set-like tables (sessions
with their funnel flags, users). Two deltas merge with `+`; merging is associative and
commutative, so results do not depend on how events are split into batches or workers.
The store applies deltas with the same rules (sums, bitwise or, set union).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from ecomstream.events.schema import EVENT_TYPES

TYPE_COLUMNS: tuple[str, ...] = EVENT_TYPES
"""Per-type count columns of the windows, brands and categories tables."""

FLAG = {"view": 1, "cart": 2, "remove_from_cart": 4, "purchase": 8}
"""Session funnel flags: a session's flags are the bitwise or of its events' flags."""

_COUNTS = [pl.col(name).cast(pl.Int64) for name in (*TYPE_COLUMNS, "revenue_micros")]


def summed_by(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    return frame.group_by(key).agg(pl.col(c).sum() for c in frame.columns if c != key)


@dataclass(slots=True)
class Deltas:
    """What a set of events adds to the metrics. Frames have one row per key, in no order."""

    windows: pl.DataFrame
    """window (epoch s), view, cart, remove_from_cart, purchase, revenue_micros."""
    brands: pl.DataFrame
    """brand, view, cart, remove_from_cart, purchase, revenue_micros."""
    categories: pl.DataFrame
    """category, view, cart, remove_from_cart, purchase, revenue_micros."""
    products: pl.DataFrame
    """product_id, view, cart, remove_from_cart, purchase, revenue_micros."""
    sessions: pl.DataFrame
    """user_session, flags (bitwise or of FLAG)."""
    users: pl.DataFrame
    """user_id (distinct)."""
    counters: Counter[str] = field(default_factory=Counter)
    """Scalar counts: received, late_events, band:<name>, present:<field>, rejected:<reason>."""

    def __add__(self, other: Deltas) -> Deltas:
        def concat(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
            return pl.concat([a, b], how="vertical")

        return Deltas(
            windows=summed_by(concat(self.windows, other.windows), "window"),
            brands=summed_by(concat(self.brands, other.brands), "brand"),
            categories=summed_by(concat(self.categories, other.categories), "category"),
            products=summed_by(concat(self.products, other.products), "product_id"),
            sessions=concat(self.sessions, other.sessions).group_by("user_session").agg(pl.col("flags").bitwise_or()),
            users=concat(self.users, other.users).unique(),
            counters=self.counters + other.counters,
        )

    @property
    def events(self) -> int:
        """Accepted events counted in these deltas."""
        if self.windows.height == 0:
            return 0
        return int(self.windows.select(pl.sum_horizontal(*TYPE_COLUMNS).sum()).item())

    def equals(self, other: Deltas) -> bool:
        """Field-by-field equality (frames compared as tables sorted by their key)."""

        def by_key(frame: pl.DataFrame) -> pl.DataFrame:
            return frame.sort(frame.columns[0])

        pairs = [
            (self.windows, other.windows),
            (self.brands, other.brands),
            (self.categories, other.categories),
            (self.products, other.products),
            (self.sessions, other.sessions),
            (self.users, other.users),
        ]
        same_frames = all(by_key(a).equals(by_key(b)) for a, b in pairs)
        return same_frames and +self.counters == +other.counters
