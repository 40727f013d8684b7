"""SQL text for applying a commit, in the subset SQLite and PostgreSQL share.

Statements use `?` placeholders; a store for another paramstyle translates them.
"""

from __future__ import annotations

from ecomstream.store.schema import ADDITIVE_TABLES, COUNT_COLUMNS


def additive_upsert(table: str) -> str:
    """Insert rows, or add their counts to the existing row with the same key."""
    keys = ADDITIVE_TABLES[table]
    columns = (*keys, *COUNT_COLUMNS)
    marks = ", ".join("?" for _ in columns)
    sums = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNT_COLUMNS)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sums}"
    )


SESSIONS_UPSERT = (
    "INSERT INTO sessions (user_session, flags) VALUES (?, ?) "
    "ON CONFLICT (user_session) DO UPDATE SET flags = sessions.flags | excluded.flags "
    "WHERE (sessions.flags | excluded.flags) <> sessions.flags"
)
"""Or the funnel flags in; a session whose flags do not change is not rewritten (no page
is dirtied, nothing goes to the WAL), which is the common case for a returning session."""
USERS_INSERT = "INSERT INTO users (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING"
COUNTERS_UPSERT = (
    "INSERT INTO counters (name, value) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value"
)
REJECTS_INSERT = "INSERT INTO rejects (source, seq, reason, raw, received_at) VALUES (?, ?, ?, ?, ?)"
POSITIONS_UPSERT = (
    "INSERT INTO positions (source, seq, finished, time_shift_us) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (source) DO UPDATE SET seq = excluded.seq, finished = excluded.finished, "
    "time_shift_us = excluded.time_shift_us"
)
WORKER_COLUMNS = (
    "worker",
    "started_at",
    "updated_at",
    "running",
    "events",
    "events_per_s",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "lag",
    "rss_bytes",
    "watermark_us",
    "last_commit_at",
    "detail",
)
WORKERS_UPSERT = (
    f"INSERT INTO workers ({', '.join(WORKER_COLUMNS)}) VALUES ({', '.join('?' for _ in WORKER_COLUMNS)}) "
    "ON CONFLICT (worker) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in WORKER_COLUMNS[1:])
)


def streams_upsert(greatest: str) -> str:
    """Keep the larger max event time; `greatest` is `max` (SQLite) or `GREATEST` (PostgreSQL)."""
    return (
        "INSERT INTO streams (stream, max_ts_us) VALUES (?, ?) "
        f"ON CONFLICT (stream) DO UPDATE SET max_ts_us = {greatest}(streams.max_ts_us, excluded.max_ts_us)"
    )


def positions_of(count: int) -> str:
    """Select (source, seq) of `count` sources given as parameters."""
    return f"SELECT source, seq FROM positions WHERE source IN ({', '.join('?' for _ in range(count))})"


def moved_positions(expected: dict[str, int], found: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Sources whose stored seq (missing = 0) differs from the expected one: (expected, found)."""
    return {s: (seq, int(found.get(s, 0))) for s, seq in expected.items() if int(found.get(s, 0)) != seq}


def stale_message(moved: dict[str, tuple[int, int]]) -> str:
    detail = ", ".join(f"{s}: expected {e}, found {f}" for s, (e, f) in sorted(moved.items()))
    return f"another writer moved these positions since they were read ({detail}); re-read them and replay"
