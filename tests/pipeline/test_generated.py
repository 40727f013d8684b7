"""The pipeline on generated data: exact against the reference, and resumable."""

from __future__ import annotations

from pathlib import Path

from ecomstream.sources.synthetic import EventGenerator
from tests.helpers import assert_same_report, report_of, run_cli, run_files
from tests.reference import data_lines, reference_report


def test_generated_csv_file_matches_the_reference(tmp_path: Path, store_url: str) -> None:
    path = tmp_path / "generated.csv"
    EventGenerator(seed=7, events_per_second=200).take(60_000).write_csv(path)
    report = run_files(store_url, path)
    assert_same_report(report, reference_report(data_lines(path)))
    assert report["by_type"]["remove_from_cart"] > 0


def test_generator_run_resumes_to_the_numbers_of_one_run(tmp_path: Path) -> None:
    whole = f"sqlite:///{tmp_path / 'whole.db'}"
    run_cli("run", "--store", whole, "--seed", "3", "--limit", "30000", "--quiet", "--no-dashboard")
    parts = f"sqlite:///{tmp_path / 'parts.db'}"
    run_cli("run", "--store", parts, "--seed", "3", "--limit", "12345", "--quiet", "--no-dashboard")
    run_cli("run", "--store", parts, "--seed", "3", "--limit", "30000", "--quiet", "--no-dashboard")
    assert report_of(parts) == report_of(whole)
    assert report_of(whole)["events"] == 30_000
