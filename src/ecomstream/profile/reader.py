"""Reading profiled files in chunks: CSV, gzip CSV (by its magic bytes) and Parquet.

The rules are those of the pipeline's file source: a first line that is a header is
skipped and its columns matched by name (`events.header`; otherwise it is data), a last
line without a newline gets one, and a CSV chunk ends with a newline that closes a whole
record (quotes balanced). A gzip file that ends early (`sources.gzip_stream`) gives its
whole lines and says how many bytes of an incomplete record were left out (`Chunk.cut`).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ecomstream.errors import SourceError
from ecomstream.events.header import split_header
from ecomstream.events.schema import FIELDS
from ecomstream.sources.files import parquet_text, scan_parquet
from ecomstream.sources.gzip_stream import open_gzip, was_cut

CHUNK_BYTES = 16 << 20
"""Uncompressed bytes per CSV chunk (about 120,000 rows of the REES46 files)."""
PARQUET_ROWS = 250_000


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive records of one file: CSV data lines or a frame of nine text columns."""

    csv: bytes | None
    frame: pl.DataFrame | None
    consumed: int
    """Bytes of the file (as stored, so compressed for gzip) read up to this chunk's end."""
    columns: tuple[str, ...] = FIELDS
    """The order of the fields in each CSV line (the file's header)."""
    cut: int | None = None
    """Set on the last chunk of a gzip file that ends early: the bytes of the incomplete
    record left out (0 if the cut fell between records)."""


def file_format(path: Path) -> str:
    """`parquet`, `csv.gz` or `csv`, from the suffix (Parquet) or the gzip magic bytes."""
    if path.suffix.lower() in {".parquet", ".pq"}:
        return "parquet"
    try:
        with path.open("rb") as probe:
            magic = probe.read(2)
    except OSError as err:
        msg = f"cannot open {path}: {err.strerror}; check the path"
        raise SourceError(msg) from err
    return "csv.gz" if magic == b"\x1f\x8b" else "csv"


def read_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Chunk]:
    """The file's records in order, in chunks."""
    if file_format(path) == "parquet":
        return _parquet_chunks(path)
    return _csv_chunks(path, chunk_bytes)


def _csv_chunks(path: Path, chunk_bytes: int) -> Iterator[Chunk]:
    compressed = file_format(path) == "csv.gz"
    try:
        with path.open("rb") as stored:
            handle = open_gzip(stored) if compressed else stored
            columns, pending = split_header(handle.readline(), str(path))
            while True:
                block = pending + handle.read(chunk_bytes) + handle.readline()
                pending = b""
                # A quoted field may hold a newline: extend the chunk until quotes balance.
                while b'"' in block and block.count(b'"') % 2 == 1 and (line := handle.readline()):
                    block += line
                if was_cut(handle):
                    block += handle.read()  # what the buffer still holds
                    whole = block[: block.rfind(b"\n") + 1]
                    yield Chunk(whole, None, stored.tell(), columns, cut=len(block) - len(whole))
                    return
                if not block:
                    return
                if not block.endswith(b"\n"):
                    block += b"\n"
                yield Chunk(block, None, stored.tell(), columns)
    except (OSError, EOFError, zlib.error) as err:
        msg = f"cannot read {path}: {err}; is the file complete and readable?"
        raise SourceError(msg) from err


def _parquet_chunks(path: Path) -> Iterator[Chunk]:
    try:
        size = path.stat().st_size
        lazy, columns = scan_parquet(path)
        total = lazy.select(pl.len()).collect().item()
        for offset in range(0, total, PARQUET_ROWS):
            frame = parquet_text(lazy.slice(offset, PARQUET_ROWS).collect(), columns)
            yield Chunk(None, frame, size * min(total, offset + PARQUET_ROWS) // max(total, 1))
    except (OSError, pl.exceptions.PolarsError) as err:
        msg = f"cannot read Parquet file {path}: {err}; is it a complete Parquet file?"
        raise SourceError(msg) from err
