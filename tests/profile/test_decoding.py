"""The profile's cheaper decoding gives what the pipeline's decode + validate give."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from ecomstream.events.decode import decode
from ecomstream.events.raw import RawBatch
from ecomstream.events.validate import validate
from ecomstream.profile.decoding import decode_lines
from tests.profile.test_rejects import BAD_LINES, QUOTED


def _same_as_pipeline(data: bytes) -> None:
    ours, theirs = decode_lines(data), decode(RawBatch("profile", 1, data.count(b"\n"), csv=data))
    mine, pipeline = validate(ours), validate(theirs)
    assert mine.present == pipeline.present
    assert_frame_equal(mine.accepted.drop("seq", "source"), pipeline.accepted.drop("seq", "source"))
    assert_frame_equal(mine.rejected.select("row", "reason"), pipeline.rejected.select("row", "reason"))


def test_real_chunk(data_files: list[Path]) -> None:
    raw = gzip.decompress(data_files[0].read_bytes())
    body = raw[raw.index(b"\n") + 1 :]
    _same_as_pipeline(body[: body.rfind(b"\n", 0, 1 << 20) + 1])


def test_bad_lines_and_edge_cases() -> None:
    lines = [text for text, _ in BAD_LINES]
    _same_as_pipeline("".join(f"{line}\n" for line in lines).encode())
    _same_as_pipeline(f"{QUOTED[0]}\n".encode())
    good = BAD_LINES[0][0]
    tabbed = good.replace(",view,", ",\tview,")
    for variant in (
        f"{good}\n\n{good}\n",  # a blank line
        f"{good}\r\n{good}\r\n",  # CRLF
        f" {good}\n",  # a space to trim at a line start
        f"{good.replace(',view,', ',view ,')}\n",  # a space before a comma
        f"{good.replace(',view,', ', view,')}\n",  # a space after a comma
        f"{good} \n",  # a space before a line end
        f"{good.replace(' UTC', '  UTC')}\n",  # spaces inside a field only
        f"{tabbed}\n",  # a tab
        f"{good}\n{good.rsplit(',', 1)[0]}\n",  # a line one field short
    ):
        _same_as_pipeline(variant.encode())


def test_common_case_needs_no_trim_on_clean_data() -> None:
    decoded = decode_lines(f"{BAD_LINES[0][0].replace('Samsung ', 'samsung')}\n".encode())
    assert not decoded.needs_strip
    assert decoded.fields["pre_reason"].null_count() == decoded.fields.height
    assert decoded.fields.height == 1
    assert isinstance(decoded.fields, pl.DataFrame)
