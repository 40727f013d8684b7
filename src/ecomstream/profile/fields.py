"""Per-field figures: type, completeness, distinct values, top values, min and max.

Completeness is over received records (as the contract defines it); distinct, top and
min/max are over accepted events, with text as given after trimming.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from ecomstream.events.schema import EVENT_TYPES, FIELDS
from ecomstream.profile.stats import iso_time, money, ratio

TOP_VALUES = 5

FIELD_TYPES = {
    "event_time": "timestamp (UTC)",
    "event_type": "enum",
    "product_id": "integer",
    "category_id": "integer (optional)",
    "category_code": "text (optional)",
    "brand": "text (optional)",
    "price": "decimal >= 0",
    "user_id": "integer",
    "user_session": "text (optional)",
}


def value_counts(tallies: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Per field, a frame of (value, n) over accepted events, nulls left out."""
    sessions = tallies["sessions"]

    def summed(frame: pl.DataFrame, key: str) -> pl.DataFrame:
        frame = frame.filter(pl.col(key).is_not_null())
        if frame.columns == [key, "n"]:  # already one row per value
            return frame.select(pl.col(key).alias("value"), pl.col("n").cast(pl.Int64))
        return frame.group_by(pl.col(key).alias("value")).agg(pl.col("n").sum().cast(pl.Int64))

    return {
        "event_time": summed(tallies["times"], "ts_us"),
        "event_type": summed(tallies["hours"], "type"),
        "product_id": summed(tallies["products"], "product_id"),
        "category_id": summed(tallies["category_ids"], "category_id"),
        "category_code": summed(tallies["categories"], "category_code"),
        "brand": summed(tallies["brands"], "brand"),
        "price": summed(tallies["prices"], "price_micros"),
        "user_id": summed(sessions, "user_id"),
        "user_session": summed(sessions, "user_session"),
    }


_SHOW: dict[str, Callable[[object], object]] = {
    "event_time": lambda v: iso_time(v),  # type: ignore[arg-type]
    "event_type": lambda v: EVENT_TYPES[v],  # type: ignore[index]
    "price": lambda v: money(v),  # type: ignore[arg-type]
}
_ORDERED = {"event_time", "product_id", "category_id", "price", "user_id"}


def field_figures(counts: dict[str, pl.DataFrame], present: dict[str, int], received: int) -> dict[str, dict]:
    """The per-field section of the profile."""
    out = {}
    for name in FIELDS:
        frame = counts[name]
        show = _SHOW.get(name, lambda v: v)
        top = frame.top_k(TOP_VALUES, by=["n", "value"], reverse=[False, True]).sort(
            ["n", "value"], descending=[True, False]
        )
        figures: dict[str, object] = {
            "type": FIELD_TYPES[name],
            "completeness": ratio(present.get(name, 0), received),
            "distinct": frame.height,
            "top": [{"value": show(value), "count": n} for value, n in top.rows()],
        }
        if name in _ORDERED:
            low, high = frame.select(pl.col("value").min().alias("low"), pl.col("value").max().alias("high")).row(0)
            figures["min"] = None if low is None else show(low)
            figures["max"] = None if high is None else show(high)
        out[name] = figures
    return out
