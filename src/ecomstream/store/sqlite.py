"""The embedded store: one SQLite file in WAL mode, so readers never block the writer."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import astuple
from pathlib import Path
from typing import Any

from ecomstream.errors import StaleCommit, StoreError
from ecomstream.store import sql
from ecomstream.store.base import Commit, Store
from ecomstream.store.schema import ADDITIVE_TABLES, SCHEMA_VERSION, ddl


class SQLiteStore(Store):
    """Store in one SQLite database file."""

    def __init__(self, path: str | Path, url: str | None = None, *, create: bool = True) -> None:
        self.path = Path(path)
        self.url = url or f"sqlite:///{self.path}"
        self._lock = threading.Lock()
        if not create and not self.path.is_file():
            msg = (
                f"no SQLite store at {self.path.resolve()}: check the path (sqlite:///relative.db is relative "
                "to the current folder, sqlite:////absolute.db is absolute) or fill it first with ecomstream run"
            )
            raise StoreError(msg)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA cache_size=-65536")
            self._db.execute("PRAGMA mmap_size=268435456")
            self._db.execute("PRAGMA wal_autocheckpoint=8192")
            self._migrate()
        except (sqlite3.Error, OSError) as err:
            msg = f"cannot open the SQLite store at {self.path}: {err}; check the path and its permissions"
            raise StoreError(msg) from err

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in ddl("sqlite"):
                    self._db.execute(statement)
                found = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                if found is None:
                    self._db.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                    )
                elif int(found[0]) > SCHEMA_VERSION:
                    msg = (
                        f"the store {self.path} has schema version {found[0]}, newer than this "
                        f"ecomstream ({SCHEMA_VERSION}); upgrade ecomstream or use another store"
                    )
                    raise StoreError(msg)
                elif int(found[0]) < SCHEMA_VERSION:
                    self._upgrade(int(found[0]))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _upgrade(self, version: int) -> None:
        """Bring an older store to SCHEMA_VERSION (inside the migration transaction).

        Version 1 had no cube tables: events committed before the upgrade are missing from them,
        which `meta.cube_partial` records so that readers can say so.
        """
        if version < 2 and self._db.execute("SELECT 1 FROM windows LIMIT 1").fetchone() is not None:
            self._db.execute("INSERT INTO meta (key, value) VALUES ('cube_partial', '1') ON CONFLICT (key) DO NOTHING")
        self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))

    def commit(self, commit: Commit) -> None:
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                if commit.expected:
                    found = dict(db.execute(sql.positions_of(len(commit.expected)), list(commit.expected)).fetchall())
                    moved = sql.moved_positions(commit.expected, found)
                    if moved:
                        db.execute("ROLLBACK")
                        raise StaleCommit(sql.stale_message(moved))
                deltas = commit.deltas
                if deltas is not None:
                    # Rows go in key order: the B-tree is then walked forwards, page after page.
                    for table, keys in ADDITIVE_TABLES.items():
                        frame = getattr(deltas, table)
                        if frame.height:
                            ordered = frame.sort(frame.columns[: len(keys)])
                            db.executemany(sql.additive_upsert(table), ordered.iter_rows())
                    if deltas.sessions.height:
                        db.executemany(sql.SESSIONS_UPSERT, deltas.sessions.sort("user_session").iter_rows())
                    if deltas.users.height:
                        db.executemany(sql.USERS_INSERT, deltas.users.sort("user_id").iter_rows())
                    counters = [(k, v) for k, v in deltas.counters.items() if v]
                    if counters:
                        db.executemany(sql.COUNTERS_UPSERT, counters)
                if commit.rejects:
                    db.executemany(sql.REJECTS_INSERT, (astuple(r) for r in commit.rejects))
                if commit.positions:
                    db.executemany(
                        sql.POSITIONS_UPSERT,
                        ((s, p.seq, int(p.finished), p.time_shift_us) for s, p in commit.positions.items()),
                    )
                if commit.streams:
                    db.executemany(sql.streams_upsert("max"), commit.streams.items())
                if commit.figures is not None:
                    db.execute(sql.WORKERS_UPSERT, astuple(commit.figures))
                db.execute("COMMIT")
            except sqlite3.Error as err:
                with contextlib.suppress(sqlite3.Error):  # e.g. the connection is gone too
                    db.execute("ROLLBACK")
                msg = f"cannot write to the SQLite store at {self.path}: {err}"
                raise StoreError(msg) from err

    def rows(self, sql_text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql_text, tuple(params)).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()
