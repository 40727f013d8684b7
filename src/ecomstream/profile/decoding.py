"""Turning a chunk into the pipeline's `Decoded` records, with a cheaper common case.

Measured on this 2-core machine (busy with other work, so read ratios) over 2.1 M rows
(`benchmarks/bench_profile.py`'s file):

- one lazy polars query over the whole file (`scan_csv` as text, validate.py's
  expression builders, the same aggregates, `collect_all`): 0.46 M rows/s with 1.1 GB
  RSS on the streaming engine, 0.19 M rows/s in memory; and `scan_csv` cannot see lines
  with the wrong number of fields;
- 16 MB chunks through the pipeline's own `decode` + `validate`: identical rejects by
  construction and bounded memory, 3.3 CPU-seconds for the whole profile;
- the same with the common case below: 2.9 CPU-seconds (13 % less).

So chunks it is, through `decode` + `validate`, except that the common case is proven
cheaply instead of located line by line: no quote and no carriage return in the chunk,
exactly 8 commas per line (counted with numpy), polars reads it without
`truncate_ragged_lines` (it raises on a line with too many fields, so none has too few
either) into one row per line, and no line exceeds `MAX_RECORD_BYTES`. `decode_csv`
would then have taken its own fast path with an equivalent `read_csv` call and marked
nothing, so the fields are the same. Whether to trim is the pipeline's rule too: a space
or tab next to a separator or line end is, in such a chunk, a field that starts or ends
with a space (or a tab anywhere). Any other chunk goes through `decode` itself, so a bad
line is rejected exactly as the pipeline rejects it (tests/profile/test_decoding.py).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ecomstream.events.decode import Decoded, RawLookup, decode
from ecomstream.events.raw import RawBatch
from ecomstream.events.schema import FIELDS, MAX_RECORD_BYTES

_TEXT_SCHEMA = {name: pl.String for name in FIELDS}
_NEWLINE, _COMMA = 10, 44
SOURCE = "profile"


def decode_lines(data: bytes) -> Decoded:
    """Decode CSV data lines (no header, each ending in a newline)."""
    fields = _common_case(data)
    if fields is None:
        return decode(RawBatch(SOURCE, 1, data.count(b"\n"), csv=data))
    extra = [
        pl.lit(None, pl.String).alias("pre_reason"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("seq"),
        pl.lit(SOURCE).alias("source"),
    ]
    return Decoded(fields.with_columns(extra), RawLookup(), needs_strip=_needs_strip(data, fields))


def decode_frame(frame: pl.DataFrame) -> Decoded:
    """Decode a frame of the nine columns as text (from Parquet)."""
    return decode(RawBatch(SOURCE, 1, frame.height, frame=frame))


def _needs_strip(data: bytes, fields: pl.DataFrame) -> bool:
    """The pipeline's trimming rule for a common-case chunk (see the module docstring)."""
    if b"\t" in data:
        return True
    edges = [(pl.col(name).str.starts_with(" ") | pl.col(name).str.ends_with(" ")).any() for name in FIELDS]
    return bool(fields.select(pl.any_horizontal(edges)).item())


def _common_case(data: bytes) -> pl.DataFrame | None:
    """The fields when every line is provably a plain 9-field record, else None."""
    if not data or b'"' in data or b"\r" in data or not data.endswith(b"\n"):
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == _NEWLINE)
    lines = newlines.size
    longest = max(int(newlines[0]), int(np.diff(newlines).max(initial=0)) - 1)
    if longest > MAX_RECORD_BYTES or np.count_nonzero(buf == _COMMA) != (len(FIELDS) - 1) * lines:
        return None
    try:
        fields = pl.read_csv(
            data,
            has_header=False,
            new_columns=list(FIELDS),
            schema=_TEXT_SCHEMA,
            quote_char=None,
            truncate_ragged_lines=False,
            empty_string_is_null=False,
        )
    except pl.exceptions.PolarsError:
        return None
    return fields if fields.height == lines else None
