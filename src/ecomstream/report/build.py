"""The JSON report of ../shared/METRICS.md, built from the store."""

from __future__ import annotations

from typing import Any

import orjson

from ecomstream.report import filtered, queries
from ecomstream.report.filters import Filters
from ecomstream.store.base import Store

FILTERED_KEYS = ("events", "by_type", "revenue", "avg_purchase_price", "view_to_cart", "view_to_purchase",
                 "cart_to_purchase", "brands", "categories")  # fmt: skip
"""Report keys a filter narrows; the others are whole-store figures the store keeps without
time, brand or category (sessions, users, top products, price bands, data quality)."""


def build_report(store: Store, filters: Filters | None = None) -> dict[str, Any]:
    """Every metric of the contract, with the keys and order of METRICS.md.

    With active filters, the keys in FILTERED_KEYS count only the matching events and a
    `filter` key says what was applied and to which keys.
    """
    filters = filters or Filters()
    found = queries.counters(store)
    total = filtered.totals(store, filters)
    by_type = total["by_type"]
    purchases = by_type["purchase"]
    revenue = queries.money(total["revenue_micros"])
    sessions = queries.funnel(store)
    quality = queries.quality(store, found)
    report = {
        "events": total["events"],
        "by_type": by_type,
        "revenue": revenue,
        "avg_purchase_price": queries.ratio(revenue, purchases),
        "view_to_cart": queries.ratio(by_type["cart"], by_type["view"]),
        "view_to_purchase": queries.ratio(purchases, by_type["view"]),
        "cart_to_purchase": queries.ratio(purchases, by_type["cart"]),
        "sessions": sessions["sessions"],
        "funnel": {
            "sessions_with_view": sessions["sessions_with_view"],
            "sessions_with_cart": sessions["sessions_with_cart"],
            "sessions_with_purchase": sessions["sessions_with_purchase"],
        },
        "cart_abandonment": queries.ratio(sessions["carts_abandoned"], sessions["sessions_with_cart"]),
        "unique_users": queries.unique_users(store),
        "unique_users_exact": True,
        "brands": filtered.dimension(store, "brands", filters),
        "categories": filtered.dimension(store, "categories", filters),
        "top_products": queries.top_products(store),
        "price_bands": queries.price_bands(found),
        "completeness": quality["completeness"],
        "rejected": quality["rejected"],
        "late_events": quality["late_events"],
    }
    if filters.active:
        report["filter"] = {**filters.describe(), "applies_to": list(FILTERED_KEYS)}
    return report


def render_json(value: Any, indent: bool = True) -> bytes:
    """The one JSON encoding used by `report --json` and the API, so both give the same bytes."""
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(value, option=option) + b"\n"
