"""The store's tables, shared by every store implementation.

All metric tables hold additive rows: applying a batch adds counts, ors session flags
or inserts missing keys, so the order of commits never matters. `positions` holds the
input position of every source in the same transaction as the deltas, which is what
makes a restart exact.
"""

from __future__ import annotations

SCHEMA_VERSION = 2
"""1: first release. 2: adds `cube` and `cube_hours` (counts per minute / hour x brand x category)."""

COUNT_COLUMNS = ("view", "cart", "remove_from_cart", "purchase", "revenue_micros")

ADDITIVE_TABLES: dict[str, tuple[str, ...]] = {
    "windows": ("window_start",),
    "brands": ("brand",),
    "categories": ("category",),
    "products": ("product_id",),
    "cube": ("minute_start", "brand", "category"),
    "cube_hours": ("hour_start", "brand", "category"),
}
"""Table name -> key columns, for tables whose other columns are COUNT_COLUMNS. The name is
also the `Deltas` field whose frame (keys then counts, in this order) is added to the table."""


def ddl(dialect: str = "sqlite") -> list[str]:
    """CREATE statements for `sqlite` or `postgresql`.

    In SQLite an integer key is declared `INTEGER PRIMARY KEY` (the row id itself) and a
    text-keyed table is `WITHOUT ROWID`, so each upsert touches one B-tree, not two.
    """
    sqlite = dialect == "sqlite"
    int_key = "INTEGER PRIMARY KEY" if sqlite else "BIGINT PRIMARY KEY"
    # Byte order for text keys, as SQLite's default: the same ties order in reports, and
    # cheaper index comparisons than a linguistic collation.
    text = "TEXT NOT NULL" if sqlite else 'TEXT COLLATE "C" NOT NULL'
    text_key = "TEXT PRIMARY KEY" if sqlite else 'TEXT COLLATE "C" PRIMARY KEY'

    no_rowid = " WITHOUT ROWID" if sqlite else ""
    # PostgreSQL: room on each page for the new version of an updated row, so that adding
    # to a count is a HOT update (no index entry, no page split) instead of a new tuple
    # elsewhere plus an index insert. Additive tables are updated far more than inserted.
    fill = "" if sqlite else " WITH (fillfactor = 70)"
    updated = no_rowid if sqlite else fill
    blob = "BLOB" if sqlite else "BYTEA"
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "BIGSERIAL PRIMARY KEY"
    counts = ", ".join(f"{name} BIGINT NOT NULL DEFAULT 0" for name in COUNT_COLUMNS)
    return [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS windows (window_start {int_key}, {counts}){fill}",
        f"CREATE TABLE IF NOT EXISTS brands (brand {text_key}, {counts}){updated}",
        f"CREATE TABLE IF NOT EXISTS categories (category {text_key}, {counts}){updated}",
        f"CREATE TABLE IF NOT EXISTS products (product_id {int_key}, {counts}){fill}",
        f"""CREATE TABLE IF NOT EXISTS cube (
            minute_start BIGINT NOT NULL, brand {text}, category {text}, {counts},
            PRIMARY KEY (minute_start, brand, category)){updated}""",
        f"""CREATE TABLE IF NOT EXISTS cube_hours (
            hour_start BIGINT NOT NULL, brand {text}, category {text}, {counts},
            PRIMARY KEY (hour_start, brand, category)){updated}""",
        # Only the hourly cube has brand and category indexes: the minute cube is read over short
        # ranges (through its primary key, minute first), and each index would cost every commit.
        "CREATE INDEX IF NOT EXISTS cube_hours_by_brand ON cube_hours (brand, hour_start)",
        "CREATE INDEX IF NOT EXISTS cube_hours_by_category ON cube_hours (category, hour_start)",
        f"CREATE TABLE IF NOT EXISTS sessions (user_session {text_key}, flags BIGINT NOT NULL){updated}",
        f"CREATE TABLE IF NOT EXISTS users (user_id {int_key})",
        f"CREATE TABLE IF NOT EXISTS counters (name {text_key}, value BIGINT NOT NULL){no_rowid}",
        f"""CREATE TABLE IF NOT EXISTS rejects (
            id {serial}, source TEXT NOT NULL, seq BIGINT NOT NULL, reason TEXT NOT NULL,
            raw {blob} NOT NULL, received_at DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS positions (
            source TEXT PRIMARY KEY, seq BIGINT NOT NULL, finished INTEGER NOT NULL DEFAULT 0,
            time_shift_us BIGINT NOT NULL DEFAULT 0)""",
        "CREATE TABLE IF NOT EXISTS streams (stream TEXT PRIMARY KEY, max_ts_us BIGINT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS workers (
            worker TEXT PRIMARY KEY, started_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL, running INTEGER NOT NULL,
            events BIGINT NOT NULL, events_per_s DOUBLE PRECISION NOT NULL,
            latency_p50_ms DOUBLE PRECISION, latency_p95_ms DOUBLE PRECISION,
            latency_p99_ms DOUBLE PRECISION, lag BIGINT, rss_bytes BIGINT,
            watermark_us BIGINT, last_commit_at DOUBLE PRECISION, detail TEXT)""",
        "CREATE INDEX IF NOT EXISTS rejects_by_reason ON rejects (reason)",
    ]
