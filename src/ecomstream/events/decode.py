"""Decoding raw batches into a frame of the nine schema columns as strings.

The fast path for CSV first proves, on the bytes, that the chunk is plain: no quote, a
carriage return only right before a newline (CRLF files), a newline in every aligned 8
KiB block (so no line can reach `MAX_RECORD_BYTES`), and exactly eight commas per line
in total. Polars then reads it once, typed and multi-threaded, with
`truncate_ragged_lines=False`, which raises on a line with too many fields; none having
too many and the total being right, none has too few either. The raw records are only
located (numpy) if one is asked for. A chunk that is not provably plain, but has no
quote, is read twice: once as whole lines (the raw record and its comma count, so a
record with too few or too many fields is caught) and once typed; the two agree line for
line because each record is one line. Typed parsing turns a bad number into null;
validation sends such rows, and any other suspect row, through the exact string rules,
so the fast path only ever decides the clean rows. A chunk with quotes, or with bytes
that are not UTF-8, takes the slow path through Python's `csv` module, line by line, so
a quoted comma is a comma inside a field and a bad line only rejects itself.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import orjson
import polars as pl

from ecomstream.events.raw import RawBatch
from ecomstream.events.schema import FIELDS, MALFORMED, MAX_RECORD_BYTES, TOO_LARGE

_STRING_SCHEMA = {name: pl.String for name in FIELDS}
TYPED_SCHEMA = {
    **_STRING_SCHEMA,
    "product_id": pl.Int64,
    "category_id": pl.Int64,
    "price": pl.Float64,
    "user_id": pl.Int64,
}
"""The fast path's column types; unparsable numbers become null."""
_NEWLINE, _COMMA, _CARRIAGE_RETURN, _QUOTE = 10, 44, 13, b'"'
_BLOCK = (MAX_RECORD_BYTES + 2) // 2
"""A newline in every aligned block of this size bounds every line by MAX_RECORD_BYTES."""


@dataclass(slots=True)
class Decoded:
    """Records of a raw batch as strings, with a pre-validation reject reason."""

    fields: pl.DataFrame
    """The nine schema columns (String), `seq` (Int64), `source` (String) and
    `pre_reason` (String: `malformed`, `too_large` or null)."""
    raw: RawLookup
    needs_strip: bool = True
    """False when no field can have surrounding white space."""
    time_shift_us: int = 0
    typed: bool = False
    """True when `fields` has TYPED_SCHEMA (CSV fast path) rather than all strings."""
    columns: tuple[str, ...] = FIELDS
    """The order of the fields in a raw CSV record (the file's header)."""

    def __len__(self) -> int:
        return self.fields.height


class RawLookup:
    """Gives back the original bytes of record `i` of a decoded batch."""

    def __init__(
        self,
        data: bytes | None = None,
        starts: np.ndarray | None = None,
        ends: np.ndarray | None = None,
        messages: list[bytes] | None = None,
        frame: pl.DataFrame | None = None,
        lines: pl.Series | None = None,
    ) -> None:
        self._data, self._starts, self._ends = data, starts, ends
        self._messages, self._frame, self._lines = messages, frame, lines

    @classmethod
    def of_lines(cls, data: bytes) -> RawLookup:
        """The lines of `data` (each ending in a newline), located on first use."""
        return cls(data=data)

    def __call__(self, i: int) -> bytes:
        if self._data is not None and self._starts is None:
            self._starts, self._ends = line_bounds(self._data)
        if self._lines is not None:
            line = self._lines[i]
            return b"" if line is None else line.encode()
        if self._messages is not None:
            return self._messages[i]
        if self._data is not None and self._starts is not None and self._ends is not None:
            return self._data[int(self._starts[i]) : int(self._ends[i])].rstrip(b"\r")
        if self._frame is not None:
            row = self._frame.row(i)
            return ",".join("" if v is None else str(v) for v in row).encode()
        return b""


def decode(batch: RawBatch, typed: bool = True) -> Decoded:
    """Decode any raw batch; never raises on bad records, only marks them. With
    `typed=False` every field stays the text it was (e.g. to send it on as JSON)."""
    needs_strip, fast = True, False
    if batch.csv is not None:
        fields, raw, needs_strip, fast = decode_csv(batch.csv, typed, batch.columns)
    elif batch.frame is not None:
        fields = batch.frame.select([pl.col(name).cast(pl.String) for name in FIELDS]).with_columns(
            pl.lit(None, pl.String).alias("pre_reason")
        )
        raw = RawLookup(frame=fields.select(FIELDS))
    elif batch.messages is not None:
        fields, raw = decode_json(batch.messages)
    else:
        fields, raw = _empty(), RawLookup()
    if batch.seqs is not None:
        seq = pl.Series("seq", batch.seqs, pl.Int64)
    else:
        seq = pl.int_range(batch.first_seq, batch.first_seq + fields.height, eager=True)
        seq = seq.cast(pl.Int64).alias("seq")
    if batch.sources is not None:
        source = pl.Series("source", batch.sources, pl.String)
    else:
        source = pl.repeat(batch.source, fields.height, eager=True, dtype=pl.String)
    fields = fields.with_columns(seq, source.alias("source"))
    return Decoded(fields, raw, needs_strip, batch.time_shift_us, fast, batch.columns)


def decode_csv(
    data: bytes, typed: bool = True, columns: tuple[str, ...] = FIELDS
) -> tuple[pl.DataFrame, RawLookup, bool, bool]:
    """Decode CSV data lines (no header) whose fields come in the order `columns`: fields
    (in schema order), raw records, whether fields may need trimming, and whether the
    fields are typed (fast path) or all strings (slow path, or `typed=False`)."""
    if not data:
        return _empty(), RawLookup(), False, False
    if _QUOTE in data or b"\x1f" in data:
        return (*_decode_csv_slow(data, columns), True, False)
    if (fields := _read_plain(data, typed, columns)) is not None:
        return fields.with_columns(pl.lit(None, pl.String).alias("pre_reason")), RawLookup.of_lines(data), True, typed
    try:
        lines = pl.read_csv(
            data, has_header=False, new_columns=["line"], schema={"line": pl.String},
            separator="\x1f", quote_char=None, truncate_ragged_lines=True,
        )["line"]  # fmt: skip
        fields = pl.read_csv(
            data, has_header=False, schema=_schema(columns, typed), quote_char=None,
            ignore_errors=True, truncate_ragged_lines=True, missing_columns="insert",
        ).select(FIELDS)  # fmt: skip
    except pl.exceptions.PolarsError:
        return (*_decode_csv_slow(data, columns), True, False)
    if fields.height != lines.len():
        return (*_decode_csv_slow(data, columns), True, False)
    pre = (
        pl.when(lines.str.len_bytes() > MAX_RECORD_BYTES)
        .then(pl.lit(TOO_LARGE))
        .when(lines.str.count_matches(",", literal=True).fill_null(0) != len(FIELDS) - 1)
        .then(pl.lit(MALFORMED))
        .otherwise(pl.lit(None, pl.String))
    )
    fields = fields.with_columns(pre.alias("pre_reason"))
    return fields, RawLookup(lines=lines), True, typed


def _schema(columns: tuple[str, ...], typed: bool) -> dict[str, type[pl.DataType]]:
    """The read schema of CSV fields in the order `columns`."""
    return {name: (TYPED_SCHEMA if typed else _STRING_SCHEMA)[name] for name in columns}


def _read_plain(data: bytes, typed: bool, columns: tuple[str, ...] = FIELDS) -> pl.DataFrame | None:
    """The fields of a chunk proven plain on its bytes (see the module docstring), else None."""
    if not data.endswith(b"\n") or not short_lines(data):
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    if b"\r" in data and not crs_end_lines(buf):
        return None
    lines = int(np.count_nonzero(buf == _NEWLINE))
    if int(np.count_nonzero(buf == _COMMA)) != (len(FIELDS) - 1) * lines:
        return None
    try:
        fields = pl.read_csv(
            data, has_header=False, schema=_schema(columns, typed),
            quote_char=None, ignore_errors=True, truncate_ragged_lines=False,
        )  # fmt: skip
    except pl.exceptions.PolarsError:
        return None
    return fields.select(FIELDS) if fields.height == lines else None


def crs_end_lines(buf: np.ndarray) -> bool:
    """True if every carriage return in `buf` is followed by a newline (CRLF line ends),
    which polars drops with the newline, as the raw records do (`RawLookup`)."""
    after = np.flatnonzero(buf[:-1] == _CARRIAGE_RETURN) + 1
    return bool(buf[-1] != _CARRIAGE_RETURN) and bool(np.all(buf[after] == _NEWLINE))


def short_lines(data: bytes, block: int = _BLOCK) -> bool:
    """True if every aligned `block` of `data` holds a newline: then no line is longer
    than 2 * block - 2 bytes. A cheap sufficient test (one `find` per block)."""
    return all(data.find(b"\n", start, start + block) != -1 for start in range(0, len(data), block))


def line_bounds(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive, before the newline) offsets of each line of `data`."""
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == _NEWLINE)
    ends = newlines if data.endswith(b"\n") else np.append(newlines, len(data))
    starts = np.zeros_like(ends)
    starts[1:] = ends[:-1] + 1
    return starts, ends


def _decode_csv_slow(data: bytes, columns: tuple[str, ...] = FIELDS) -> tuple[pl.DataFrame, RawLookup]:
    """Line by line with the `csv` module; a quoted field may span lines."""
    order = None if columns == FIELDS else [columns.index(name) for name in FIELDS]
    starts, ends = line_bounds(data)
    rows: list[list[str | None]] = []
    reasons: list[str | None] = []
    rec_starts: list[int] = []
    rec_ends: list[int] = []
    empty_row: list[str | None] = [None] * len(FIELDS)
    i, n = 0, len(ends)
    while i < n:
        start, end = int(starts[i]), int(ends[i])
        # A record continues over the next line while its quotes are unbalanced.
        while data.count(b'"', start, end) % 2 == 1 and i + 1 < n:
            i += 1
            end = int(ends[i])
        i += 1
        line = data[start:end].rstrip(b"\r")
        rec_starts.append(start)
        rec_ends.append(end)
        if len(line) > MAX_RECORD_BYTES:
            rows.append(empty_row)
            reasons.append(TOO_LARGE)
            continue
        try:
            parsed = next(csv.reader([line.decode("utf-8")], strict=True), [])
        except (UnicodeDecodeError, csv.Error):
            parsed = []
        if len(parsed) != len(FIELDS):
            rows.append(empty_row)
            reasons.append(MALFORMED)
            continue
        rows.append(list(parsed) if order is None else [parsed[k] for k in order])
        reasons.append(None)
    fields = pl.DataFrame(rows, schema=_STRING_SCHEMA, orient="row")
    fields = fields.with_columns(pl.Series("pre_reason", reasons, pl.String))
    raw = RawLookup(data=data, starts=np.array(rec_starts), ends=np.array(rec_ends))
    return fields, raw


def decode_json(messages: list[bytes]) -> tuple[pl.DataFrame, RawLookup]:
    """Decode one JSON object per message; values may be strings or numbers."""
    rows: list[list[str | None]] = []
    reasons: list[str | None] = []
    empty_row: list[str | None] = [None] * len(FIELDS)
    for message in messages:
        if len(message) > MAX_RECORD_BYTES:
            rows.append(empty_row)
            reasons.append(TOO_LARGE)
            continue
        try:
            obj = orjson.loads(message)
        except orjson.JSONDecodeError:
            obj = None
        if not isinstance(obj, dict):
            rows.append(empty_row)
            reasons.append(MALFORMED)
            continue
        rows.append([_as_text(obj.get(name)) for name in FIELDS])
        reasons.append(None)
    fields = pl.DataFrame(rows, schema=_STRING_SCHEMA, orient="row")
    fields = fields.with_columns(pl.Series("pre_reason", reasons, pl.String))
    return fields, RawLookup(messages=messages)


def _as_text(value: object) -> str:
    """A JSON value as the text a CSV field would hold (null becomes empty)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "\x00bool"  # never a valid value of any field
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return "\x00" + type(value).__name__


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema={**_STRING_SCHEMA, "pre_reason": pl.String})
