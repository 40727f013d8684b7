"""Reading gzip files that may end early, without losing what comes before the cut.

Python's `gzip` raises `EOFError` on a file that ends inside its compressed stream, and
whatever the last `read` had decompressed is lost with it: a monthly file whose download
stopped at 95 % could not be read past its last 16 MB chunk boundary. `GzipStream`
decompresses with `zlib` itself (several gzip members in a row, CRC and length checked
at the end of each), hands on every byte before the cut, and then sets `truncated`; the
file readers decide what to do with the incomplete last line.
"""

from __future__ import annotations

import io
import zlib
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = zlib.MAX_WBITS | 16
_READ_BYTES = 1 << 20


class GzipStream(io.RawIOBase):
    """The decompressed bytes of a gzip file object; `truncated` once it ended early.

    >>> import gzip
    >>> whole = gzip.compress(b"a,b\\n" * 1000) + gzip.compress(b"c,d\\n")
    >>> stream = GzipStream(io.BytesIO(whole))
    >>> data = stream.read(); (len(data), data[-4:], stream.truncated)
    (4004, b'c,d\\n', False)
    >>> cut = GzipStream(io.BytesIO(gzip.compress(bytes(range(256)) * 400)[:-20]))
    >>> len(cut.read()) > 0, cut.truncated
    (True, True)
    """

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self._inflate = zlib.decompressobj(_GZIP_WBITS)
        self._out = b""
        self._at = 0
        self._ended = False
        self.truncated = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while self._at == len(self._out) and not self._ended:
            self._out, self._at = self._inflated(), 0
        n = min(len(buffer), len(self._out) - self._at)
        buffer[:n] = self._out[self._at : self._at + n]
        self._at += n
        return n

    def _inflated(self) -> bytes:
        compressed = self._raw.read(_READ_BYTES)
        if not compressed:
            self._ended = True
            self.truncated = not self._inflate.eof
            return b""
        data = self._inflate.decompress(compressed)
        while self._inflate.eof and self._inflate.unused_data:  # the next gzip member
            rest = self._inflate.unused_data
            if not rest.startswith(GZIP_MAGIC) and not rest.strip(b"\x00"):
                break  # zero padding after the last member, as gzip itself allows
            self._inflate = zlib.decompressobj(_GZIP_WBITS)
            data += self._inflate.decompress(rest)
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_gzip(raw: BinaryIO) -> io.BufferedReader:
    """A buffered reader (`read`, `readline`) over `GzipStream(raw)` (see `was_cut`)."""
    return io.BufferedReader(GzipStream(raw), buffer_size=1 << 20)


def was_cut(handle: BinaryIO) -> bool:
    """True once `handle`, from `open_gzip`, has met the early end of its file; False for
    a whole gzip file and for any other file object."""
    raw = getattr(handle, "raw", None)
    return isinstance(raw, GzipStream) and raw.truncated
