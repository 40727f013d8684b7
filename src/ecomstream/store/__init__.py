"""Stores of additive metric rows: SQLite (embedded) and PostgreSQL (shared)."""

from __future__ import annotations

from pathlib import Path

from ecomstream.errors import ConfigError
from ecomstream.store.base import Commit, Position, Reject, Store, WorkerFigures

__all__ = ["Commit", "Position", "Reject", "Store", "WorkerFigures", "open_store"]


def open_store(url: str, *, create: bool = True) -> Store:
    """Open a store from its URL: `sqlite:///relative.db`, `sqlite:////abs.db`, a plain
    file path, or `postgresql://user@host:port/db`. Readers (`report`, `rejects`, the
    dashboard) pass `create=False`, so a mistyped SQLite path is an error, not a new,
    empty store reporting zeros."""
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from ecomstream.store.postgres import PostgresStore
        except ImportError as err:
            msg = "the PostgreSQL store needs psycopg: pip install 'psycopg[binary]==3.3.9'"
            raise ConfigError(msg) from err
        return PostgresStore(url)
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/"):
            msg = f"bad SQLite URL {url!r}: write sqlite:///relative/path.db or sqlite:////absolute/path.db"
            raise ConfigError(msg)
        path = path[1:]
        if not path:
            msg = f"bad SQLite URL {url!r}: it names no file"
            raise ConfigError(msg)
        from ecomstream.store.sqlite import SQLiteStore

        return SQLiteStore(Path(path), url, create=create)
    if "://" in url:
        msg = f"unknown store {url!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
        raise ConfigError(msg)
    from ecomstream.store.sqlite import SQLiteStore

    return SQLiteStore(Path(url), f"sqlite:///{url}", create=create)
