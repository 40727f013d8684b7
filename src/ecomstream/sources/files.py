"""File sources: CSV, gzip CSV and Parquet, read in order as raw batches.

A record's `event_id` is the file identity plus its row number (1-based, counting data
lines after the header). The identity is the file name plus a hash of its size and first
mebibyte, so the same file under the same name resumes where it stopped, and another
file does not inherit its position.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import polars as pl

from ecomstream.errors import SourceError, TruncatedSource
from ecomstream.events.header import match_columns, split_header
from ecomstream.events.raw import RawBatch
from ecomstream.events.schema import FIELDS
from ecomstream.sources.gzip_stream import GZIP_MAGIC, open_gzip, was_cut

DEFAULT_CHUNK_BYTES = 16 << 20
PARQUET_ROWS = 200_000


def file_identity(path: Path) -> str:
    """`name#hash` of the file's size and first MiB."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(1 << 20)
    except OSError as err:
        msg = f"cannot read source file {path}: {err.strerror}; check the path"
        raise SourceError(msg) from err
    digest = hashlib.sha1(head + str(size).encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{path.name}#{digest}"


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in {".parquet", ".pq"}


def first_event_us(path: Path) -> int | None:
    """Event time of the first data row (for `--time now`), or None if unreadable."""
    if is_parquet(path):
        lazy, columns = scan_parquet(path)
        frame = parquet_text(lazy.head(1).collect(), columns)
        text = frame["event_time"][0] if frame.height else None
    else:
        with _open_text(path) as handle:
            columns, line = split_header(handle.readline(), str(path))
            if not line:
                line = handle.readline()
        fields = line.rstrip(b"\r\n").split(b",")
        at = columns.index("event_time")
        text = fields[at].decode(errors="replace").strip() if line and at < len(fields) else None
    if not text:
        return None
    try:
        if text.endswith(" UTC"):
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return round(moment.timestamp() * 1_000_000) if moment.tzinfo else None


def check_file(path: Path) -> None:
    """Refuse, before anything is read, a file whose columns cannot be told
    (`events.header`), so that a run of several files does not stop halfway."""
    if is_parquet(path):
        scan_parquet(path)
        return
    try:
        with _open_text(path) as handle:
            first = handle.readline()
    except (OSError, EOFError, zlib.error) as err:
        msg = f"cannot read {path}: {err}; is it a CSV or gzip CSV file?"
        raise SourceError(msg) from err
    split_header(first, str(path))


def read_file(
    path: Path,
    source: str,
    after_seq: int = 0,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    time_shift_us: int = 0,
) -> Iterator[RawBatch]:
    """Raw batches of the rows numbered above `after_seq` (rows up to it were committed)."""
    if is_parquet(path):
        yield from _read_parquet(path, source, after_seq, time_shift_us)
    else:
        yield from _read_csv(path, source, after_seq, chunk_bytes, time_shift_us)


def _open_text(path: Path) -> BinaryIO:
    """The file's text bytes: gunzipped (`GzipStream`, which tolerates a cut) or as stored."""
    try:
        with path.open("rb") as probe:
            magic = probe.read(2)
        return open_gzip(path.open("rb")) if magic == GZIP_MAGIC else path.open("rb")
    except OSError as err:
        msg = f"cannot open source file {path}: {err.strerror}; check the path"
        raise SourceError(msg) from err


def _read_csv(path: Path, source: str, after_seq: int, chunk_bytes: int, time_shift_us: int) -> Iterator[RawBatch]:
    seq = 1
    pending: RawBatch | None = None
    cut_line: bytes | None = None
    try:
        with _open_text(path) as handle:
            columns, carry = split_header(handle.readline(), str(path))
            while True:
                block = handle.read(chunk_bytes)
                data = carry + block
                if not block and was_cut(handle):  # `carry` is the record the cut went through
                    cut_line, data, carry = data, b"", b""
                elif not block:
                    if data and not data.endswith(b"\n"):
                        data += b"\n"
                    carry = b""
                else:
                    cut = _record_boundary(data)
                    data, carry = data[:cut], data[cut:]
                if data:
                    count = data.count(b"\n")
                    if seq + count - 1 > after_seq:
                        if seq <= after_seq:
                            data = _drop_lines(data, after_seq - seq + 1)
                            count, seq = data.count(b"\n"), after_seq + 1
                        if pending is not None:
                            yield pending
                        pending = RawBatch(source, seq, count, csv=data, time_shift_us=time_shift_us, columns=columns)
                    seq += count
                if not block:
                    break
    except (OSError, EOFError, zlib.error) as err:
        msg = f"cannot read {path} past row {seq - 1}: {err}; is the file complete and not corrupt?"
        raise SourceError(msg) from err
    if cut_line is not None:
        if pending is not None:
            yield pending
        where = f"inside row {seq}, whose {len(cut_line)} bytes were left out" if cut_line else f"after row {seq - 1}"
        msg = (
            f"{path} ends early, {where}: its gzip stream is cut (a partial download?); the rows before "
            "were read; get the whole file to read the rest"
        )
        raise TruncatedSource(msg)
    if pending is not None:
        yield _as_last(pending)
    else:
        yield RawBatch(source, max(after_seq, seq - 1) + 1, 0, csv=b"", last_in_source=True)


def _record_boundary(data: bytes) -> int:
    """Offset just after the last newline that ends a whole record (quotes balanced)."""
    cut = data.rfind(b"\n") + 1
    if b'"' not in data:
        return cut
    while cut > 0 and data.count(b'"', 0, cut) % 2 == 1:
        cut = data.rfind(b"\n", 0, cut - 1) + 1
    return cut


def _drop_lines(data: bytes, lines: int) -> bytes:
    at = 0
    for _ in range(lines):
        at = data.index(b"\n", at) + 1
    return data[at:]


def _as_last(batch: RawBatch) -> RawBatch:
    return RawBatch(
        batch.source, batch.first_seq, batch.count, csv=batch.csv, frame=batch.frame,
        time_shift_us=batch.time_shift_us, last_in_source=True, columns=batch.columns,
    )  # fmt: skip


def _read_parquet(path: Path, source: str, after_seq: int, time_shift_us: int) -> Iterator[RawBatch]:
    try:
        lazy, columns = scan_parquet(path)
        total = lazy.select(pl.len()).collect().item()
    except (OSError, pl.exceptions.PolarsError) as err:
        msg = f"cannot read Parquet file {path}: {err}"
        raise SourceError(msg) from err
    offset = after_seq
    if offset >= total:
        yield RawBatch(source, total + 1, 0, frame=pl.DataFrame(), last_in_source=True)
        return
    while offset < total:
        frame = parquet_text(lazy.slice(offset, PARQUET_ROWS).collect(), columns)
        last = offset + frame.height >= total
        yield RawBatch(source, offset + 1, frame.height, frame=frame, time_shift_us=time_shift_us, last_in_source=last)
        offset += frame.height


def scan_parquet(path: Path) -> tuple[pl.LazyFrame, dict[str, str]]:
    """The Parquet file, lazily, and each schema field -> its column there
    (`events.header.match_columns`)."""
    try:
        lazy = pl.scan_parquet(path)
        names = lazy.collect_schema().names()
    except (OSError, pl.exceptions.PolarsError) as err:
        msg = f"cannot read Parquet file {path}: {err}; is it a complete Parquet file?"
        raise SourceError(msg) from err
    return lazy, match_columns(names, str(path))


def parquet_text(frame: pl.DataFrame, columns: dict[str, str] | None = None) -> pl.DataFrame:
    """The nine columns as CSV-like text, whatever types the Parquet file used; `columns`
    names the file's column of each field (by default the field's own name)."""
    columns = columns or {name: name for name in FIELDS}
    texts = []
    for name in FIELDS:
        dtype = frame.schema[columns[name]]
        column = pl.col(columns[name])
        if isinstance(dtype, pl.Datetime):
            moment = column.dt.replace_time_zone("UTC") if dtype.time_zone is None else column
            column = moment.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S UTC")
        elif name == "price" and dtype.is_float():
            column = column.round(6).cast(pl.String)
        texts.append(column.cast(pl.String).fill_null("").alias(name))
    return frame.select(texts)
