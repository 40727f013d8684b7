"""Shared fixtures: a store filled by the real pipeline (a shared file plus hostile rows), served by a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SHARED_FILES
from tests.helpers import run_files
from tests.web import Served, hostile_rows, start, write_csv

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="session")
def filled_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """sqlite URL of a store holding the first shared file and a few hostile and bad records."""
    folder = tmp_path_factory.mktemp("api")
    hostile = write_csv(folder / "hostile.csv", hostile_rows())
    url = f"sqlite:///{folder / 'store.db'}"
    run_files(url, shared_data / SHARED_FILES[0], hostile)
    return url


@pytest.fixture(scope="session")
def server(filled_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start("dashboard", "--store", filled_store, log=tmp_path_factory.mktemp("log") / "server.log")
    yield served
    assert served.stop() == 0


@pytest.fixture(scope="session")
def token_server(filled_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start("dashboard", "--store", filled_store, log=tmp_path_factory.mktemp("log") / "token.log",
                   headers={"Authorization": f"Bearer {TOKEN}"}, env={"ECOMSTREAM_TOKEN": TOKEN})  # fmt: skip
    yield served
    assert served.stop() == 0
