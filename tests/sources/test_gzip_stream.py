"""Gzip files that end early give every byte before the cut."""

from __future__ import annotations

import doctest
import gzip
import io
import zlib

import pytest

from ecomstream.sources import gzip_stream
from ecomstream.sources.gzip_stream import GzipStream, open_gzip

TEXT = b"".join(b"2019-10-01 00:00:%02d UTC,view,%d,1,a.b,br,1.00,%d,s%d\n" % (i % 60, i, i, i) for i in range(20_000))


def test_whole_files_match_the_gzip_module() -> None:
    members = gzip.compress(TEXT[:100_000]) + gzip.compress(TEXT[100_000:])
    for blob in (gzip.compress(TEXT), members, gzip.compress(TEXT) + b"\x00" * 512):
        stream = open_gzip(io.BytesIO(blob))
        assert stream.readline() == TEXT[: TEXT.index(b"\n") + 1]
        assert stream.read() == TEXT[TEXT.index(b"\n") + 1 :]
        assert not stream.raw.truncated


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.99])
def test_a_cut_file_gives_a_prefix_then_says_it_was_cut(keep: float) -> None:
    blob = gzip.compress(TEXT)
    stream = GzipStream(io.BytesIO(blob[: int(len(blob) * keep)]))
    data = stream.read()
    assert TEXT.startswith(data)
    assert len(data) >= len(TEXT) * keep / 2  # about as much of the text as of the file
    assert stream.truncated
    with pytest.raises(EOFError):  # what the gzip module does with the same bytes
        gzip.decompress(blob[: int(len(blob) * keep)])


def test_a_corrupt_file_is_an_error_not_a_cut() -> None:
    blob = bytearray(gzip.compress(TEXT))
    blob[-8] ^= 0xFF  # the CRC
    with pytest.raises(zlib.error):
        GzipStream(io.BytesIO(bytes(blob))).read()


def test_docstring_examples() -> None:
    result = doctest.testmod(gzip_stream)
    assert result.attempted > 0
    assert result.failed == 0
