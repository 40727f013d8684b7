"""Small exact helpers shared by the profile's summaries: ratios, money, ranks, times."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from ecomstream.events.schema import MICROS

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)


def ratio(numerator: float, denominator: float) -> float | None:
    """`numerator / denominator`, or None when the denominator is 0."""
    return None if denominator == 0 else numerator / denominator


def money(micros: int) -> float:
    """Micro-units as a number of currency units."""
    return micros / MICROS


def iso_time(epoch_us: int | None) -> str | None:
    """Epoch microseconds as ISO 8601 UTC with `Z` (fraction only when there is one)."""
    if epoch_us is None:
        return None
    moment = _EPOCH + timedelta(microseconds=epoch_us)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond:06d}Z" if moment.microsecond else f"{text}Z"


def ranked(values: np.ndarray, weights: np.ndarray, percent: int) -> int:
    """Nearest-rank percentile of sorted `values` repeated `weights` times: the smallest
    value with at least `percent`% of the weight at or below it (exact, integer)."""
    total = int(weights.sum())
    rank = max(1, -(-percent * total // 100))
    return int(values[np.searchsorted(np.cumsum(weights), rank)])


def weighted_summary(frame: pl.DataFrame, value: str, weight: str) -> dict[str, float | int | None]:
    """Count, mean, min, max and nearest-rank percentiles of a value weighted by counts."""
    frame = frame.filter(pl.col(weight) > 0).sort(value)
    if frame.height == 0:
        keys = ["count", "mean", "min", "max", *(f"p{p:02d}" for p in PERCENTILES)]
        return {key: (0 if key == "count" else None) for key in keys}
    values, weights = frame[value].to_numpy(), frame[weight].to_numpy()
    total = int(weights.sum())
    out: dict[str, float | int | None] = {
        "count": total,
        "mean": exact_dot(values, weights) / total,
        "min": int(values[0]),
        "max": int(values[-1]),
    }
    out.update({f"p{p:02d}": ranked(values, weights, p) for p in PERCENTILES})
    return out


def exact_dot(values: np.ndarray, weights: np.ndarray) -> int:
    """Sum of values times weights in exact integers (int64 when it cannot overflow)."""
    bound = int(np.abs(values).max(initial=0)) * int(weights.sum())
    if bound < 2**63:
        return int((values.astype(np.int64) * weights.astype(np.int64)).sum())
    return sum(int(v) * int(w) for v, w in zip(values.tolist(), weights.tolist(), strict=True))


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= value (1 for <= 0)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def buckets(values: pl.Series, bounds: tuple[int, ...]) -> list[dict[str, int | str]]:
    """Counts of integer values in the buckets starting at each bound (the last is open).

    >>> [(b["bucket"], b["count"]) for b in buckets(pl.Series([1, 1, 2, 7, 30]), (1, 2, 3, 6, 11))]
    [('1', 2), ('2', 1), ('3-5', 0), ('6-10', 1), ('11+', 1)]
    """
    array = values.to_numpy()
    counts = np.histogram(array, bins=[*bounds, np.iinfo(np.int64).max])[0] if array.size else [0] * len(bounds)
    out: list[dict[str, int | str]] = []
    for i, low in enumerate(bounds):
        high = bounds[i + 1] - 1 if i + 1 < len(bounds) else None
        label = f"{low}+" if high is None else (str(low) if high == low else f"{low}-{high}")
        out.append({"bucket": label, "count": int(counts[i])})
    return out
