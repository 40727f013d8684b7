"""Price figures from the exact (price, count) tally: summary, histogram and bands."""

from __future__ import annotations

import numpy as np
import polars as pl

from ecomstream.events.schema import MICROS, PRICE_BANDS
from ecomstream.profile.stats import money, nice_ceiling, ratio, weighted_summary

HISTOGRAM_BINS = 40


def price_figures(prices: pl.DataFrame) -> dict:
    """Summary (exact nearest-rank quantiles), histogram, bands (`bands` is the contract's
    `price_bands`) and band shares, over accepted events."""
    summary = weighted_summary(prices, "price_micros", "n")
    count = summary.pop("count")
    as_money = {key: None if value is None else money(int(value)) for key, value in summary.items()}
    as_money["mean"] = None if summary["mean"] is None else float(summary["mean"]) / MICROS
    bands = _bands(prices)
    return {
        "count": count,
        "mean": as_money.pop("mean"),
        "median": as_money["p50"],
        "min": as_money.pop("min"),
        "max": as_money.pop("max"),
        "quantiles": as_money,
        "quantile_method": "exact, nearest rank",
        "histogram": _histogram(prices, as_money["p99"]),
        "bands": bands,
        "band_shares": {name: ratio(n, count) for name, n in bands.items()},
    }


def _bands(prices: pl.DataFrame) -> dict[str, int]:
    out = {}
    for name, low, high in PRICE_BANDS:
        inside = pl.col("price_micros") >= round(low * MICROS)
        if high != float("inf"):
            inside &= pl.col("price_micros") < round(high * MICROS)
        out[name] = int(prices.filter(inside)["n"].sum())
    return out


def _histogram(prices: pl.DataFrame, p99: float | None) -> dict:
    """Equal-width bins from 0 up to a round number at or above the 99th percentile;
    prices at or above that bound are counted in `above`."""
    upper = nice_ceiling(p99 or 0.0)
    upper_micros = round(upper * MICROS)
    edges = np.linspace(0, upper_micros, HISTOGRAM_BINS + 1).round().astype(np.int64)
    values, weights = prices["price_micros"].to_numpy(), prices["n"].to_numpy()
    slot = np.searchsorted(edges, values, side="right") - 1
    inside = values < upper_micros
    counts = np.bincount(slot[inside], weights=weights[inside], minlength=HISTOGRAM_BINS)[:HISTOGRAM_BINS]
    return {
        "edges": [money(int(edge)) for edge in edges],
        "counts": [int(c) for c in counts],
        "above": int(weights[~inside].sum()),
    }
