"""Names and constants of the metric contract (../shared/METRICS.md)."""

from __future__ import annotations

FIELDS: tuple[str, ...] = (
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
)
"""The CSV columns, in file order."""

REQUIRED: tuple[str, ...] = ("event_time", "event_type", "product_id", "price", "user_id")
"""Fields whose absence rejects a record (`missing:<field>`)."""

EVENT_TYPES: tuple[str, ...] = ("view", "cart", "remove_from_cart", "purchase")
"""Event types in the order of their numeric codes 0..3."""

TYPE_CODE = {name: code for code, name in enumerate(EVENT_TYPES)}

UNKNOWN = "(unknown)"
"""Dimension value standing for a missing brand or category."""

PRICE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("0-50", 0.0, 50.0),
    ("50-100", 50.0, 100.0),
    ("100-200", 100.0, 200.0),
    ("200+", 200.0, float("inf")),
)
"""Price bands as (name, lower bound included, upper bound excluded)."""

MICROS = 1_000_000
"""Money is kept as integer micro-units so that sums are exact in any order."""

MAX_RECORD_BYTES = 16_384
"""A raw record larger than this is rejected as `too_large`."""

# Reason names. Every reason the validator can produce, so reports show a stable key set.
MALFORMED = "malformed"
TOO_LARGE = "too_large"
UNKNOWN_EVENT_TYPE = "unknown_event_type"

REASONS: tuple[str, ...] = (
    MALFORMED,
    TOO_LARGE,
    "missing:event_time",
    "bad_type:event_time",
    "bad_value:event_time",
    "missing:event_type",
    UNKNOWN_EVENT_TYPE,
    "missing:product_id",
    "bad_type:product_id",
    "bad_value:product_id",
    "bad_type:category_id",
    "bad_value:category_id",
    "missing:price",
    "bad_type:price",
    "bad_value:price",
    "missing:user_id",
    "bad_type:user_id",
    "bad_value:user_id",
)

EARLIEST_EPOCH_S = 0
"""1970-01-01: event times before this are `bad_value:event_time`."""
LATEST_EPOCH_S = 4_102_444_800
"""2100-01-01: event times from this on are `bad_value:event_time`."""
