"""Rejects by reason on a small hand-written bad file, whatever the chunking."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomstream.events.schema import REASONS
from ecomstream.profile import profile_files

T = "2019-10-01 00:00:02 UTC"
BAD_LINES = [
    ("2019-10-01 00:00:00 UTC,view,1,2,electronics.phone,Samsung ,10.50,7,s1", None),
    ("2019-10-01 00:00:01 UTC,view,1,2", "malformed"),
    ("2019-10-01 00:00:01 UTC,view,1,2,,,10.50,7,s1,extra", "malformed"),
    (",view,1,2,,,10.50,7,s1", "missing:event_time"),
    ("yesterday,view,1,2,,,10.50,7,s1", "bad_type:event_time"),
    ("2150-01-01 00:00:00 UTC,view,1,2,,,10.50,7,s1", "bad_value:event_time"),
    (f"{T},,1,2,,,10.50,7,s1", "missing:event_type"),
    (f"{T},click,1,2,,,10.50,7,s1", "unknown_event_type"),
    (f"{T},view,,2,,,10.50,7,s1", "missing:product_id"),
    (f"{T},view,abc,2,,,10.50,7,s1", "bad_type:product_id"),
    (f"{T},view,99999999999999999999,2,,,10.50,7,s1", "bad_value:product_id"),
    (f"{T},view,1,x2,,,10.50,7,s1", "bad_type:category_id"),
    (f"{T},view,1,2,,,,7,s1", "missing:price"),
    (f"{T},view,1,2,,,ten,7,s1", "bad_type:price"),
    (f"{T},view,1,2,,,-1,7,s1", "bad_value:price"),
    (f"{T},view,1,2,,,10.50,,s1", "missing:user_id"),
    (f"{T},view,1,2,,,10.50,u7,s1", "bad_type:user_id"),
    (f"{T},view,1,2,,,10.50,99999999999999999999,s1", "bad_value:user_id"),
    (f"{T},view,1,2,,{'x' * 17_000},10.50,7,s1", "too_large"),
    ("yesterday,click,abc,,,,,,", "bad_type:event_time"),
    ("2019-10-01T00:00:03Z,purchase,1,,,,20.00,7,s1", None),
]
QUOTED = ('"2019-10-01 00:00:04 UTC",cart,1,,"a,b",brand,5.00,8,s2', None)
LATE = ("2019-10-01 00:00:00 UTC,view,3,,,,1.00,9,s3", None)


@pytest.fixture(params=[False, True], ids=["unquoted", "quoted"])
def case(request: pytest.FixtureRequest, write_csv) -> tuple[Path, list]:
    lines = BAD_LINES + ([QUOTED] if request.param else []) + [LATE]
    return write_csv([text for text, _ in lines]), lines


@pytest.mark.parametrize("chunk_bytes", [100, 1 << 20])
def test_rejects_by_reason(case: tuple[Path, list], chunk_bytes: int) -> None:
    path, lines = case
    profile = profile_files([path], chunk_bytes=chunk_bytes)
    expected = dict.fromkeys(REASONS, 0)
    for _, reason in lines:
        if reason:
            expected[reason] += 1
    assert profile["rejected"] == expected
    assert profile["rows"] == len(lines)
    assert profile["events"] == sum(1 for _, reason in lines if reason is None)
    assert profile["rejected_rows"] == profile["rows"] - profile["events"]
    assert profile["late_events"] == 1


def test_accepted_figures(case: tuple[Path, list]) -> None:
    path, lines = case
    profile = profile_files([path])
    quoted = len(lines) == len(BAD_LINES) + 2
    assert profile["completeness"]["brand"] == pytest.approx((2 if quoted else 1) / len(lines))
    brands = {row["brand"]: (row["views"], row["carts"], row["purchases"]) for row in profile["brands"]}
    assert brands.pop("samsung") == (1, 0, 0)
    assert brands.pop("(unknown)") == (1, 0, 1)
    assert brands == ({"brand": (0, 1, 0)} if quoted else {})
    assert profile["revenue"] == 20.0
    if quoted:
        assert {row["category"] for row in profile["categories"]} == {"electronics", "a,b", "(unknown)"}


@pytest.mark.parametrize("chunk_bytes", [10, 1 << 20])
def test_quoted_newline_stays_in_its_record(write_csv, chunk_bytes: int) -> None:
    path = write_csv(['2019-10-01 00:00:00 UTC,view,1,,"two\nlines",b,1.00,7,s1', BAD_LINES[0][0]])
    profile = profile_files([path], chunk_bytes=chunk_bytes)
    assert (profile["rows"], profile["events"]) == (2, 2)
    assert {row["category"] for row in profile["categories"]} == {"two\nlines", "electronics"}
