"""Brands, categories and products: the contract's lists plus the profile's tables.

Dimensions follow ../shared/METRICS.md: brand trimmed and lower-cased, category the first
dot-separated part of `category_code`, `(unknown)` when missing. They are derived after
the tallies, once per distinct raw value.
"""

from __future__ import annotations

import polars as pl
import polars.selectors as cs

from ecomstream.events.schema import EVENT_TYPES, UNKNOWN
from ecomstream.profile.stats import money, ratio

TOP_ROWS = 20
TOP_PRODUCTS = 10
_VIEW, _CART, _REMOVE, _PURCHASE = (EVENT_TYPES.index(t) for t in ("view", "cart", "remove_from_cart", "purchase"))


def brand_of(raw: pl.Expr) -> pl.Expr:
    """Brand dimension of the raw (already trimmed) brand text."""
    return raw.str.strip_chars().str.to_lowercase().replace("", None).fill_null(UNKNOWN)


def category_of(code: pl.Expr) -> pl.Expr:
    """Category dimension of a category_code."""
    first = code.str.strip_chars().str.split_exact(".", 1).struct.field("field_0")
    return first.replace("", None).fill_null(UNKNOWN)


def per_dimension(tally: pl.DataFrame, dimension: pl.Expr) -> pl.DataFrame:
    """Counts per dimension value from a (raw value, type, n, price_micros) tally:
    events, views, carts, removes, purchases, revenue_micros and price_micros."""

    def of_type(code: int, column: str = "n") -> pl.Expr:
        return pl.col(column).filter(pl.col("type") == code).sum()

    return (
        tally.group_by(dimension.alias("key"))
        .agg(
            pl.col("n").sum().alias("events"),
            of_type(_VIEW).alias("views"),
            of_type(_CART).alias("carts"),
            of_type(_REMOVE).alias("removes"),
            of_type(_PURCHASE).alias("purchases"),
            of_type(_PURCHASE, "price_micros").alias("revenue_micros"),
            pl.col("price_micros").sum().alias("price_micros"),
        )
        .with_columns(cs.numeric().cast(pl.Int64))
    )


def contract_list(table: pl.DataFrame, name: str) -> list[dict]:
    """The report's list: every value, by views desc then name asc."""
    rows = table.sort(["views", "key"], descending=[True, False]).iter_rows(named=True)
    return [
        {
            name: row["key"],
            "views": row["views"],
            "carts": row["carts"],
            "purchases": row["purchases"],
            "revenue": money(row["revenue_micros"]),
            "conversion": ratio(row["purchases"], row["views"]),
        }
        for row in rows
    ]


def profile_table(table: pl.DataFrame, name: str, top: int = TOP_ROWS) -> dict:
    """The `top` values by events (ties by name) with their figures, and the rest summed."""
    ordered = table.sort(["events", "key"], descending=[True, False])
    head, tail = ordered.head(top), ordered.slice(top)
    rest = tail.select(pl.exclude("key").sum()).row(0, named=True) if tail.height else None
    return {
        "distinct": table.height,
        "top": [{name: row["key"], **_figures(row)} for row in head.iter_rows(named=True)],
        "long_tail": None if rest is None else {"values": tail.height, **_figures(rest)},
    }


def _figures(row: dict) -> dict:
    return {
        "events": row["events"],
        "views": row["views"],
        "carts": row["carts"],
        "purchases": row["purchases"],
        "revenue": money(row["revenue_micros"]),
        "avg_price": None if row["events"] == 0 else money(row["price_micros"]) / row["events"],
        "conversion": ratio(row["purchases"], row["views"]),
    }


def top_products(products: pl.DataFrame, top: int = TOP_PRODUCTS) -> dict:
    """Top products by views (views > 0) and by revenue (revenue > 0), ties by id."""
    table = per_dimension(products, pl.col("product_id"))
    by_views = table.filter(pl.col("views") > 0).sort(["views", "key"], descending=[True, False]).head(top)
    by_revenue = (
        table.filter(pl.col("revenue_micros") > 0).sort(["revenue_micros", "key"], descending=[True, False]).head(top)
    )
    return {
        "by_views": [{"product_id": key, "views": views} for key, views in by_views.select("key", "views").rows()],
        "by_revenue": [
            {"product_id": key, "revenue": money(micros)}
            for key, micros in by_revenue.select("key", "revenue_micros").rows()
        ],
    }
