"""The profile decodes like the pipeline, and hashes each raw record the same way
whichever path its chunk took."""

from __future__ import annotations

import gzip
from pathlib import Path

from polars.testing import assert_frame_equal

from ecomstream.events.decode import decode
from ecomstream.events.raw import RawBatch
from ecomstream.events.schema import FIELDS
from ecomstream.events.validate import validate
from ecomstream.profile import profile_files
from ecomstream.profile.decoding import chunk_of_lines
from tests.profile.test_rejects import BAD_LINES, QUOTED


def _same_as_pipeline(data: bytes) -> None:
    ours, theirs = chunk_of_lines(data), decode(RawBatch("profile", 1, data.count(b"\n"), csv=data))
    mine, pipeline = ours.validated, validate(theirs)
    assert mine.present == pipeline.present
    assert_frame_equal(mine.accepted.drop("seq", "source"), pipeline.accepted.drop("seq", "source"))
    assert_frame_equal(mine.rejected.select("row", "reason"), pipeline.rejected.select("row", "reason"))
    assert ours.hashes.len() == ours.decoded.fields.height


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


def test_a_record_hashes_alike_on_either_path() -> None:
    good = BAD_LINES[0][0]
    plain = chunk_of_lines(f"{good}\n{good}\n".encode()).hashes
    quoted = chunk_of_lines(f"{good}\n{QUOTED[0]}\n".encode()).hashes  # the csv-module path
    crlf = chunk_of_lines(f"{good}\r\n{good}\r\n".encode()).hashes
    assert plain[0] == plain[1] == quoted[0] == crlf[0] == crlf[1]
    assert quoted[1] != quoted[0]


def test_a_file_with_columns_in_another_order_profiles_alike(tmp_path: Path) -> None:
    lines = [text for text, _ in BAD_LINES if '"' not in text]
    names = list(FIELDS)
    order = [names.index(name) for name in reversed(names)]

    def reordered(line: str) -> str:
        fields = line.split(",")
        return ",".join(fields[k] for k in order) if len(fields) == len(order) else line

    canonical, other = tmp_path / "canonical.csv", tmp_path / "other.csv"
    canonical.write_text("\n".join([",".join(names), *lines]) + "\n")
    other.write_text("\n".join([",".join(names[k] for k in order), *map(reordered, lines)]) + "\n")
    expected, found = profile_files([canonical]), profile_files([other])
    assert found["rows"] == len(lines)
    assert {k: v for k, v in found.items() if k != "files"} == {k: v for k, v in expected.items() if k != "files"}
