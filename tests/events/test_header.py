"""The first line of a CSV file: header (any column order) or data."""

from __future__ import annotations

import doctest

import pytest

from ecomstream.errors import SourceError
from ecomstream.events import header
from ecomstream.events.header import split_header
from ecomstream.events.schema import FIELDS

CANONICAL = ",".join(FIELDS).encode()


def test_the_canonical_header_and_its_variants() -> None:
    assert split_header(CANONICAL + b"\n", "f") == (FIELDS, b"")
    assert split_header(header.BOM + CANONICAL + b"\r\n", "f") == (FIELDS, b"")
    shouted = b",".join(b' "%s" ' % name.upper().encode() for name in reversed(FIELDS))
    assert split_header(shouted + b"\n", "f") == (tuple(reversed(FIELDS)), b"")


def test_a_data_line_stays_data() -> None:
    line = b"2019-10-01 00:00:00 UTC,view,1,2,electronics.smartphone,brand,1.00,3,s\n"
    assert split_header(line, "f") == (FIELDS, line)
    assert split_header(header.BOM + line, "f") == (FIELDS, line)  # the mark is not data
    assert split_header(b"", "f") == (FIELDS, b"")


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        ([*FIELDS[:-1]], "missing: user_session"),
        ([*FIELDS, "color"], "unknown: color"),
        ([*FIELDS, ""], "unknown: \\(a column without a name\\)"),
        ([*FIELDS[:-1], "brand"], "missing: user_session; named twice: brand"),
    ],
)
def test_a_header_that_is_not_the_nine_columns_says_what_is_wrong(names: list[str], problem: str) -> None:
    with pytest.raises(SourceError, match=f"f.csv: its header names other columns .*\\({problem}\\)"):
        split_header(",".join(names).encode() + b"\n", "f.csv")


def test_another_separator_is_named() -> None:
    with pytest.raises(SourceError, match="separates the columns with ';'"):
        split_header(";".join(FIELDS).encode() + b"\n", "f.csv")


def test_docstring_examples() -> None:
    result = doctest.testmod(header)
    assert result.attempted > 0
    assert result.failed == 0
