"""The open page shows newly committed events within 2 seconds, with the default refresh."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED_FILES
from tests.dashboard.pagekit import kpis, open_dashboard, trace_data, wait_for_kpis
from tests.helpers import report_of, run_files
from tests.web import Served, hostile_rows, start, write_csv

pytestmark = [pytest.mark.browser, pytest.mark.integration]

VISIBLE_WITHIN_S = 2.0


@pytest.fixture
def live_store(shared_data: Path, tmp_path: Path) -> Iterator[tuple[str, Served]]:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    run_files(url, shared_data / SHARED_FILES[0])
    served = start("dashboard", "--store", url, log=tmp_path / "server.log")
    yield url, served
    assert served.stop() == 0


def _commit_and_time(page: Any, url: str, served: Served, *files: Path) -> float:
    """Commit `files` with the real pipeline; seconds from its last commit to the page showing it."""
    run_files(url, *files)
    total = report_of(url)["events"]
    committed_at = served.get("/api/health").json()["workers"][0]["last_commit_epoch"]
    deadline = time.time() + 10
    while kpis(page).get("events") != total:
        assert time.time() < deadline, f"the page still shows {kpis(page).get('events')} events, not {total}"
        time.sleep(0.02)
    return time.time() - committed_at


def test_new_events_show_within_two_seconds(page: Any, live_store: tuple[str, Served], shared_data: Path,
                                            tmp_path: Path) -> None:  # fmt: skip
    url, served = live_store
    open_dashboard(page, served)
    wait_for_kpis(page, {"events": report_of(url)["events"]})
    trace_data(page, "events-chart")  # loaded: charts drawn, so what follows is the steady state
    page.wait_for_timeout(1_000)
    delays = [
        _commit_and_time(page, url, served, shared_data / SHARED_FILES[3]),
        _commit_and_time(page, url, served, write_csv(tmp_path / "more.csv", hostile_rows())),
    ]
    assert max(delays) < VISIBLE_WITHIN_S, delays
