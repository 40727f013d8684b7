"""Building the profile dict from the accumulated aggregates.

The keys of the contract's JSON report (../shared/METRICS.md) come first, with the same
meaning and format; the profile's own keys follow.
"""

from __future__ import annotations

import polars as pl

from ecomstream.events.schema import EVENT_TYPES, FIELDS, REASONS
from ecomstream.profile.accumulate import HOUR_US, Accumulator
from ecomstream.profile.dimensions import (
    brand_of,
    category_of,
    contract_list,
    per_dimension,
    profile_table,
    top_products,
)
from ecomstream.profile.fields import field_figures, value_counts
from ecomstream.profile.prices import price_figures
from ecomstream.profile.sessions import session_figures
from ecomstream.profile.stats import iso_time, money, ratio

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_PURCHASE = EVENT_TYPES.index("purchase")


def build_profile(acc: Accumulator) -> dict:
    """The profile as a JSON-ready dict."""
    tallies = {name: tally.frame() for name, tally in acc.tallies.items()}
    hours = tallies["hours"]
    by_type = _by_type(hours)
    events = sum(by_type.values())
    revenue_micros = int(hours.filter(pl.col("type") == _PURCHASE)["price_micros"].sum())
    sessions = session_figures(tallies["sessions"])
    brands = per_dimension(tallies["brands"], brand_of(pl.col("brand")))
    categories = per_dimension(tallies["categories"], category_of(pl.col("category_code")))
    completeness = {name: ratio(acc.present.get(name, 0), acc.received) for name in FIELDS}
    prices = price_figures(tallies["prices"])
    contract = {
        "events": events,
        "by_type": by_type,
        "revenue": money(revenue_micros),
        "avg_purchase_price": ratio(money(revenue_micros), by_type["purchase"]),
        "view_to_cart": ratio(by_type["cart"], by_type["view"]),
        "view_to_purchase": ratio(by_type["purchase"], by_type["view"]),
        "cart_to_purchase": ratio(by_type["purchase"], by_type["cart"]),
        "sessions": sessions["sessions"],
        "funnel": sessions["funnel"],
        "cart_abandonment": sessions["cart_abandonment"],
        "unique_users": sessions["unique_users"],
        "unique_users_exact": True,
        "brands": contract_list(brands, "brand"),
        "categories": contract_list(categories, "category"),
        "top_products": top_products(tallies["products"]),
        "price_bands": prices.pop("bands"),
        "completeness": completeness,
        "rejected": {reason: acc.rejected.get(reason, 0) for reason in REASONS}
        | {reason: n for reason, n in sorted(acc.rejected.items()) if reason not in REASONS},
        "late_events": acc.late_events,
    }
    known = [share for share in completeness.values() if share is not None]
    own = {
        "rows": acc.received,
        "rejected_rows": sum(acc.rejected.values()),
        "duplicate_rows": sum(stats.duplicate_rows for stats in acc.files),
        "quality_score": sum(known) / len(known) if known else None,
        "time_span": _time_span(acc.first_us, acc.last_us),
        "files": [vars(stats).copy() for stats in acc.files],
        "type_shares": {name: ratio(count, events) for name, count in by_type.items()},
        "fields": field_figures(value_counts(tallies), dict(acc.present), acc.received),
        "price": prices,
        "by_hour_of_day": _by_time_part(hours, pl.col("hour") % 24, "hour", list(range(24))),
        "by_day_of_week": _by_time_part(hours, (pl.col("hour") // 24 + 3) % 7, "day", list(WEEKDAYS)),
        "by_hour": _by_hour(hours),
        "session_stats": sessions["stats"],
        "brand_table": profile_table(brands, "brand"),
        "category_table": profile_table(categories, "category"),
        "lateness_s": acc.lateness_s,
        "exactness": {
            "counts, sums, distinct counts, quantiles": "exact",
            "duplicate_rows": "exact unless two different rows share a 64-bit hash (~n²/2^65)",
        },
    }
    return contract | own


def _by_type(hours: pl.DataFrame) -> dict[str, int]:
    counts = dict(hours.group_by("type").agg(pl.col("n").sum()).rows())
    return {name: int(counts.get(code, 0)) for code, name in enumerate(EVENT_TYPES)}


def _time_span(first_us: int | None, last_us: int | None) -> dict:
    seconds = None if first_us is None or last_us is None else (last_us - first_us) / 1e6
    return {"first": iso_time(first_us), "last": iso_time(last_us), "seconds": seconds}


def _per_type_columns() -> list[pl.Expr]:
    counts = [pl.col("n").filter(pl.col("type") == code).sum().alias(name) for code, name in enumerate(EVENT_TYPES)]
    revenue = pl.col("price_micros").filter(pl.col("type") == _PURCHASE).sum().alias("revenue_micros")
    return [pl.col("n").sum().alias("events"), *counts, revenue]


def _rows(frame: pl.DataFrame, key: str) -> list[dict]:
    return [
        {key: row[key], **{name: int(row[name]) for name in ("events", *EVENT_TYPES)},
         "revenue": money(int(row["revenue_micros"]))}
        for row in frame.iter_rows(named=True)
    ]  # fmt: skip


def _by_time_part(hours: pl.DataFrame, part: pl.Expr, key: str, labels: list) -> list[dict]:
    """Events per type and revenue for each hour of day or day of week (all listed)."""
    grouped = hours.group_by(part.alias("part")).agg(_per_type_columns())
    full = pl.DataFrame({"part": list(range(len(labels)))}, schema={"part": hours.schema["hour"]})
    table = full.join(grouped, on="part", how="left").fill_null(0).sort("part")
    table = table.with_columns(pl.col("part").replace_strict(list(range(len(labels))), labels).alias(key))
    return _rows(table, key)


def _by_hour(hours: pl.DataFrame) -> list[dict]:
    """Events per type and revenue per UTC hour, for the hours that have events."""
    table = hours.group_by("hour").agg(_per_type_columns()).sort("hour")
    table = table.with_columns(
        pl.col("hour").map_elements(lambda h: iso_time(h * HOUR_US), return_dtype=pl.String).alias("start")
    )
    return _rows(table, "start")
