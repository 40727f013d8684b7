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
from ecomstream.sources.files import check_file

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, total bytes) over all files, as stored on disk."""


def profile_files(paths: list[Path], progress: Progress | None = None, *, chunk_bytes: int = CHUNK_BYTES) -> dict:
    """The profile of the files read one after another, as one JSON-ready dict."""
    paths = [Path(p) for p in paths]
    if not paths:
        msg = "no file to profile: give at least one CSV, .csv.gz or Parquet file"
        raise SourceError(msg)
    sizes = [_size(path) for path in paths]
    for path in paths:  # a bad header in the last file is said before the first is read
        check_file(path)
    total, before = sum(sizes), 0
    acc = Accumulator()
    for path, size in zip(paths, sizes, strict=True):
        acc.start_file(FileStats(str(path), file_format(path), size))
        for chunk, consumed, cut in prefetch(_chunks(path, chunk_bytes)):
            if chunk is not None:
                acc.add(chunk)
            if cut is not None:
                acc.files[-1].truncated, acc.files[-1].cut_bytes = True, cut
            if progress is not None:
                progress(before + consumed, total)
        acc.end_file()
        before += size
        if progress is not None:
            progress(before, total)
    return build_profile(acc)


def _chunks(path: Path, chunk_bytes: int) -> Iterator[tuple[Chunked | None, int, int | None]]:
    """Each chunk of the file decoded and validated, with the file bytes consumed up to its
    end and, on the last chunk of a file that ends early, the bytes left out (`Chunk.cut`)."""
    for chunk in read_chunks(path, chunk_bytes):
        if chunk.csv:
            yield chunk_of_lines(chunk.csv, chunk.columns), chunk.consumed, chunk.cut
        elif chunk.frame is not None:
            yield chunk_of_frame(chunk.frame), chunk.consumed, None
        else:
            yield None, chunk.consumed, chunk.cut


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as err:
        msg = f"cannot profile {path}: {err.strerror}; check the path"
        raise SourceError(msg) from err
