"""What the live dashboard shows, as plain data: one function per panel, all reading the store.

The page asks for a `View` (a time range choice, custom bounds as text, a brand, a
category); `resolve` turns it into `Filters`, anchoring relative ranges ("last 5
minutes") at the newest event in the store, so a replay of old data works like a live
stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecomstream.report import filtered, panels, queries
from ecomstream.report.filters import Filters, make_filters, minute_floor, parse_time
from ecomstream.store.base import Store

RANGES: dict[str, int | None] = {"5m": 300, "1h": 3_600, "all": None, "custom": None}
"""Time range choices of the page -> span in seconds (None: no relative span)."""

TABLE_ROWS = 15
"""Rows of the brand and category tables."""


@dataclass(frozen=True, slots=True)
class View:
    """The page's filter controls, as the browser sends them."""

    range: str = "all"
    since: str | None = None
    until: str | None = None
    brand: str | None = None
    category: str | None = None


def resolve(view: View, newest: int | None) -> Filters:
    """Filters for a view; `newest` is the newest window start in the store (or None)."""
    if view.range not in RANGES:
        msg = f"unknown time range {view.range!r}: use one of {', '.join(RANGES)}"
        raise ValueError(msg)
    since = until = None
    if view.range == "custom":
        since, until = parse_time(view.since, "since"), parse_time(view.until, "until")
    elif (span := RANGES[view.range]) is not None and newest is not None:
        since = minute_floor(newest + 1 - span)
    return make_filters(since, until, view.brand or None, view.category or None)


def kpis(store: Store, filters: Filters) -> dict[str, Any]:
    """Event counts, revenue and ratios under the filters."""
    total = filtered.totals(store, filters)
    by_type = total["by_type"]
    revenue = queries.money(total["revenue_micros"])
    return {
        "events": total["events"],
        "by_type": by_type,
        "revenue": revenue,
        "avg_purchase_price": queries.ratio(revenue, by_type["purchase"]),
        "view_to_cart": queries.ratio(by_type["cart"], by_type["view"]),
        "view_to_purchase": queries.ratio(by_type["purchase"], by_type["view"]),
        "cart_to_purchase": queries.ratio(by_type["purchase"], by_type["cart"]),
    }


def audience(store: Store) -> dict[str, Any]:
    """Sessions, funnel and unique users: whole-store figures (kept without time or brand)."""
    return {"funnel": panels.funnel(store), "unique_users": queries.unique_users(store)}


def dimensions(store: Store, filters: Filters, rows: int = TABLE_ROWS) -> dict[str, Any]:
    """The top brands and categories under the filters, and how many there are in all."""
    return {
        "brands": filtered.dimension(store, "brands", filters, rows),
        "categories": filtered.dimension(store, "categories", filters, rows),
    }


def catalogue(store: Store) -> dict[str, Any]:
    """Top products and price bands (whole store)."""
    found = queries.counters(store)
    return {"top_products": queries.top_products(store), "price_bands": queries.price_bands(found)}


def choices(store: Store) -> dict[str, list[str]]:
    """Every brand and category in the store, by views, for the filter menus."""
    return {
        "brands": [row[0] for row in store.rows("SELECT brand FROM brands ORDER BY view DESC, brand")],
        "categories": [row[0] for row in store.rows("SELECT category FROM categories ORDER BY view DESC, category")],
    }


def cube_partial(store: Store) -> bool:
    """True when the store was upgraded from a version without the cube (filters miss old events)."""
    return bool(store.rows("SELECT 1 FROM meta WHERE key = 'cube_partial'"))
