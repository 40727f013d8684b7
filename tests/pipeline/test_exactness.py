"""The report over real files equals the independent recomputation, field by field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomstream.store import open_store
from tests.conftest import SHARED_FILES
from tests.helpers import assert_same_report, report_of, run_cli, run_files
from tests.reference import data_lines, reference_report


@pytest.mark.parametrize("name", SHARED_FILES)
def test_report_equals_recomputation_on_shared_file(shared_data: Path, store_url: str, name: str) -> None:
    path = shared_data / name
    actual = run_files(store_url, path)
    assert_same_report(actual, reference_report(data_lines(path)))


def test_files_in_a_row_share_one_watermark(shared_data: Path, store_url: str) -> None:
    files = [shared_data / SHARED_FILES[0], shared_data / SHARED_FILES[3]]
    actual = run_files(store_url, *files)
    lines = data_lines(files[0]) + data_lines(files[1])
    assert_same_report(actual, reference_report(lines))


def test_batch_size_does_not_change_the_numbers(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / SHARED_FILES[3]  # unsorted: late events depend on order, not on batches
    small = run_files(f"sqlite:///{tmp_path / 'a.db'}", path, extra=("--batch-size", "97", "--rate", "200000"))
    large = run_files(f"sqlite:///{tmp_path / 'b.db'}", path)
    assert small == large
    assert large["late_events"] > 0


def test_timeseries_matches_recomputation(shared_data: Path, store_url: str) -> None:
    import json

    path = shared_data / SHARED_FILES[0]
    run_files(store_url, path)
    expected = reference_report(data_lines(path))["_windows"]
    series = json.loads(run_cli("report", "--store", store_url, "--json", "--timeseries"))
    assert len(series) == len(expected)
    first = min(expected)
    assert series[0]["window"] == "2019-10-01T00:00:00Z"
    assert [series[0][t] for t in ("view", "cart", "remove_from_cart", "purchase")] == expected[first][:4]
    ranged = json.loads(run_cli("report", "--store", store_url, "--json", "--timeseries",
                                "--since", "2019-10-01T00:10:00Z", "--until", "2019-10-01T00:20:00Z"))  # fmt: skip
    assert ranged and all("2019-10-01T00:10:00Z" <= p["window"] < "2019-10-01T00:20:00Z" for p in ranged)
    assert len(ranged) == sum(1 for w in expected if first + 600 <= w < first + 1200)


def test_report_of_empty_store_has_nulls_not_errors(store_url: str) -> None:
    open_store(store_url).close()  # created by a pipeline that has committed nothing yet
    report = report_of(store_url)
    assert report["events"] == 0
    assert report["avg_purchase_price"] is None
    assert report["cart_abandonment"] is None
    assert report["completeness"]["brand"] is None


def test_time_now_shifts_windows_but_not_counts(shared_data: Path, tmp_path: Path) -> None:
    import json
    import time

    path = shared_data / SHARED_FILES[0]
    original = run_files(f"sqlite:///{tmp_path / 'a.db'}", path)
    url = f"sqlite:///{tmp_path / 'b.db'}"
    before = time.time()
    shifted = run_files(url, path, extra=("--time", "now"))
    assert shifted == original
    series = json.loads(run_cli("report", "--store", url, "--json", "--timeseries"))
    from datetime import datetime

    first = datetime.fromisoformat(series[0]["window"].replace("Z", "+00:00")).timestamp()
    assert before - 2 <= first <= time.time() + 1
