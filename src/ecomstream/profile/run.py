"""`profile_files`: read, validate and aggregate whole files, then build the profile."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from ecomstream.errors import SourceError
from ecomstream.profile.accumulate import Accumulator, FileStats
from ecomstream.profile.build import build_profile
from ecomstream.profile.decoding import Chunked, chunk_of_frame, chunk_of_lines
from ecomstream.profile.prefetch import prefetch
from ecomstream.profile.reader import CHUNK_BYTES, file_format, read_chunks

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, total bytes) over all files, as stored on disk."""


def profile_files(paths: list[Path], progress: Progress | None = None, *, chunk_bytes: int = CHUNK_BYTES) -> dict:
    """The profile of the files read one after another, as one JSON-ready dict."""
    paths = [Path(p) for p in paths]
    if not paths:
        msg = "no file to profile: give at least one CSV, .csv.gz or Parquet file"
        raise SourceError(msg)
    sizes = [_size(path) for path in paths]
    total, before = sum(sizes), 0
    acc = Accumulator()
    for path, size in zip(paths, sizes, strict=True):
        acc.start_file(FileStats(str(path), file_format(path), size))
        for chunk, consumed in prefetch(_chunks(path, chunk_bytes)):
            acc.add(chunk)
            if progress is not None:
                progress(before + consumed, total)
        acc.end_file()
        before += size
        if progress is not None:
            progress(before, total)
    return build_profile(acc)


def _chunks(path: Path, chunk_bytes: int) -> Iterator[tuple[Chunked, int]]:
    """Each chunk of the file decoded and validated, with the file bytes consumed up to its end."""
    for chunk in read_chunks(path, chunk_bytes):
        if chunk.csv is not None:
            yield chunk_of_lines(chunk.csv, chunk.columns), chunk.consumed
        elif chunk.frame is not None:
            yield chunk_of_frame(chunk.frame), chunk.consumed


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as err:
        msg = f"cannot profile {path}: {err.strerror}; check the path"
        raise SourceError(msg) from err
