"""Counts under `Filters`: event totals, brands, categories and the time series.

Without a brand or category the counts come from the per-second `windows` (time range)
or the `brands` / `categories` totals (no range); with one they come from `cube`, the
same counts per minute x brand x category. Both are additive rows of the same deltas,
so the numbers agree exactly.
"""

from __future__ import annotations

import math
from typing import Any

from ecomstream.events.schema import EVENT_TYPES
from ecomstream.metrics.deltas import CUBE_SECONDS
from ecomstream.report import queries
from ecomstream.report.filters import Filters
from ecomstream.store.base import Store

_SUMS = ", ".join(f"COALESCE(SUM({name}), 0)" for name in (*EVENT_TYPES, "revenue_micros"))
_DIMENSIONS = {"brands": "brand", "categories": "category"}


def _where(filters: Filters, time_column: str, with_dimensions: bool) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if filters.since is not None:
        clauses.append(f"{time_column} >= ?")
        params.append(filters.since)
    if filters.until is not None:
        clauses.append(f"{time_column} < ?")
        params.append(filters.until)
    if with_dimensions:
        for column, value in (("brand", filters.brand), ("category", filters.category)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def totals(store: Store, filters: Filters) -> dict[str, Any]:
    """Events by type and revenue (micro-units) under the filters.

    Without filters the sums come from `categories` (a few rows; every event is in exactly
    one category, `(unknown)` included) instead of every window.
    """
    if not filters.active:
        row = store.rows(f"SELECT {_SUMS} FROM categories")[0]
    elif not filters.by_dimension:
        return queries.totals(store, filters.since, filters.until)
    else:
        where, params = _where(filters, "minute_start", with_dimensions=True)
        row = store.rows(f"SELECT {_SUMS} FROM cube{where}", params)[0]
    by_type = {name: int(row[i]) for i, name in enumerate(EVENT_TYPES)}
    return {"events": sum(by_type.values()), "by_type": by_type, "revenue_micros": int(row[-1])}


def dimension(store: Store, table: str, filters: Filters, limit: int | None = None) -> list[dict[str, Any]]:
    """Per brand or category (`table` is `brands` or `categories`) under the filters."""
    if table not in _DIMENSIONS:
        msg = f"unknown dimension table {table!r}: use brands or categories"
        raise ValueError(msg)
    key = _DIMENSIONS[table]
    if not filters.active:
        return queries.dimension(store, table, key, limit)
    where, params = _where(filters, "minute_start", with_dimensions=True)
    source = "cube"
    if not filters.by_dimension:
        # A time range alone: read the range through the primary key (minute first). Left
        # to itself, SQLite would walk the whole brand index to get the groups in order.
        source = f"(SELECT {key}, view, cart, purchase, revenue_micros FROM cube{where} ORDER BY minute_start) AS r"
        where = ""
    sql = (
        f"SELECT {key}, SUM(view) AS v, SUM(cart), SUM(purchase), SUM(revenue_micros) FROM {source}{where} "
        f"GROUP BY {key} ORDER BY v DESC, {key} ASC"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [
        {
            key: name,
            "views": int(views),
            "carts": int(carts),
            "purchases": int(purchases),
            "revenue": queries.money(revenue),
            "conversion": queries.ratio(purchases, views),
        }
        for name, views, carts, purchases, revenue in store.rows(sql, params)
    ]


def series_step(span_s: int, max_points: int, grain: int = 1) -> int:
    """Bucket width (s) so that `span_s` seconds give at most `max_points` buckets.

    >>> series_step(86_400, 600), series_step(300, 600), series_step(3_600, 600, grain=60)
    (144, 1, 60)
    """
    step = max(grain, math.ceil(span_s / max(max_points, 1)))
    return math.ceil(step / grain) * grain


def series(store: Store, filters: Filters, max_points: int = 600) -> dict[str, Any]:
    """Event counts by type and revenue per time bucket, at most `max_points` buckets.

    Buckets are 1-second windows when the range is short enough and no brand or category
    is chosen; otherwise wider (whole minutes with a brand or category). Each point holds
    the bucket's totals; divide by `step` for events per second.
    """
    if filters.by_dimension:
        table, column, grain = "cube", "minute_start", CUBE_SECONDS
    else:
        table, column, grain = "windows", "window_start", 1
    where, params = _where(filters, column, with_dimensions=filters.by_dimension)
    first, last = store.rows(f"SELECT MIN({column}), MAX({column}) FROM {table}{where}", params)[0]
    if first is None:
        return {"step": grain, "points": []}
    step = series_step(int(last) - int(first) + grain, max_points, grain)
    rows = store.rows(
        f"SELECT ({column} / ?) * ? AS bucket, {_SUMS} FROM {table}{where} GROUP BY bucket ORDER BY bucket",
        [step, step, *params],
    )
    points = []
    for row in rows:
        point: dict[str, Any] = {"window": queries.iso_window(int(row[0]))}
        point.update({name: int(row[i + 1]) for i, name in enumerate(EVENT_TYPES)})
        point["revenue"] = queries.money(row[-1])
        points.append(point)
    return {"step": step, "points": points}


def newest_window(store: Store) -> int | None:
    """Start of the newest 1-second window in the store (the data's "now"), or None."""
    found = store.rows("SELECT MAX(window_start) FROM windows")[0][0]
    return None if found is None else int(found)
