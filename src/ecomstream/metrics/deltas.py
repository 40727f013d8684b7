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

CUBE_KEYS = ("minute", "brand", "category")
"""Key of the cube frame: minute start (epoch s, a multiple of 60), brand, category."""

CUBE_SECONDS = 60
"""Time grain of the cube: brand x category counts per whole UTC minute."""

HOUR_SECONDS = 3_600
"""Time grain of the hourly cube, the cube summed per whole UTC hour."""


def summed_by(frame: pl.DataFrame, key: str | tuple[str, ...]) -> pl.DataFrame:
    keys = [key] if isinstance(key, str) else list(key)
    return frame.group_by(keys).agg(pl.col(c).sum() for c in frame.columns if c not in keys)


def key_columns(frame: pl.DataFrame) -> list[str]:
    """The columns of a delta frame that are not counts (its key), in frame order."""
    counts = {*TYPE_COLUMNS, "revenue_micros"}
    return [c for c in frame.columns if c not in counts]


def empty_cube() -> pl.DataFrame:
    """A cube frame without rows."""
    counts = {name: pl.Int64 for name in (*TYPE_COLUMNS, "revenue_micros")}
    return pl.DataFrame(schema={"minute": pl.Int64, "brand": pl.String, "category": pl.String, **counts})


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
    cube: pl.DataFrame = field(default_factory=empty_cube)
    """minute, brand, category, view, cart, remove_from_cart, purchase, revenue_micros: the same
    counts as `windows` split by brand and category, so time and dimension filters combine exactly."""

    def __add__(self, other: Deltas) -> Deltas:
        def summed(a: pl.DataFrame, b: pl.DataFrame, keys: tuple[str, ...]) -> pl.LazyFrame:
            both = pl.concat([a.lazy(), b.lazy()], how="vertical")
            return both.group_by(keys).agg(pl.col(c).sum() for c in a.columns if c not in keys)

        sessions = pl.concat([self.sessions.lazy(), other.sessions.lazy()], how="vertical")
        users = pl.concat([self.users.lazy(), other.users.lazy()], how="vertical")
        frames = pl.collect_all(  # the tables are summed together, on every core
            [
                summed(self.windows, other.windows, ("window",)),
                summed(self.brands, other.brands, ("brand",)),
                summed(self.categories, other.categories, ("category",)),
                summed(self.products, other.products, ("product_id",)),
                sessions.group_by("user_session").agg(pl.col("flags").bitwise_or()),
                users.unique(),
                summed(self.cube, other.cube, CUBE_KEYS),
            ]
        )
        windows, brands, categories, products, sessions_sum, users_sum, cube = frames
        return Deltas(
            windows=windows, brands=brands, categories=categories, products=products, sessions=sessions_sum,
            users=users_sum, counters=self.counters + other.counters, cube=cube,
        )  # fmt: skip

    @property
    def cube_hours(self) -> pl.DataFrame:
        """The cube summed per whole hour (hour, brand, category, counts): long ranges read these."""
        hours = self.cube.with_columns(pl.col("minute") // HOUR_SECONDS * HOUR_SECONDS)
        return summed_by(hours, CUBE_KEYS).rename({"minute": "hour"})

    @property
    def events(self) -> int:
        """Accepted events counted in these deltas."""
        if self.windows.height == 0:
            return 0
        return int(self.windows.select(pl.sum_horizontal(*TYPE_COLUMNS).sum()).item())

    def equals(self, other: Deltas) -> bool:
        """Field-by-field equality (frames compared as tables sorted by their key)."""

        def by_key(frame: pl.DataFrame) -> pl.DataFrame:
            return frame.sort(key_columns(frame))

        pairs = [
            (self.windows, other.windows),
            (self.brands, other.brands),
            (self.categories, other.categories),
            (self.products, other.products),
            (self.sessions, other.sessions),
            (self.users, other.users),
            (self.cube, other.cube),
        ]
        same_frames = all(by_key(a).equals(by_key(b)) for a, b in pairs)
        return same_frames and +self.counters == +other.counters
