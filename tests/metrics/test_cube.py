"""The cube (counts per minute x brand x category) adds up to the other tables, exactly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ecomstream.store import open_store
from tests.conftest import SHARED_FILES
from tests.helpers import run_files

COUNTS = "SUM(view), SUM(cart), SUM(remove_from_cart), SUM(purchase), SUM(revenue_micros)"


def _rows(url: str, sql: str) -> list[tuple]:
    with open_store(url) as store:
        return store.rows(sql)


def test_cube_adds_up_to_windows_brands_and_categories(shared_data: Path, store_url: str) -> None:
    run_files(store_url, shared_data / SHARED_FILES[0])
    by_minute = _rows(store_url, f"SELECT minute_start, {COUNTS} FROM cube GROUP BY minute_start ORDER BY 1")
    windows = _rows(store_url, f"SELECT window_start / 60 * 60 AS m, {COUNTS} FROM windows GROUP BY m ORDER BY 1")
    assert by_minute == windows and len(windows) > 100
    hours = _rows(
        store_url, f"SELECT hour_start, brand, category, {COUNTS} FROM cube_hours GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )
    rolled = _rows(
        store_url,
        f"SELECT minute_start / 3600 * 3600 AS h, brand, category, {COUNTS} FROM cube "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    assert hours == rolled and len(hours) > 10
    for table, key in (("brands", "brand"), ("categories", "category")):
        cube = _rows(store_url, f"SELECT {key}, {COUNTS} FROM cube GROUP BY {key} ORDER BY 1")
        totals = _rows(store_url, f"SELECT {key}, {COUNTS} FROM {table} GROUP BY {key} ORDER BY 1")
        assert cube == totals


def test_cube_does_not_depend_on_batches(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / SHARED_FILES[3]
    small, large = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    run_files(small, path, extra=("--batch-size", "97", "--rate", "200000"))
    run_files(large, path)
    for table in ("cube", "cube_hours"):
        everything = f"SELECT * FROM {table} ORDER BY 1, 2, 3"
        assert _rows(small, everything) == _rows(large, everything)


def test_a_version_1_store_is_upgraded_and_says_its_cube_is_partial(shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    run_files(f"sqlite:///{path}", shared_data / SHARED_FILES[3])
    with sqlite3.connect(path) as db:  # make it look like a version 1 store
        db.execute("DROP TABLE cube")
        db.execute("DROP TABLE cube_hours")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    meta = dict(_rows(f"sqlite:///{path}", "SELECT key, value FROM meta"))
    assert meta == {"schema_version": "2", "cube_partial": "1"}
    assert _rows(f"sqlite:///{path}", "SELECT COUNT(*) FROM cube") == [(0,)]
    assert _rows(f"sqlite:///{path}", "SELECT COUNT(*) FROM cube_hours") == [(0,)]
