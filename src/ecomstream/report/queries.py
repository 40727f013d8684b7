"""Read queries over the store, shared by `report`, the JSON API and the dashboard.

Each function takes a `Store` and returns plain Python values shaped as in
../shared/METRICS.md. Money is kept in the store as integer micro-units and turned into
floats only here, at the edge.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ecomstream.events.schema import EVENT_TYPES, FIELDS, MICROS, PRICE_BANDS, REASONS
from ecomstream.metrics.deltas import FLAG
from ecomstream.store.base import Store

TOP_PRODUCTS = 10


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is 0."""
    return numerator / denominator if denominator else None


def money(micros: int | None) -> float:
    """Integer micro-units as a float amount."""
    return (micros or 0) / MICROS


def iso_window(epoch_s: int) -> str:
    """A window start as ISO 8601 UTC text, e.g. `2019-10-01T00:00:00Z`."""
    return datetime.fromtimestamp(epoch_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def counters(store: Store) -> dict[str, int]:
    """All scalar counters (received, late_events, band:*, present:*, rejected:*)."""
    return {name: int(value) for name, value in store.rows("SELECT name, value FROM counters")}


def totals(store: Store, since: int | None = None, until: int | None = None) -> dict[str, Any]:
    """Event counts by type and revenue, optionally over windows in [since, until)."""
    where, params = _time_filter(since, until)
    sums = ", ".join(f"COALESCE(SUM({name}), 0)" for name in (*EVENT_TYPES, "revenue_micros"))
    row = store.rows(f"SELECT {sums} FROM windows{where}", params)[0]
    by_type = {name: int(row[i]) for i, name in enumerate(EVENT_TYPES)}
    return {"events": sum(by_type.values()), "by_type": by_type, "revenue_micros": int(row[-1])}


def funnel(store: Store) -> dict[str, int]:
    """Distinct sessions, and sessions having at least one event of each type."""
    parts = ", ".join(f"COALESCE(SUM(CASE WHEN (flags & {flag}) <> 0 THEN 1 ELSE 0 END), 0)" for flag in FLAG.values())
    abandoned = (
        f"COALESCE(SUM(CASE WHEN (flags & {FLAG['cart']}) <> 0 AND (flags & {FLAG['purchase']}) = 0 "
        "THEN 1 ELSE 0 END), 0)"
    )
    row = store.rows(f"SELECT COUNT(*), {parts}, {abandoned} FROM sessions")[0]
    with_type = dict(zip(FLAG, (int(v) for v in row[1:5]), strict=True))
    return {
        "sessions": int(row[0]),
        "sessions_with_view": with_type["view"],
        "sessions_with_cart": with_type["cart"],
        "sessions_with_remove_from_cart": with_type["remove_from_cart"],
        "sessions_with_purchase": with_type["purchase"],
        "carts_abandoned": int(row[5]),
    }


def unique_users(store: Store) -> int:
    return int(store.rows("SELECT COUNT(*) FROM users")[0][0])


def dimension(store: Store, table: str, key: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Per brand or category: views, carts, purchases, revenue, conversion."""
    if (table, key) not in {("brands", "brand"), ("categories", "category")}:
        msg = f"unknown dimension {table}.{key}"
        raise ValueError(msg)
    sql = (
        f"SELECT {key}, view, cart, purchase, revenue_micros, remove_from_cart FROM {table} "
        f"ORDER BY view DESC, {key} ASC"
    )
    params: tuple[Any, ...] = ()
    if limit is not None:
        sql += " LIMIT ?"
        params = (limit,)
    return [
        {
            key: name,
            "views": int(views),
            "carts": int(carts),
            "purchases": int(purchases),
            "revenue": money(revenue),
            "conversion": ratio(purchases, views),
        }
        for name, views, carts, purchases, revenue, _removes in store.rows(sql, params)
    ]


def top_products(store: Store, limit: int = TOP_PRODUCTS) -> dict[str, list[dict[str, Any]]]:
    """Top products by views and by revenue (only products with some)."""
    by_views = store.rows(
        "SELECT product_id, view FROM products WHERE view > 0 ORDER BY view DESC, product_id ASC LIMIT ?",
        (limit,),
    )
    by_revenue = store.rows(
        "SELECT product_id, revenue_micros FROM products WHERE revenue_micros > 0 "
        "ORDER BY revenue_micros DESC, product_id ASC LIMIT ?",
        (limit,),
    )
    return {
        "by_views": [{"product_id": int(p), "views": int(v)} for p, v in by_views],
        "by_revenue": [{"product_id": int(p), "revenue": money(r)} for p, r in by_revenue],
    }


def timeseries(store: Store, since: int | None = None, until: int | None = None) -> list[dict[str, Any]]:
    """Per 1-second window in [since, until): event counts by type and revenue."""
    where, params = _time_filter(since, until)
    rows = store.rows(
        f"SELECT window_start, {', '.join(EVENT_TYPES)}, revenue_micros FROM windows{where} ORDER BY window_start",
        params,
    )
    series = []
    for row in rows:
        point: dict[str, Any] = {"window": iso_window(int(row[0]))}
        point.update({name: int(row[i + 1]) for i, name in enumerate(EVENT_TYPES)})
        point["revenue"] = money(row[-1])
        series.append(point)
    return series


def quality(store: Store, found: dict[str, int] | None = None) -> dict[str, Any]:
    """Completeness per field, rejects per reason, late events."""
    found = counters(store) if found is None else found
    received = found.get("received", 0)
    return {
        "received": received,
        "completeness": {name: ratio(found.get(f"present:{name}", 0), received) for name in FIELDS},
        "rejected": {reason: found.get(f"rejected:{reason}", 0) for reason in REASONS},
        "late_events": found.get("late_events", 0),
    }


def price_bands(found: dict[str, int]) -> dict[str, int]:
    return {name: found.get(f"band:{name}", 0) for name, _, _ in PRICE_BANDS}


def window_range(store: Store) -> tuple[int, int] | None:
    """First and last window start in the store, or None when empty."""
    row = store.rows("SELECT MIN(window_start), MAX(window_start) FROM windows")[0]
    return None if row[0] is None else (int(row[0]), int(row[1]))


def _time_filter(since: int | None, until: int | None) -> tuple[str, tuple[int, ...]]:
    clauses, params = [], []
    if since is not None:
        clauses.append("window_start >= ?")
        params.append(since)
    if until is not None:
        clauses.append("window_start < ?")
        params.append(until)
    return (" WHERE " + " AND ".join(clauses) if clauses else "", tuple(params))
