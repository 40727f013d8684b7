"""Kafka message format: one JSON object per event, and its decoding in bulk.

A message holds the nine fields as the text they had in the source (so the worker
applies exactly the rules the embedded pipeline applies) and an envelope:

- `event_id` = `"<source>:<seq>"`, with `source` and `seq` also as separate fields: the
  worker drops a record whose `seq` is not above what was committed for its source on
  its partition, so a retried send or a re-run producer counts once;
- `wm`: the watermark base, the largest accepted event time (epoch µs, time shift
  included) of the records before this one in the producer's stream, or null;
- `shift_us`: the `--time now` shift, when not 0;
- a record that is not a record at all (`malformed`, `too_large` in the source) travels
  as `reject` + `raw_b64` (its original bytes), so it is dead-lettered as in embedded
  mode; `record_bytes` is set on a record whose JSON outgrows the size limit while the
  record itself does not.

Decoding reads a whole poll with one `polars.read_ndjson` call. Every value is read as
text (a JSON number or literal becomes its JSON text, as polars writes it); a batch that
polars refuses is split in halves until the bad messages are alone, so a poison message
costs a few extra parses, never the batch.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import orjson
import polars as pl

from ecomstream.events.decode import Decoded, decode
from ecomstream.events.raw import RawBatch
from ecomstream.events.schema import FIELDS, MALFORMED, MAX_RECORD_BYTES, TOO_LARGE
from ecomstream.events.validate import validate

ENVELOPE: tuple[str, ...] = ("source", "seq", "wm", "shift_us", "reject", "raw_b64", "record_bytes")
_READ_SCHEMA = {name: pl.String for name in (*ENVELOPE, *FIELDS)}
_INT_ENVELOPE = ("seq", "wm", "shift_us", "record_bytes")
MAX_PARSED_BYTES = 1 << 20
"""Oversized messages up to this size are still parsed, to read their envelope."""
PRE_REASONS = (MALFORMED, TOO_LARGE)


# --- producing ---------------------------------------------------------------------


def stamp_watermarks(records: pl.DataFrame, accepted: pl.DataFrame, carried: int | None) -> pl.Series:
    """Per record (in order): the largest accepted event time before it, or null.

    `records` has `seq`; `accepted` has `seq` and `ts_us` of the records validation
    accepted; `carried` is the maximum over earlier batches of the same stream.
    """
    ts = records.select("seq").join(accepted.select("seq", "ts_us"), on="seq", how="left", maintain_order="left")
    before = ts["ts_us"].cum_max().forward_fill().shift(1)
    if carried is not None:
        before = before.fill_null(carried).clip(lower_bound=carried)
    return before.alias("wm")


def encode_records(decoded: Decoded, wm: pl.Series, shift_us: int) -> list[tuple[bytes, bytes]]:
    """(key, value) per record of a text-decoded batch; the key is the user id text
    (a user's events stay in one partition), or the event id when there is none."""
    fields = decoded.fields
    frame = fields.select(
        (pl.col("source") + ":" + pl.col("seq").cast(pl.String)).alias("event_id"),
        "source",
        "seq",
        wm,
        *([pl.lit(shift_us).alias("shift_us")] if shift_us else []),
        *(pl.col(name).fill_null("") for name in FIELDS),
    )
    values = frame.write_ndjson().encode().split(b"\n")[: frame.height] if frame.height else []
    keys = (
        fields.select(
            pl.when(pl.col("user_id").str.strip_chars().fill_null("") != "")
            .then(pl.col("user_id").str.strip_chars())
            .otherwise(pl.col("source") + ":" + pl.col("seq").cast(pl.String))
        )
        .to_series()
        .to_list()
    )
    pre = fields["pre_reason"]
    if pre.null_count() != len(pre):
        for row in pre.is_not_null().arg_true().to_list():
            envelope = orjson.loads(values[row])
            for name in FIELDS:
                envelope.pop(name, None)
            envelope["reject"] = pre[row]
            envelope["raw_b64"] = base64.b64encode(decoded.raw(row)).decode()
            values[row] = orjson.dumps(envelope)
    if values and max(map(len, values)) > MAX_RECORD_BYTES:
        for row, value in enumerate(values):
            if len(value) > MAX_RECORD_BYTES and pre[row] is None:
                envelope = orjson.loads(value)
                envelope["record_bytes"] = len(decoded.raw(row))
                values[row] = orjson.dumps(envelope)
    return [(key.encode(), value) for key, value in zip(keys, values, strict=True)]


# --- consuming ---------------------------------------------------------------------


@dataclass(slots=True)
class DecodedMessages:
    """Messages of one poll as a frame, in message order."""

    frame: pl.DataFrame
    """FIELDS (text, null as ""), `pre_reason`, and the envelope: `source` (String), `seq`,
    `wm`, `shift_us` (Int64, null when absent or not a number)."""
    raws: list[bytes]
    """Per message: the bytes to dead-letter (a source record's own bytes when the
    producer sent them as `raw_b64`, else the message)."""
    needs_strip: bool


def decode_messages(values: Sequence[bytes]) -> DecodedMessages:
    """Decode message values in bulk; never raises on bad messages, only marks them."""
    frame = _read_plain(values)
    if frame is None:
        frame = _read_each(values)
    raws = list(values)
    pre_given = frame["raw_b64"]
    if pre_given.null_count() != len(pre_given):
        for row in pre_given.is_not_null().arg_true().to_list():
            with contextlib.suppress(binascii.Error, ValueError):  # not base64: keep the message itself
                raws[row] = base64.b64decode(pre_given[row], validate=True)
    frame = _finish(frame)
    return DecodedMessages(frame, raws, needs_strip(frame))


def _read_plain(values: Sequence[bytes]) -> pl.DataFrame | None:
    """The common case in one polars call and no Python loop over the messages: none
    over the size limit, and polars reads one row per message."""
    if not values:
        return None
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if int(sizes.max()) > MAX_RECORD_BYTES:
        return None
    try:
        frame = _read_ndjson(values)
    except pl.exceptions.PolarsError:
        return None
    if frame.height != len(values):
        return None
    return frame.with_columns(pl.lit(None, pl.String).alias("pre_reason"))


def _read_each(values: Sequence[bytes]) -> pl.DataFrame:
    """Any poll: oversized messages apart, the rest halved until bad messages are alone."""
    limit = MAX_RECORD_BYTES
    oversized = {i for i, value in enumerate(values) if len(value) > limit}
    regular = [i for i in range(len(values)) if i not in oversized]
    frames = [_read_slice([values[i] for i in regular], regular)] if regular else []
    frames.extend(_read_oversized(values[i], i) for i in sorted(oversized))
    frame = pl.concat(frames, how="vertical") if frames else _empty()
    return frame.sort("_index").drop("_index")


def needs_strip(frame: pl.DataFrame) -> bool:
    """Whether some field starts or ends with white space (Unicode, as `strip_chars`)."""
    if frame.height == 0:
        return False
    differs = [pl.col(c).str.len_bytes() != pl.col(c).str.strip_chars().str.len_bytes() for c in FIELDS]
    return bool(frame.select(pl.any_horizontal(differs).any()).item())


def _read_slice(messages: list[bytes], index: list[int]) -> pl.DataFrame:
    """Parse messages with one polars call; halve and retry when that fails."""
    try:
        frame = _read_ndjson(messages)
    except pl.exceptions.PolarsError:
        frame = None
    if frame is not None and frame.height == len(messages):
        return frame.with_columns(pl.Series("_index", index, pl.Int64), pl.lit(None, pl.String).alias("pre_reason"))
    if len(messages) == 1:
        return _malformed(index[0])
    half = len(messages) // 2
    return pl.concat(
        [_read_slice(messages[:half], index[:half]), _read_slice(messages[half:], index[half:])], how="vertical"
    )


def _read_ndjson(messages: list[bytes]) -> pl.DataFrame:
    buffer = b"\n".join(messages)
    if buffer.count(b"\n") != len(messages) - 1:
        # A message spread over lines: read each one flat (JSON white space only).
        buffer = b"\n".join(m.replace(b"\r", b" ").replace(b"\n", b" ") for m in messages)
    return pl.read_ndjson(io.BytesIO(buffer), schema=_READ_SCHEMA)


def _read_oversized(value: bytes, index: int) -> pl.DataFrame:
    """A message over the size limit is `too_large`, unless the producer says that the
    record it carries is within the limit (`record_bytes`)."""
    frame = None
    if len(value) <= MAX_PARSED_BYTES:
        try:
            frame = _read_ndjson([value])
        except pl.exceptions.PolarsError:
            frame = None
    if frame is None or frame.height != 1:
        frame = _empty().with_columns(pl.lit(None, pl.String).alias("pre_reason")).clear(1)
        return frame.with_columns(pl.lit(index, pl.Int64).alias("_index"), pl.lit(TOO_LARGE).alias("pre_reason"))
    small = frame.select(pl.col("record_bytes").cast(pl.Int64, strict=False)).item()
    reason = None if small is not None and small <= MAX_RECORD_BYTES else TOO_LARGE
    return frame.with_columns(pl.lit(index, pl.Int64).alias("_index"), pl.lit(reason, pl.String).alias("pre_reason"))


def _malformed(index: int) -> pl.DataFrame:
    frame = _empty().clear(1)
    return frame.with_columns(pl.lit(index, pl.Int64).alias("_index"), pl.lit(MALFORMED).alias("pre_reason"))


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema={**_READ_SCHEMA, "_index": pl.Int64, "pre_reason": pl.String})


def _finish(frame: pl.DataFrame) -> pl.DataFrame:
    """Typed envelope, the producer's reject reason, fields as text."""
    ints = {name: pl.col(name).cast(pl.Int64, strict=False) for name in _INT_ENVELOPE}
    given = pl.col("reject")
    reason = pl.coalesce(
        pl.col("pre_reason"),
        pl.when(given.is_in(PRE_REASONS)).then(given).when(given.is_not_null()).then(pl.lit(MALFORMED)),
    )
    ours = pl.col("source").is_not_null() & ints["seq"].is_not_null()
    return frame.select(
        *(pl.col(name).fill_null("") for name in FIELDS),
        reason.alias("pre_reason"),
        pl.when(ours).then(pl.col("source")).alias("source"),
        pl.when(ours).then(ints["seq"]).alias("seq"),
        ints["wm"].alias("wm"),
        ints["shift_us"].fill_null(0).alias("shift_us"),
    )


class EventEncoder:
    """Turns the raw batches of one producer run into messages, in stream order.

    Holds the running maximum accepted event time, so that each message carries its
    watermark base (see the module docstring)."""

    def __init__(self) -> None:
        self.max_ts_us: int | None = None

    def encode(self, batch: RawBatch) -> list[tuple[bytes, bytes]]:
        text = decode(batch, typed=False)
        text = Decoded(text.fields, text.raw, needs_strip(text.fields), text.time_shift_us, columns=text.columns)
        accepted = validate(text).accepted
        wm = stamp_watermarks(text.fields, accepted, self.max_ts_us)
        if accepted.height:
            top = int(accepted["ts_us"].max())
            self.max_ts_us = top if self.max_ts_us is None else max(self.max_ts_us, top)
        return encode_records(text, wm, batch.time_shift_us)
