"""Turning a batch of accepted events into `Deltas`.

Dimensions follow ../shared/METRICS.md: brand trimmed and lower-cased, category the
first dot-separated part of `category_code`, `(unknown)` for missing values. They are
normalised after a first group-by on the raw text, so the string work is done once per
distinct value instead of once per event.
"""

from __future__ import annotations

from collections import Counter

import polars as pl

from ecomstream.events.schema import EVENT_TYPES, MICROS, PRICE_BANDS, UNKNOWN
from ecomstream.events.validate import Validated
from ecomstream.metrics.deltas import CUBE_KEYS, CUBE_SECONDS, FLAG, TYPE_COLUMNS, Deltas, empty_cube, summed_by

_PURCHASE = EVENT_TYPES.index("purchase")


def _type_sums() -> list[pl.Expr]:
    counts = [(pl.col("type") == code).sum().cast(pl.Int64).alias(name) for code, name in enumerate(TYPE_COLUMNS)]
    revenue = pl.col("price_micros").filter(pl.col("type") == _PURCHASE).sum().cast(pl.Int64).alias("revenue_micros")
    return [*counts, revenue]


def normalise_brand(raw: pl.Expr) -> pl.Expr:
    """Brand dimension: trimmed, lower-cased, `(unknown)` when missing."""
    return raw.str.strip_chars().str.to_lowercase().replace("", None).fill_null(UNKNOWN)


def category_of(code: pl.Expr) -> pl.Expr:
    """Category dimension: first dot-separated part of category_code, `(unknown)` when missing."""
    return code.str.strip_chars().str.split_exact(".", 1).struct.field("field_0").replace("", None).fill_null(UNKNOWN)


def price_band_counts(price_micros: pl.Series) -> Counter[str]:
    """Accepted events per price band."""
    counts: Counter[str] = Counter()
    for name, low, high in PRICE_BANDS:
        in_band = price_micros >= round(low * MICROS)
        if high != float("inf"):
            in_band &= price_micros < round(high * MICROS)
        counts[f"band:{name}"] = int(in_band.sum())
    return counts


def aggregate(events: pl.DataFrame) -> Deltas:
    """Deltas of a frame of accepted events (validate's `accepted` columns plus `late`)."""
    lazy = events.lazy()
    sums = _type_sums()
    frames = pl.collect_all(
        [
            lazy.group_by("window").agg(sums),
            lazy.group_by("brand").agg(sums),
            lazy.group_by("category_code").agg(sums),
            lazy.group_by("product_id").agg(sums),
            lazy.filter(pl.col("user_session").is_not_null())
            .group_by("user_session")
            .agg(
                pl.col("type")
                .replace_strict(list(range(len(EVENT_TYPES))), [FLAG[t] for t in EVENT_TYPES], return_dtype=pl.Int64)
                .bitwise_or()
                .alias("flags")
            ),
            lazy.select(pl.col("user_id").unique()),
            lazy.group_by(
                (pl.col("window") // CUBE_SECONDS * CUBE_SECONDS).alias("minute"), "brand", "category_code"
            ).agg(sums),
        ]
    )
    windows, raw_brands, raw_categories, products, sessions, users, raw_cube = frames
    brands = summed_by(raw_brands.with_columns(normalise_brand(pl.col("brand")).alias("brand")), "brand")
    categories = summed_by(
        raw_categories.with_columns(category_of(pl.col("category_code")).alias("category")).drop("category_code"),
        "category",
    )
    counters = price_band_counts(events["price_micros"])
    if "late" in events.columns:
        counters["late_events"] = int(events["late"].sum())
    cube = summed_by(
        raw_cube.with_columns(
            normalise_brand(pl.col("brand")).alias("brand"), category_of(pl.col("category_code")).alias("category")
        ).select(*CUBE_KEYS, *TYPE_COLUMNS, "revenue_micros"),
        CUBE_KEYS,
    )
    return Deltas(windows, brands, categories, products, sessions, users, counters, cube)


def quality_counters(validated: Validated) -> Counter[str]:
    """Received, present-and-valid per field, and rejects per reason."""
    counters: Counter[str] = Counter({"received": validated.received})
    for name, count in validated.present.items():
        counters[f"present:{name}"] = count
    if validated.rejected.height:
        for reason, count in validated.rejected.group_by("reason").len().iter_rows():
            counters[f"rejected:{reason}"] = int(count)
    return counters


def empty_deltas() -> Deltas:
    """The neutral element of `+`."""
    counts = {name: pl.Int64 for name in (*TYPE_COLUMNS, "revenue_micros")}
    return Deltas(
        windows=pl.DataFrame(schema={"window": pl.Int64, **counts}),
        brands=pl.DataFrame(schema={"brand": pl.String, **counts}),
        categories=pl.DataFrame(schema={"category": pl.String, **counts}),
        products=pl.DataFrame(schema={"product_id": pl.Int64, **counts}),
        sessions=pl.DataFrame(schema={"user_session": pl.String, "flags": pl.Int64}),
        users=pl.DataFrame(schema={"user_id": pl.Int64}),
        cube=empty_cube(),
    )
