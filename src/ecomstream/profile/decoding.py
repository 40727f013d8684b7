"""Turning a chunk into validated records and one hash per raw record.

Decoding and validation are the pipeline's own (`events.decode`, `events.validate`), so
a bad line is rejected exactly as the pipeline rejects it and the common case takes the
same typed fast path. What the profile adds is the hash of each raw record, for its
count of exact duplicate rows (records identical byte for byte, within a file; malformed
ones included, as in a plain `len(lines) - len(set(lines))`).

A chunk without quotes is one record per line, so its hashes come from polars reading
the chunk as whole lines (multi-threaded, about a fifth of a typed read); any other
chunk hashes the raw bytes its decoder gives back per record. Both hash the same bytes
as `pl.Binary`, so duplicates are found across chunks of either kind.

Measured on this 2-core machine (busy, so read ratios) over 2.1 M rows
(`benchmarks/bench_profile.py`'s file), per 16 MB chunk: the earlier decoding (all
fields as text, proven plain with numpy, trimmed by a scan of every field) 40 ms + 13 ms
validation; this one 19 ms typed read + 5 ms lines + 13 ms validation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ecomstream.events.decode import Decoded, crs_end_lines, decode
from ecomstream.events.raw import RawBatch
from ecomstream.events.schema import FIELDS
from ecomstream.events.validate import Validated, validate

SOURCE = "profile"


@dataclass(frozen=True, slots=True)
class Chunked:
    """One chunk decoded and validated, with a hash per received record."""

    decoded: Decoded
    validated: Validated
    hashes: pl.Series


def decode_lines(data: bytes, columns: tuple[str, ...] = FIELDS) -> Decoded:
    """Decode CSV data lines (no header, each ending in a newline; fields in the order `columns`)."""
    return decode(RawBatch(SOURCE, 1, 0, csv=data, columns=columns))


def decode_frame(frame: pl.DataFrame) -> Decoded:
    """Decode a frame of the nine columns as text (from Parquet)."""
    return decode(RawBatch(SOURCE, 1, frame.height, frame=frame))


def chunk_of_lines(data: bytes, columns: tuple[str, ...] = FIELDS) -> Chunked:
    """A CSV chunk decoded, validated and hashed per raw record."""
    decoded = decode_lines(data, columns)
    return Chunked(decoded, validate(decoded), _line_hashes(data, decoded))


def chunk_of_frame(frame: pl.DataFrame) -> Chunked:
    """A Parquet chunk decoded, validated and hashed per row of its text fields."""
    decoded = decode_frame(frame)
    return Chunked(decoded, validate(decoded), decoded.fields.select(FIELDS).hash_rows())


def _line_hashes(data: bytes, decoded: Decoded) -> pl.Series:
    rows = decoded.fields.height
    plain_ends = b"\r" not in data or crs_end_lines(np.frombuffer(data, dtype=np.uint8))
    if b'"' not in data and b"\x1f" not in data and plain_ends:
        try:
            lines = pl.read_csv(
                data, has_header=False, new_columns=["line"], schema={"line": pl.String},
                separator="\x1f", quote_char=None, truncate_ragged_lines=True, empty_string_is_null=False,
            )["line"]  # fmt: skip
        except pl.exceptions.PolarsError:
            lines = None
        if lines is not None and lines.len() == rows and lines.null_count() == 0:
            return lines.cast(pl.Binary).hash()
    return pl.Series([decoded.raw(i) for i in range(rows)], dtype=pl.Binary).hash()
