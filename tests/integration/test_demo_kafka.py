"""`demo --bus kafka://...`: the whole thing against the real broker, with its dashboard."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from tests.conftest import SHARED_FILES
from tests.helpers import assert_same_report, report_of
from tests.reference import data_lines, reference_report
from tests.web import serving

pytestmark = pytest.mark.integration


def test_demo_through_kafka_serves_exact_numbers(kafka_bootstrap: str, shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / SHARED_FILES[3]
    expected = reference_report(data_lines(path))
    store = f"sqlite:///{tmp_path / 'demo.db'}"
    topic = f"demo-{uuid.uuid4().hex[:8]}"
    args = ("demo", "--bus", f"kafka://{kafka_bootstrap}", "--topic", topic, "--group", f"g-{topic}",
            "--source", str(path), "--rate", "5000", "--store", store)  # fmt: skip
    with serving(*args, log=tmp_path / "demo.log") as served:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if served.get("/api/totals").json()["events"] == expected["events"]:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the page never showed every event; log:\n{served.log.read_text()}")
        assert served.stop() == 0
    assert "Traceback" not in served.log.read_text()
    assert_same_report(report_of(store), expected)
