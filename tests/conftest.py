"""Shared fixtures: where the real sample data is, and temporary stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """../shared/data beside the clone, or $ECOMSTREAM_SHARED_DATA."""
    configured = os.environ.get("ECOMSTREAM_SHARED_DATA")
    candidate = Path(configured) if configured else REPO.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


SHARED_FILES = (
    "rees46_2019oct_head_17434rows.csv.gz",
    "rees46_2019oct_tail_100000rows.csv.gz",
    "rees46_2019nov_head_300000rows.csv.gz",
    "electronics_store_fragments_2397rows.csv.gz",
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    found = shared_data_dir()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("../shared/data is missing beside the clone; CI always has it")
        pytest.skip("the real samples are not here: put them in ../shared/data or set ECOMSTREAM_SHARED_DATA")
    return found


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


from tests.web_fixtures import filled_store, server, token_server  # noqa: E402

__all__ = ["filled_store", "server", "token_server"]
