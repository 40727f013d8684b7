"""Store URLs, schema versioning, and atomic commits."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecomstream.cli.main import cli
from ecomstream.errors import ConfigError, StoreError
from ecomstream.store import Commit, Position, Reject, open_store
from ecomstream.store.sqlite import SQLiteStore


def test_urls(tmp_path: Path) -> None:
    assert isinstance(open_store(f"sqlite:///{tmp_path / 'a.db'}"), SQLiteStore)
    assert isinstance(open_store(str(tmp_path / "b.db")), SQLiteStore)
    with pytest.raises(ConfigError, match="sqlite:///"):
        open_store("sqlite://relative.db")
    with pytest.raises(ConfigError, match="unknown store"):
        open_store("mysql://x")


def test_readers_do_not_create_a_store_at_a_mistyped_path(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "store.db"
    with pytest.raises(StoreError, match=r"no SQLite store at .*fill it first with ecomstream run"):
        open_store(f"sqlite:///{missing}", create=False)
    assert not missing.parent.exists()
    open_store(f"sqlite:///{missing}").close()  # the pipeline creates it
    open_store(f"sqlite:///{missing}", create=False).close()


def test_report_and_rejects_on_a_missing_store_fail_with_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    for command in ("report", "rejects"):
        result = CliRunner().invoke(cli, [command, "--store", f"sqlite:///{missing}"])
        assert isinstance(result.exception, StoreError)  # `main` prints it as "error: ..." and exits 2
        assert f"no SQLite store at {missing}" in str(result.exception)
    assert not missing.exists()


def test_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    open_store(str(path)).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer than this ecomstream"):
        open_store(str(path))


def test_a_failed_commit_changes_nothing(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    store.commit(Commit(positions={"f": Position(5)}))
    bad = Commit(
        positions={"f": Position(9)},
        rejects=[Reject("f", 6, "malformed", None, 0.0)],  # type: ignore[arg-type]  # NOT NULL raw
    )
    with pytest.raises(StoreError):
        store.commit(bad)
    assert store.positions()["f"].seq == 5
    store.close()


def test_a_commit_to_a_closed_store_is_a_store_error(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    store.close()
    with pytest.raises(StoreError, match="cannot write to the SQLite store"):
        store.commit(Commit(positions={"f": Position(1)}))


def test_unwritable_store_says_what_to_check(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="check the path"):
        open_store(str(blocker / "s.db"))


def test_postgres_merges_every_additive_table_once() -> None:
    from ecomstream.store.postgres import MERGE_ORDER
    from ecomstream.store.schema import ADDITIVE_TABLES

    assert sorted(MERGE_ORDER) == sorted(ADDITIVE_TABLES)
