"""Validation of decoded records against the contract, vectorised over a batch.

Every field is trimmed of surrounding spaces. A record gets the first reason that
applies, checking the fields in file order; a record with no reason is accepted and
typed: price in micro-units, event time as epoch microseconds in UTC, empty text as
null. Turning brand and category_code into dimensions is the metrics' job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from ecomstream.events.decode import Decoded
from ecomstream.events.schema import (
    EARLIEST_EPOCH_S,
    EVENT_TYPES,
    FIELDS,
    LATEST_EPOCH_S,
    MICROS,
    UNKNOWN_EVENT_TYPE,
)

_CANONICAL_TIME = "%Y-%m-%d %H:%M:%S UTC"
_INT_TEXT = r"^[+-]?[0-9]+$"
_MAX_PRICE = 9.0e12
"""Largest price whose micro-units fit in int64."""

ACCEPTED_SCHEMA = {
    "ts_us": pl.Int64,
    "window": pl.Int64,
    "type": pl.Int8,
    "product_id": pl.Int64,
    "category_id": pl.Int64,
    "brand": pl.String,
    "category_code": pl.String,
    "price_micros": pl.Int64,
    "user_id": pl.Int64,
    "user_session": pl.String,
    "seq": pl.Int64,
    "source": pl.String,
}


CARRIED: tuple[str, ...] = ("wm", "shift_us", "handed_ms")
"""Optional per-record columns of a decoded frame (Kafka messages) that accepted events
keep: the producer's watermark base, a per-record time shift, the hand-off time."""


@dataclass(slots=True)
class Validated:
    """The outcome of validating one decoded batch."""

    accepted: pl.DataFrame
    """Columns of ACCEPTED_SCHEMA, in record order."""
    rejected: pl.DataFrame
    """`row` (index in the decoded batch), `seq`, `source`, `reason`."""
    present: dict[str, int]
    """Per field: received records whose field is present and valid."""
    received: int


def validate(decoded: Decoded) -> Validated:
    """Split a decoded batch into accepted events and rejects with reasons."""
    if decoded.fields.height == 0:
        return Validated(pl.DataFrame(schema=ACCEPTED_SCHEMA), _no_rejects(), dict.fromkeys(FIELDS, 0), 0)
    if decoded.typed:
        return _validate_typed(decoded)
    return _validate_strings(decoded.fields, decoded.needs_strip, decoded.time_shift_us)


def _validate_strings(frame: pl.DataFrame, needs_strip: bool, time_shift_us: int) -> Validated:
    """The exact rules on text fields: parse every column once, build one validity mask,
    and work out reasons only for the records that fail it."""
    if needs_strip:
        frame = frame.with_columns([pl.col(name).str.strip_chars() for name in FIELDS])
    typed = frame.with_columns(parsed_columns())
    if typed.select((pl.col("_ts").is_null() & (pl.col("event_time") != "")).any()).item():
        typed = fill_iso_times(typed)
    if time_shift_us:
        typed = typed.with_columns(pl.col("_ts") + time_shift_us)
    if "shift_us" in typed.columns:
        typed = typed.with_columns(pl.col("_ts") + pl.col("shift_us").fill_null(0))
    typed = typed.with_columns(validity())
    present = typed.select(
        [(pl.col(f"_ok_{name}") & pl.col("pre_reason").is_null()).sum().alias(name) for name in FIELDS]
    ).row(0, named=True)
    good = pl.col("_valid") & pl.col("pre_reason").is_null()
    carried = [name for name in CARRIED if name in frame.columns]
    accepted = typed.filter(good).select(*_accepted_columns(), *carried)
    if accepted.height == frame.height:
        rejected = _no_rejects()
    else:
        rejected = (
            typed.with_row_index("row")
            .filter(~good)
            .with_columns(field_reasons())
            .select("row", "seq", "source", first_reason())
        )
    return Validated(accepted, rejected, {k: int(v) for k, v in present.items()}, frame.height)


def _accepted_columns() -> list[pl.Expr | str]:
    return [
        pl.col("_ts").alias("ts_us"),
        pl.col("_ts").floordiv(MICROS).alias("window"),
        pl.col("_type").alias("type"),
        pl.col("_product_id").alias("product_id"),
        pl.col("_category_id").alias("category_id"),
        pl.col("brand").replace("", None),
        pl.col("category_code").replace("", None),
        (pl.col("_price") * MICROS).round().cast(pl.Int64).alias("price_micros"),
        pl.col("_user_id").alias("user_id"),
        pl.col("user_session").replace("", None),
        "seq",
        "source",
    ]


_TEXT_FIELDS = ("category_code", "brand", "user_session")


def _validate_typed(decoded: Decoded) -> Validated:
    """Fast path over the typed CSV frame: clean rows are decided here; every other row
    that was not already malformed goes through the exact string rules."""
    frame = decoded.fields
    if decoded.needs_strip:
        frame = frame.with_columns([pl.col(name).str.strip_chars().replace("", None) for name in _TEXT_FIELDS])
    frame = frame.with_columns(
        pl.col("event_time")
        .str.strptime(pl.Datetime("us", "UTC"), _CANONICAL_TIME, strict=False)
        .dt.epoch("us")
        .alias("_ts"),
        pl.col("event_type").cast(pl.Enum(list(EVENT_TYPES)), strict=False).to_physical().cast(pl.Int8).alias("_type"),
    )
    price = pl.col("price")
    clean = (
        pl.col("pre_reason").is_null()
        & pl.col("_ts").is_between(EARLIEST_EPOCH_S * MICROS, LATEST_EPOCH_S * MICROS, closed="left")
        & pl.col("_type").is_not_null()
        & pl.col("product_id").is_not_null()
        & pl.col("category_id").is_not_null()
        & price.is_not_null()
        & price.is_finite()
        & (price >= 0)
        & (price <= _MAX_PRICE)
        & pl.col("user_id").is_not_null()
    )
    frame = frame.with_columns(clean.fill_null(False).alias("_clean"))
    clean_rows = frame.filter(pl.col("_clean"))
    accepted = clean_rows.select(
        (pl.col("_ts") + decoded.time_shift_us).alias("ts_us"),
        ((pl.col("_ts") + decoded.time_shift_us).floordiv(MICROS)).alias("window"),
        pl.col("_type").alias("type"),
        "product_id",
        "category_id",
        "brand",
        "category_code",
        (price * MICROS).round().cast(pl.Int64).alias("price_micros"),
        "user_id",
        "user_session",
        "seq",
        "source",
    )
    counts = clean_rows.select(
        pl.len().alias("all"),
        *(pl.col(name).is_not_null().sum().alias(name) for name in ("category_code", "brand", "user_session")),
    ).row(0, named=True)
    present = {name: int(counts.get(name, counts["all"])) for name in FIELDS}
    if clean_rows.height == frame.height:
        return Validated(accepted, _no_rejects(), present, frame.height)
    indexed = frame.with_row_index("row")
    pre_rejected = indexed.filter(pl.col("pre_reason").is_not_null()).select(
        "row", "seq", "source", pl.col("pre_reason").alias("reason")
    )
    suspects = indexed.filter(~pl.col("_clean") & pl.col("pre_reason").is_null()).select("row", "seq", "source")
    rejected_parts = [pre_rejected]
    if suspects.height:
        rows = suspects["row"].to_list()
        text = b"\n".join(decoded.raw(i) for i in rows) + b"\n"
        strings = pl.read_csv(
            text, has_header=False, schema=dict.fromkeys(decoded.columns, pl.String), quote_char=None,
            empty_string_is_null=False, truncate_ragged_lines=True, missing_columns="insert",
        ).select(FIELDS)  # fmt: skip
        strings = strings.with_columns(pl.lit(None, pl.String).alias("pre_reason"), suspects["seq"], suspects["source"])
        checked = _validate_strings(strings, True, decoded.time_shift_us)
        for name, count in checked.present.items():
            present[name] += count
        if checked.accepted.height:
            accepted = pl.concat([accepted, checked.accepted]).sort("seq")
        rejected_parts.append(
            checked.rejected.with_columns(
                pl.col("row").replace_strict(list(range(len(rows))), rows, return_dtype=pl.UInt32)
            )
        )
    rejected = pl.concat(rejected_parts).sort("row")
    return Validated(accepted, rejected, present, frame.height)


def _no_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema={"row": pl.UInt32, "seq": pl.Int64, "source": pl.String, "reason": pl.String})


def parsed_columns() -> list[pl.Expr]:
    time_text = pl.col("event_time")
    ts = time_text.str.strptime(pl.Datetime("us", "UTC"), _CANONICAL_TIME, strict=False).dt.epoch("us").alias("_ts")
    type_code = (
        pl.col("event_type").cast(pl.Enum(list(EVENT_TYPES)), strict=False).to_physical().cast(pl.Int8).alias("_type")
    )
    return [
        ts,
        type_code,
        pl.col("product_id").cast(pl.Int64, strict=False).alias("_product_id"),
        pl.col("category_id").cast(pl.Int64, strict=False).alias("_category_id"),
        pl.col("price").cast(pl.Float64, strict=False).alias("_price"),
        pl.col("user_id").cast(pl.Int64, strict=False).alias("_user_id"),
    ]


def fill_iso_times(typed: pl.DataFrame) -> pl.DataFrame:
    """Parse the few times not in the canonical form as ISO 8601 with `Z` or an offset."""
    other = typed.with_row_index("row").filter(pl.col("_ts").is_null() & (pl.col("event_time") != ""))
    if other.height == 0:
        return typed
    parsed = other.select(
        "row", pl.col("event_time").map_elements(_iso_to_epoch_us, return_dtype=pl.Int64).alias("_iso")
    )
    return (
        typed.with_row_index("row")
        .join(parsed, on="row", how="left")
        .with_columns(pl.coalesce("_ts", "_iso").alias("_ts"))
        .drop("_iso", "row")
    )


def _iso_to_epoch_us(text: str) -> int | None:
    """Epoch microseconds of an ISO 8601 time with a zone; None if naive or unparsable."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return round(moment.timestamp() * MICROS)


def _present(name: str) -> pl.Expr:
    return pl.col(name).is_not_null() & (pl.col(name) != "")


def _time_in_range() -> pl.Expr:
    return pl.col("_ts").is_between(EARLIEST_EPOCH_S * MICROS, LATEST_EPOCH_S * MICROS, closed="left")


def _price_ok() -> pl.Expr:
    price = pl.col("_price")
    return price.is_not_null() & price.is_finite() & (price >= 0) & (price <= _MAX_PRICE)


def validity() -> list[pl.Expr]:
    """Per field: present and valid (`_ok_<field>`), and the whole record (`_valid`)."""
    ok = {
        "event_time": _present("event_time") & pl.col("_ts").is_not_null() & _time_in_range(),
        "event_type": pl.col("_type").is_not_null(),
        "product_id": pl.col("_product_id").is_not_null(),
        "category_id": pl.col("_category_id").is_not_null(),
        "category_code": _present("category_code"),
        "brand": _present("brand"),
        "price": _price_ok(),
        "user_id": pl.col("_user_id").is_not_null(),
        "user_session": _present("user_session"),
    }
    valid = (
        ok["event_time"]
        & ok["event_type"]
        & ok["product_id"]
        & (ok["category_id"] | ~_present("category_id"))
        & ok["price"]
        & ok["user_id"]
    )
    return [expr.alias(f"_ok_{name}") for name, expr in ok.items()] + [valid.alias("_valid")]


def field_reasons() -> list[pl.Expr]:
    present = _present

    def integer(name: str, required: bool) -> pl.Expr:
        parsed = pl.col(f"_{name}")
        looks_int = pl.col(name).str.contains(_INT_TEXT)
        reason = (
            pl.when(~present(name))
            .then(pl.lit(f"missing:{name}" if required else None, pl.String))
            .when(parsed.is_null() & looks_int)
            .then(pl.lit(f"bad_value:{name}"))
            .when(parsed.is_null())
            .then(pl.lit(f"bad_type:{name}"))
        )
        return reason.alias(f"_why_{name}")

    ts = pl.col("_ts")
    time_reason = (
        pl.when(~present("event_time"))
        .then(pl.lit("missing:event_time"))
        .when(ts.is_null())
        .then(pl.lit("bad_type:event_time"))
        .when(~_time_in_range())
        .then(pl.lit("bad_value:event_time"))
    )
    type_reason = (
        pl.when(~present("event_type"))
        .then(pl.lit("missing:event_type"))
        .when(pl.col("_type").is_null())
        .then(pl.lit(UNKNOWN_EVENT_TYPE))
    )
    price = pl.col("_price")
    price_reason = (
        pl.when(~present("price"))
        .then(pl.lit("missing:price"))
        .when(price.is_null())
        .then(pl.lit("bad_type:price"))
        .when(~_price_ok())
        .then(pl.lit("bad_value:price"))
    )
    return [
        time_reason.alias("_why_event_time"),
        type_reason.alias("_why_event_type"),
        integer("product_id", required=True),
        integer("category_id", required=False),
        price_reason.alias("_why_price"),
        integer("user_id", required=True),
    ]


def first_reason() -> pl.Expr:
    checked = ("event_time", "event_type", "product_id", "category_id", "price", "user_id")
    return pl.coalesce([pl.col("pre_reason")] + [pl.col(f"_why_{name}") for name in checked]).alias("reason")
