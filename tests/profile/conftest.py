"""Fixtures of the profile tests: the shared REES46 files and small hand-written files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.profile.shared import SHARED_DATA, shared_files

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"


@pytest.fixture(scope="session")
def data_files() -> list[Path]:
    files = shared_files()
    if not files:
        pytest.skip(f"shared data not found in {SHARED_DATA}; set ECOMSTREAM_SHARED_DATA to the folder")
    return files


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write data lines (after the header) to a CSV file and return its path."""

    def write(lines: list[str], name: str = "events.csv") -> Path:
        path = tmp_path / name
        path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    return write
