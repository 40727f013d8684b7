"""`demo` and `run` start everything, stop cleanly on Ctrl-C, and continue with the stored history."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecomstream.cli.main import cli
from tests.conftest import SHARED_FILES
from tests.dashboard.conftest import ARTIFACTS
from tests.dashboard.pagekit import kpis, open_dashboard
from tests.helpers import assert_same_report, report_of
from tests.reference import data_lines, reference_report
from tests.web import Served, serving

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _wait(condition, what: str, served: Served, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; log:\n{served.log.read_text()}")


def test_demo_stops_cleanly_and_continues(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / SHARED_FILES[3]
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ("demo", "--source", str(path), "--rate", "600", "--store", url)
    with serving(*args, log=tmp_path / "first.log") as first:
        _wait(lambda: first.get("/api/health").json()["running"], "the pipeline to run", first)
        _wait(lambda: first.get("/api/totals").json()["events"] > 200, "events", first)
        assert first.stop() == 0
    assert "stopped:" in first.log.read_text()
    assert "Traceback" not in first.log.read_text()
    partial = report_of(url)["events"]
    expected = reference_report(data_lines(path))
    assert 0 < partial < expected["events"]
    with serving(*args, log=tmp_path / "second.log") as second:
        _wait(lambda: second.get("/api/totals").json()["events"] == expected["events"], "the whole file", second)
        _wait(lambda: "source finished" in second.log.read_text(), "the end of the source", second)
        assert second.get("/api/health").json()["running"] is False
        assert second.stop() == 0
    assert_same_report(report_of(url), expected)


def test_run_serves_the_dashboard_while_the_pipeline_runs(shared_data: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'run.db'}"
    path = str(shared_data / SHARED_FILES[3])
    with serving("run", "--source", path, "--rate", "600", "--store", url, log=tmp_path / "run.log") as served:
        _wait(lambda: served.get("/api/totals").json()["events"] > 0, "events on the page's API", served)
        assert served.process.wait(30) == 0  # a finite source ends the run, dashboard included
    assert "source finished" in served.log.read_text()
    assert report_of(url)["events"] == reference_report(data_lines(shared_data / SHARED_FILES[3]))["events"]


def test_run_without_its_port_still_runs_the_pipeline(shared_data: Path, store_url: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = CliRunner().invoke(cli, ["run", "--source", str(shared_data / SHARED_FILES[3]), "--store", store_url,
                                          "--port", port, "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "running without the dashboard" in result.stderr and "pass another --port" in result.stderr
    assert report_of(store_url)["events"] > 0


@pytest.mark.browser
def test_live_demo_page(page: Any, shared_data: Path, tmp_path: Path) -> None:
    """The demo's page while events stream in: running, last 5 minutes; saved as artifacts/dashboard.png."""
    url = f"sqlite:///{tmp_path / 'shot.db'}"
    path = str(shared_data / SHARED_FILES[0])
    with serving("demo", "--source", path, "--rate", "400", "--store", url, log=tmp_path / "demo.log") as served:
        open_dashboard(page, served)
        page.wait_for_function("() => document.querySelector('#status-running').innerText.includes('running')")
        seen = kpis(page)["events"] or 0
        _wait(lambda: (kpis(page)["events"] or 0) > seen + 2_000, "the page to follow the stream", served)
        page.click("#range input[value='5m']")
        page.wait_for_function("() => !document.querySelector('#filter-span').innerText.includes('the first event')")
        page.wait_for_timeout(2_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        assert page.dialogs == [] and page.errors == []
        assert served.stop() == 0


def test_demo_needs_no_arguments(tmp_path: Path) -> None:
    """The generator at its default pace, event times now; only the store is moved out of the way."""
    url = f"sqlite:///{tmp_path / 'gen.db'}"
    with serving("demo", "--store", url, log=tmp_path / "gen.log") as served:
        _wait(lambda: served.get("/api/totals").json()["events"] > 1_000, "generated events", served)
        health = served.get("/api/health").json()["workers"][0]
        assert health["status"] == "running" and health["events_per_s"] > 0
        assert served.stop() == 0
    assert report_of(url)["events"] > 1_000
