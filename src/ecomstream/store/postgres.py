"""The shared store: PostgreSQL, written by any number of workers at once.

A commit is one transaction. Each delta frame (one row per key) is streamed with COPY
(CSV, written by polars) into a temporary staging table, then merged with one
`INSERT ... SELECT ... ORDER BY key ON CONFLICT DO UPDATE` per table.
Rows are locked in key order and the tables in a fixed order, with the hot scalar rows
(counters, streams) last, so concurrent workers wait for each other instead of
deadlocking, and hold the hottest locks only briefly. Should PostgreSQL still report a
deadlock or a serialization failure, the whole transaction is retried.

`Commit.expected` is checked first, under row locks (`SELECT ... FOR UPDATE` after
making sure the rows exist): a writer whose partitions were taken over cannot apply a
stale batch.

PostgreSQL text cannot hold NUL characters; they are stored as U+FFFD.

The session runs with `synchronous_commit = off`: a server crash may lose the last
commits, but each one whole, deltas and input positions together, so the lost batches
are simply read and counted again.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import astuple
from functools import lru_cache
from typing import Any

import polars as pl
import psycopg
from psycopg import errors as pg_errors
from psycopg import sql as pgsql

from ecomstream.errors import StaleCommit, StoreError
from ecomstream.metrics.deltas import Deltas
from ecomstream.store import sql
from ecomstream.store.base import Commit, Store
from ecomstream.store.schema import ADDITIVE_TABLES, COUNT_COLUMNS, SCHEMA_VERSION, ddl

MIGRATION_LOCK = 0x65636F6D73747265  # "ecomstre": one migration at a time across processes
RETRIES = 8
_RETRYABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure, pg_errors.LockNotAvailable)
_NUL, _REPLACEMENT = "\x00", "\ufffd"
MERGE_ORDER = ("products", "cube_hours", "cube", "windows", "categories", "brands")
"""Additive tables from the least to the most shared between workers (see `_merge_frames`)."""


@lru_cache(maxsize=256)
def to_pyformat(text: str) -> str:
    """Portable SQL with `?` placeholders in psycopg's `%s` style (`%` doubled)."""
    return text.replace("%", "%%").replace("?", "%s")


def _clean_text(value: str) -> str:
    return value.replace(_NUL, _REPLACEMENT) if _NUL in value else value


class PostgresStore(Store):
    """Store in a PostgreSQL database, shared by several processes."""

    def __init__(self, url: str, connect_timeout: float = 10) -> None:
        self.url = url
        self._lock = threading.Lock()
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=int(connect_timeout))
            self._db.execute("SET synchronous_commit = off")
        except psycopg.Error as err:
            msg = (
                f"cannot connect to the PostgreSQL store {_safe(url)}: {str(err).strip()}; "
                "check that the server runs and the URL (user, host, port, database) is right"
            )
            raise StoreError(msg) from err
        try:
            self._migrate()
            self._stage()
        except psycopg.Error as err:
            self._db.close()
            msg = f"cannot prepare the PostgreSQL store {_safe(url)}: {str(err).strip()}"
            raise StoreError(msg) from err

    def _migrate(self) -> None:
        with self._lock, self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            for statement in ddl("postgresql"):
                self._db.execute(statement)
            found = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if found is None:
                self._db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', %s)", (str(SCHEMA_VERSION),))
            elif int(found[0]) > SCHEMA_VERSION:
                msg = (
                    f"the store {_safe(self.url)} has schema version {found[0]}, newer than this "
                    f"ecomstream ({SCHEMA_VERSION}); upgrade ecomstream or use another database"
                )
                raise StoreError(msg)

    def _stage(self) -> None:
        """Session-private staging tables, emptied at every commit."""
        with self._lock:
            for table in (*ADDITIVE_TABLES, "sessions", "users"):
                self._db.execute(
                    pgsql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {}) ON COMMIT DELETE ROWS").format(
                        pgsql.Identifier(f"stage_{table}"), pgsql.Identifier(table)
                    )
                )

    def commit(self, commit: Commit) -> None:
        for attempt in range(RETRIES):
            try:
                with self._lock, self._db.transaction():
                    self._apply(commit)
                return
            except _RETRYABLE as err:
                if attempt == RETRIES - 1:
                    msg = f"PostgreSQL kept aborting the commit ({err.sqlstate}) after {RETRIES} tries: {err}"
                    raise StoreError(msg) from err
                time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
            except psycopg.Error as err:
                msg = f"cannot write to the PostgreSQL store {_safe(self.url)}: {str(err).strip()}"
                raise StoreError(msg) from err

    def _apply(self, commit: Commit) -> None:
        db = self._db
        if commit.expected:
            self._check_expected(commit.expected)
        deltas = commit.deltas
        if deltas is not None:
            self._merge_frames(deltas)
        if commit.rejects:
            with db.cursor().copy("COPY rejects (source, seq, reason, raw, received_at) FROM STDIN") as copy:
                for r in commit.rejects:
                    copy.write_row((_clean_text(r.source), r.seq, _clean_text(r.reason), r.raw, r.received_at))
        if commit.positions:
            rows = [
                (_clean_text(s), p.seq, int(p.finished), p.time_shift_us) for s, p in sorted(commit.positions.items())
            ]
            db.cursor().executemany(to_pyformat(sql.POSITIONS_UPSERT), rows)
        if commit.figures is not None:
            figures = astuple(commit.figures)
            db.execute(to_pyformat(sql.WORKERS_UPSERT), (*figures[:3], int(commit.figures.running), *figures[4:]))
        # The rows every writer touches go last, so their locks are held for the shortest time.
        if deltas is not None:
            counters = sorted((k, v) for k, v in deltas.counters.items() if v)
            if counters:
                db.cursor().executemany(to_pyformat(sql.COUNTERS_UPSERT), counters)
        if commit.streams:
            db.cursor().executemany(to_pyformat(sql.streams_upsert("GREATEST")), sorted(commit.streams.items()))

    def _check_expected(self, expected: dict[str, int]) -> None:
        keys = sorted(expected)
        db = self._db
        db.cursor().executemany(
            "INSERT INTO positions (source, seq) VALUES (%s, 0) ON CONFLICT (source) DO NOTHING", [(k,) for k in keys]
        )
        found = dict(
            db.execute(
                "SELECT source, seq FROM positions WHERE source = ANY(%s) ORDER BY source FOR UPDATE", (keys,)
            ).fetchall()
        )
        moved = sql.moved_positions(expected, found)
        if moved:
            raise StaleCommit(sql.stale_message(moved))

    def _merge_frames(self, deltas: Deltas) -> None:
        """Stage every frame, then merge: first the tables whose rows one worker owns
        (sessions and users: a user's events stay in one partition), last the rows every
        worker adds to (times, brands, categories), so that their row locks, held until the
        commit, block another worker's commit for as short a time as possible."""
        merges: list[tuple[str, tuple[str, ...], pgsql.Composable | None]] = []
        if deltas.sessions.height:
            self._copy("sessions", ("user_session",), deltas.sessions.select("user_session", "flags"),
                       [pl.col("flags").bitwise_or()])  # fmt: skip
            # A session whose flags do not change is not rewritten.
            merges.append(("sessions", ("user_session",), pgsql.SQL(
                "flags = sessions.flags | excluded.flags WHERE sessions.flags <> (sessions.flags | excluded.flags)"
            )))  # fmt: skip
        if deltas.users.height:
            self._copy("users", ("user_id",), deltas.users.select("user_id"), [])
            merges.append(("users", ("user_id",), None))
        for table in MERGE_ORDER:
            keys = ADDITIVE_TABLES[table]
            frame: pl.DataFrame = getattr(deltas, table)
            if frame.height:
                frame = frame.select(*(pl.col(frame.columns[i]).alias(k) for i, k in enumerate(keys)), *COUNT_COLUMNS)
                self._copy(table, keys, frame, [pl.col(c).sum() for c in COUNT_COLUMNS])
                merges.append((table, keys, _additive_set(table)))
        for table, keys, update in merges:
            self._merge(table, keys, update)

    def _copy(self, table: str, keys: tuple[str, ...], frame: pl.DataFrame, merge: list[pl.Expr]) -> None:
        """Stream a frame of unique keys into the table's staging table, sorted by key
        (polars orders text by its bytes, as the keys' "C" collation does)."""
        for key in keys:
            if frame.schema[key] == pl.String and frame[key].str.contains(_NUL, literal=True).any():
                frame = frame.with_columns(pl.col(key).str.replace_all(_NUL, _REPLACEMENT, literal=True))
                frame = frame.group_by(list(keys)).agg(merge) if merge else frame.unique(list(keys))
        statement = pgsql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            pgsql.Identifier(f"stage_{table}"), pgsql.SQL(", ").join(pgsql.Identifier(c) for c in frame.columns)
        )
        frame = frame.sort(list(keys))
        with self._db.cursor().copy(statement) as copy:
            copy.write(frame.write_csv(include_header=False, quote_style="non_numeric"))

    def _merge(self, table: str, keys: tuple[str, ...], update: pgsql.Composable | None) -> None:
        """Add the staged rows of `table` to it (a row already there gets `update`, or is
        left alone when it is None). Rows are locked in key order, so that two workers do
        not deadlock: the staging table was written sorted and, emptied at every commit,
        is read back in the order it was written, so the server need not sort it again
        (should it ever differ, the deadlock is retried)."""
        key = pgsql.SQL(", ").join(pgsql.Identifier(k) for k in keys)
        action = pgsql.SQL("DO NOTHING") if update is None else pgsql.SQL("DO UPDATE SET {}").format(update)
        statement = pgsql.SQL(
            "INSERT INTO {table} SELECT * FROM {stage} ON CONFLICT ({key}) {action}"
        ).format(
            table=pgsql.Identifier(table), key=key, stage=pgsql.Identifier(f"stage_{table}"), action=action,
        )  # fmt: skip
        self._db.execute(statement)

    def rows(self, sql_text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(to_pyformat(sql_text), tuple(params)).fetchall()
            except psycopg.Error as err:
                msg = f"cannot read the PostgreSQL store {_safe(self.url)}: {str(err).strip()}"
                raise StoreError(msg) from err

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _additive_set(table: str) -> pgsql.Composable:
    return pgsql.SQL(", ").join(
        pgsql.SQL("{c} = {t}.{c} + excluded.{c}").format(c=pgsql.Identifier(c), t=pgsql.Identifier(table))
        for c in COUNT_COLUMNS
    )


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"
