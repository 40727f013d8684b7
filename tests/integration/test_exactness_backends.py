"""One suite, every backend: the report equals the independent recomputation, field by
field, whether events go through the memory bus into SQLite or through Kafka into
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import SHARED_FILES
from tests.helpers import assert_same_report, report_of, run_files
from tests.integration.kafka_support import fresh_store, process, produce, unique
from tests.reference import data_lines, reference_report

pytestmark = pytest.mark.integration

Runner = Callable[..., dict[str, Any]]


@pytest.fixture(params=["memory+sqlite", "kafka+postgresql"])
def pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> Runner:
    """Runs files through one backend and returns the report."""
    if request.param == "memory+sqlite":

        def embedded(*files: Path, small_batches: bool = False) -> dict[str, Any]:
            extra = ("--batch-size", "97", "--rate", "200000") if small_batches else ()
            return run_files(f"sqlite:///{tmp_path / 'store.db'}", *files, extra=extra)

        return embedded
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    store = fresh_store(request.getfixturevalue("postgres_url"))

    def through_kafka(*files: Path, small_batches: bool = False) -> dict[str, Any]:
        topic = unique("exact")
        produce(bootstrap, topic, *files)
        process(bootstrap, topic, unique("g"), store, *(("--batch-size", "97") if small_batches else ()))
        return report_of(store)

    return through_kafka


@pytest.mark.parametrize("name", SHARED_FILES)
def test_report_equals_recomputation_on_shared_file(shared_data: Path, pipeline: Runner, name: str) -> None:
    path = shared_data / name
    assert_same_report(pipeline(path), reference_report(data_lines(path)))


def test_files_in_a_row_share_one_watermark(shared_data: Path, pipeline: Runner) -> None:
    files = [shared_data / SHARED_FILES[0], shared_data / SHARED_FILES[3]]
    lines = data_lines(files[0]) + data_lines(files[1])
    assert_same_report(pipeline(*files), reference_report(lines))


def test_small_batches_give_the_same_numbers(shared_data: Path, pipeline: Runner) -> None:
    path = shared_data / SHARED_FILES[3]  # unsorted: late events depend on order, not on batches
    report = pipeline(path, small_batches=True)
    assert_same_report(report, reference_report(data_lines(path)))
    assert report["late_events"] > 0


def test_bad_and_tricky_records(tmp_path: Path, pipeline: Runner) -> None:
    from tests.pipeline.test_bad_input import INVALID, VALID, write

    path = write(tmp_path, VALID + list(INVALID.values()))
    report = pipeline(path)
    assert_same_report(report, reference_report(data_lines(path)))
    assert all(report["rejected"][reason] == 1 for reason in INVALID)
