"""Figures that describe a clickstream: the calibration targets, measured the same way on
the real samples (by `scripts/calibrate_generator.py`) and on generated events (tests)."""

from __future__ import annotations

from typing import Any

import polars as pl

from ecomstream.events.schema import EVENT_TYPES

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"


def prepare(frame: pl.DataFrame, part: str | None = None) -> pl.DataFrame:
    """Typed columns for `describe`: `t` (epoch s), `p` (price), `part` (slice name).

    Empty text stays empty; rows are sorted by part, session and time.
    """
    return (
        frame.with_columns(pl.col(c).fill_null("") for c in frame.columns if frame.schema[c] == pl.String)
        .with_row_index("row")
        .with_columns(
            pl.col("event_time").str.strptime(pl.Datetime("us", "UTC"), _TIME_FORMAT).dt.epoch("s").alias("t"),
            pl.col("price").cast(pl.Float64).alias("p"),
            (pl.col(part) if part else pl.lit("")).alias("part"),
        )
        .sort("part", "user_session", "t", "row")
    )


def describe(df: pl.DataFrame) -> dict[str, Any]:
    """Event mix, funnel, session lengths, gaps, browsing, brand and category shares (of
    views) and missing shares of `prepare`d rows.

    `repeat_view_share`: views after a session's first that show a product the session
    viewed before. `category_stay_share`: views after the first, of a product new to the
    session, in the category of the view just before.
    """
    key = ["part", "user_session"]
    n = df.height
    sessions = df.filter(pl.col("user_session") != "")
    per_session = sessions.group_by(key).agg(
        pl.len().alias("n"),
        (pl.col("event_type") == "cart").any().alias("cart"),
        (pl.col("event_type") == "purchase").any().alias("purchase"),
    )
    views = sessions.filter(pl.col("event_type") == "view").with_columns(
        pl.int_range(pl.len()).over(key).alias("k"),
        pl.int_range(pl.len()).over([*key, "product_id"]).alias("seen"),
        pl.col("category_id").shift(1).over(key).alias("previous"),
    )
    later = views.filter(pl.col("k") > 0)
    fresh = later.filter(pl.col("seen") == 0)
    modal = (
        views.group_by([*key, "category_id"])
        .len()
        .group_by(key)
        .agg(pl.col("len").max().alias("top"), pl.col("len").sum().alias("all"))
    )
    gaps = sessions.select((pl.col("t") - pl.col("t").shift(1)).over(key).alias("gap"))["gap"].drop_nulls()
    all_views = df.filter(pl.col("event_type") == "view")
    lengths = per_session["n"]
    return {
        "rows": n,
        "event_share": {t: _round((df["event_type"] == t).sum() / max(n, 1)) for t in EVENT_TYPES},
        "sessions": per_session.height,
        "mean_session_length": _round(lengths.mean(), 4),
        "session_length_share": {str(k): _round((lengths == k).sum() / max(len(lengths), 1)) for k in range(1, 6)},
        "sessions_with_cart": _round(per_session["cart"].mean()),
        "sessions_with_purchase": _round(per_session["purchase"].mean()),
        "brand_missing_share": _round((all_views["brand"] == "").mean()),
        "category_code_missing_share": _round((all_views["category_code"] == "").mean()),
        "mean_price": {
            t: _round(p, 2) for t, p in df.group_by("event_type").agg(pl.col("p").mean()).sort("event_type").iter_rows()
        },
        "view_price_quantiles": {
            f"p{round(q * 100)}": _round(all_views["p"].quantile(q), 2) for q in (0.1, 0.25, 0.5, 0.75, 0.9)
        },
        "mean_gap_s": _round(gaps.mean(), 2),
        "repeat_view_share": _round((later["seen"] > 0).mean()),
        "category_stay_share": _round((fresh["category_id"] == fresh["previous"]).mean()),
        "modal_category_share": _round(modal["top"].sum() / max(modal["all"].sum(), 1)),
        "brand_share": _top_shares(all_views["brand"].replace("", "(unknown)")),
        "category_share": _top_shares(all_views["category_code"].str.split(".").list.first().replace("", "(unknown)")),
        "distinct_products": df["product_id"].n_unique(),
        "distinct_brands": df["brand"].n_unique(),
    }


def _top_shares(values: pl.Series, top: int = 8) -> dict[str, float]:
    """Shares of the `top` most frequent values."""
    counts = values.value_counts(sort=True, name="n").head(top)
    return {str(v): _round(n / max(len(values), 1)) for v, n in counts.iter_rows()}


def window_repeat_share(df: pl.DataFrame) -> float:
    """Share of sessions in a slice whose user had another session earlier in that slice."""
    sessions = df.filter(pl.col("user_session") != "").select("user_id", "user_session").unique()
    return _round(1 - sessions["user_id"].n_unique() / max(sessions.height, 1))


def _round(value: Any, digits: int = 5) -> float | None:
    return None if value is None else round(float(value), digits)
