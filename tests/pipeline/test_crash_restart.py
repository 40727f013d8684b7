"""`kill -9` mid-run, start the same command again: the report is that of a clean run."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

from tests.conftest import SHARED_FILES
from tests.helpers import report_of, run_files, spawn


def committed_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            row = conn.execute("SELECT COALESCE(SUM(seq), 0), COALESCE(MIN(finished), 0) FROM positions").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0]) if not row[1] else -1


def test_kill_9_then_restart_gives_the_clean_numbers(shared_data: Path, tmp_path: Path) -> None:
    files = [shared_data / SHARED_FILES[0], shared_data / SHARED_FILES[3]]
    clean = run_files(f"sqlite:///{tmp_path / 'clean.db'}", *files)

    db = tmp_path / "crashed.db"
    args = ["run", "--store", f"sqlite:///{db}", "--no-dashboard", "--quiet", "--rate", "20000",
            "--batch-size", "1500", "--batch-wait-ms", "50"]  # fmt: skip
    for path in files:
        args += ["--source", str(path)]
    for kills in range(2):  # crash twice at different points
        child = spawn(*args)
        deadline = time.monotonic() + 60
        target = 3_000 * (kills + 1)
        while time.monotonic() < deadline and 0 <= committed_rows(db) < target and child.poll() is None:
            time.sleep(0.05)
        assert child.poll() is None, child.communicate()[1].decode()
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert 0 < committed_rows(db) < 19_831, "the kill should land mid-run"
    child = spawn(*args)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()
    assert report_of(f"sqlite:///{db}") == clean
