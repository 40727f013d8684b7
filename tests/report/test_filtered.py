"""Filtered counts equal the independent recomputation over the matching lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecomstream.report import filtered
from ecomstream.report.build import build_report
from ecomstream.report.filters import FilterError, make_filters, parse_time
from ecomstream.store import open_store
from tests.conftest import SHARED_FILES
from tests.helpers import run_cli, run_files
from tests.reference import data_lines
from tests.report.expected import filtered_reference

START = 1_569_888_000  # 2019-10-01T00:00:00Z, where the first shared file starts


@pytest.fixture(scope="module")
def filled(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[bytes]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('filtered') / 'store.db'}"
    path = shared_data / SHARED_FILES[0]
    run_files(url, path)
    return url, data_lines(path)


CASES = [
    {"since": START + 600, "until": START + 1200},
    {"brand": "samsung"},
    {"category": "electronics"},
    {"brand": "(unknown)", "category": "(unknown)"},
    {"since": START + 300, "brand": "apple"},
    {"until": START + 900, "category": "appliances", "brand": "bosch"},
    {"since": START + 600, "until": START + 9_000, "category": "electronics"},
    {"since": START + 3_600, "brand": "xiaomi"},
    {"since": START + 1_800, "until": START + 9_600},
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: ",".join(c))
def test_filtered_report_equals_recomputation(filled: tuple[str, list[bytes]], case: dict) -> None:
    url, lines = filled
    expected = filtered_reference(lines, **case)
    with open_store(url) as store:
        report = build_report(store, make_filters(**case))
        series = filtered.series(store, make_filters(**case), max_points=50)
    for key in ("events", "by_type", "revenue", "avg_purchase_price", "view_to_cart", "brands", "categories"):
        assert report[key] == expected[key], key
    assert report["events"] > 0
    assert report["filter"]["brand"] == case.get("brand")
    assert len(series["points"]) <= 50
    assert sum(p["view"] for p in series["points"]) == expected["by_type"]["view"]
    assert sum(p["purchase"] for p in series["points"]) == expected["by_type"]["purchase"]


def test_unfiltered_report_has_no_filter_key(filled: tuple[str, list[bytes]]) -> None:
    with open_store(filled[0]) as store:
        assert "filter" not in build_report(store)


def test_report_command_takes_the_same_filters(filled: tuple[str, list[bytes]]) -> None:
    url, lines = filled
    printed = json.loads(run_cli("report", "--store", url, "--json", "--brand", "samsung", "--since",
                                 "2019-10-01T00:05:00Z"))  # fmt: skip
    assert printed["by_type"] == filtered_reference(lines, since=START + 300, brand="samsung")["by_type"]


def test_series_is_per_second_when_short_and_per_minute_with_a_brand(filled: tuple[str, list[bytes]]) -> None:
    with open_store(filled[0]) as store:
        short = filtered.series(store, make_filters(since=START, until=START + 120))
        branded = filtered.series(store, make_filters(brand="samsung"))
    assert short["step"] == 1 and short["points"][0]["window"] == "2019-10-01T00:00:00Z"
    assert branded["step"] % 60 == 0


def test_bad_filters_say_what_to_do() -> None:
    with pytest.raises(FilterError, match="empty time range"):
        make_filters(since=120, until=100)
    with pytest.raises(FilterError, match="ISO 8601"):
        parse_time("yesterday", "since")
    with pytest.raises(FilterError, match="at most"):
        make_filters(brand="x" * 500)
    assert parse_time("2019-10-01T00:00:00Z") == START == parse_time("2019-10-01 00:00:00 UTC")
    assert parse_time(str(START)) == START
