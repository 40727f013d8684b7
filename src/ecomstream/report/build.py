"""The JSON report of ../shared/METRICS.md, built from the store."""

from __future__ import annotations

from typing import Any

import orjson

from ecomstream.report import queries
from ecomstream.store.base import Store


def build_report(store: Store) -> dict[str, Any]:
    """Every metric of the contract, with the keys and order of METRICS.md."""
    found = queries.counters(store)
    total = queries.totals(store)
    by_type = total["by_type"]
    purchases = by_type["purchase"]
    revenue = queries.money(total["revenue_micros"])
    sessions = queries.funnel(store)
    quality = queries.quality(store, found)
    return {
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
        "brands": queries.dimension(store, "brands", "brand"),
        "categories": queries.dimension(store, "categories", "category"),
        "top_products": queries.top_products(store),
        "price_bands": queries.price_bands(found),
        "completeness": quality["completeness"],
        "rejected": quality["rejected"],
        "late_events": quality["late_events"],
    }


def render_json(value: Any, indent: bool = True) -> bytes:
    """The one JSON encoding used by `report --json` and the API, so both give the same bytes."""
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(value, option=option) + b"\n"
