"""Counts under `Filters`: event totals, brands, categories and the time series.

Without a brand or category the counts come from the per-second `windows` (time range)
or the `brands` / `categories` totals (no range); with one (and for brands or categories
over a time range) they come from the cube: counts per brand x category per minute
(`cube`) and per hour (`cube_hours`). A range reads whole hours from `cube_hours` and only
its ragged ends from `cube`. All are additive rows of the same deltas, so the numbers agree
exactly whichever table answers.
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
HOUR = 3_600
HOURLY_SERIES_AFTER_S = 6 * HOUR
"""With a brand or category, a time series longer than this has hourly buckets (from `cube_hours`)."""
_DIMENSIONS = {"brands": "brand", "categories": "category"}
_COUNTS = (*EVENT_TYPES, "revenue_micros")


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


def _cube_parts(since: int | None, until: int | None) -> list[tuple[str, str, int | None, int | None]]:
    """(table, time column, from, to) covering [since, until): whole hours hourly, the ends per minute.

    >>> [(table, lo, hi) for table, _, lo, hi in _cube_parts(5_400, 12_600)]
    [('cube_hours', 7200, 10800), ('cube', 5400, 7200), ('cube', 10800, 12600)]
    """
    first_hour = None if since is None else -(-since // HOUR) * HOUR
    last_hour = None if until is None else until // HOUR * HOUR
    if first_hour is not None and last_hour is not None and first_hour >= last_hour:
        return [("cube", "minute_start", since, until)]
    parts: list[tuple[str, str, int | None, int | None]] = [("cube_hours", "hour_start", first_hour, last_hour)]
    if since is not None and first_hour is not None and since < first_hour:
        parts.append(("cube", "minute_start", since, first_hour))
    if until is not None and last_hour is not None and last_hour < until:
        parts.append(("cube", "minute_start", last_hour, until))
    return parts


def _cube_rows(filters: Filters, parts: list[tuple[str, str, int | None, int | None]]) -> tuple[str, list[Any]]:
    """A FROM clause of the cube rows matching the filters: time `t`, brand, category, counts."""
    arms, params = [], []
    for table, column, lo, hi in parts:
        where, found = _where(Filters(lo, hi, filters.brand, filters.category), column, with_dimensions=True)
        arms.append(f"SELECT {column} AS t, brand, category, {', '.join(_COUNTS)} FROM {table}{where}")
        params += found
    return f"({' UNION ALL '.join(arms)}) AS c", params


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
        source, params = _cube_rows(filters, _cube_parts(filters.since, filters.until))
        row = store.rows(f"SELECT {_SUMS} FROM {source}", params)[0]
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
    source, params = _cube_rows(filters, _cube_parts(filters.since, filters.until))
    sql = (
        f"SELECT {key}, SUM(view) AS v, SUM(cart), SUM(purchase), SUM(revenue_micros) FROM {source} "
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
    is chosen; otherwise wider: whole minutes with a brand or category, whole hours when
    that range is also longer than HOURLY_SERIES_AFTER_S. Each point holds the bucket's
    totals; divide by `step` for events per second.
    """
    bounds = store.rows("SELECT MIN(window_start), MAX(window_start) FROM windows")[0]
    if bounds[0] is None:
        return {"step": 1, "points": []}
    first = max(int(bounds[0]), filters.since) if filters.since is not None else int(bounds[0])
    end = min(int(bounds[1]) + 1, filters.until) if filters.until is not None else int(bounds[1]) + 1
    if end <= first:
        return {"step": 1, "points": []}
    if not filters.by_dimension:
        grain, parts = 1, None
    elif end - first > HOURLY_SERIES_AFTER_S:
        grain, parts = HOUR, _cube_parts(filters.since, filters.until)
    else:
        grain, parts = CUBE_SECONDS, [("cube", "minute_start", filters.since, filters.until)]
    origin = first // grain * grain
    step = series_step(end - origin, max_points, grain)
    if parts is None:
        where, params = _where(filters, "window_start", with_dimensions=False)
        source, column = f"windows{where}", "window_start"
    else:
        (source, params), column = _cube_rows(filters, parts), "t"
    rows = store.rows(
        f"SELECT ? + (({column} - ?) / ?) * ? AS bucket, {_SUMS} FROM {source} GROUP BY bucket ORDER BY bucket",
        [origin, origin, step, step, *params],
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
