"""Whole-store panels of the dashboard and the JSON API: funnel, data quality, pipeline health."""

from __future__ import annotations

import time
from typing import Any

from ecomstream.report import queries
from ecomstream.report.filters import iso
from ecomstream.store.base import Store

STALE_AFTER_S = 10.0
"""A worker that has not refreshed its figures for this long is shown as not running."""

RAW_PREVIEW_CHARS = 500
"""Rejected records are shown up to this many characters."""


def funnel(store: Store) -> dict[str, Any]:
    """Sessions with a view, a cart, a purchase, and the conversion from step to step."""
    found = queries.funnel(store)
    return {
        "sessions": found["sessions"],
        "sessions_with_view": found["sessions_with_view"],
        "sessions_with_cart": found["sessions_with_cart"],
        "sessions_with_purchase": found["sessions_with_purchase"],
        "view_to_cart": queries.ratio(found["sessions_with_cart"], found["sessions_with_view"]),
        "cart_to_purchase": queries.ratio(found["sessions_with_purchase"], found["sessions_with_cart"]),
        "view_to_purchase": queries.ratio(found["sessions_with_purchase"], found["sessions_with_view"]),
        "cart_abandonment": queries.ratio(found["carts_abandoned"], found["sessions_with_cart"]),
    }


def latest_rejects(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """The newest dead-lettered records, their raw text cut to RAW_PREVIEW_CHARS."""
    rows = store.rows(
        "SELECT id, source, seq, reason, raw, received_at FROM rejects ORDER BY id DESC LIMIT ?", (limit,)
    )
    return [
        {
            "id": int(id_),
            "source": source,
            "seq": int(seq),
            "reason": reason,
            "raw": bytes(raw).decode("utf-8", errors="backslashreplace")[:RAW_PREVIEW_CHARS],
            "received_at": iso(int(at)),
        }
        for id_, source, seq, reason, raw, at in rows
    ]


def watermark_us(store: Store) -> int | None:
    """The newest watermark any worker published (epoch µs), or None."""
    found = store.rows("SELECT MAX(watermark_us) FROM workers")[0][0]
    return None if found is None else int(found)


def quality(store: Store, rejects_limit: int = 20, found: dict[str, int] | None = None) -> dict[str, Any]:
    """Completeness per field, rejects per reason with the newest ones, late events, watermark."""
    base = queries.quality(store, found)
    mark = watermark_us(store)
    return {
        **base,
        "watermark": None if mark is None else iso(mark // 1_000_000),
        "latest_rejects": latest_rejects(store, rejects_limit),
    }


def health(store: Store, now: float | None = None) -> dict[str, Any]:
    """Every worker's measured figures, and whether it is running (recently refreshed)."""
    now = time.time() if now is None else now
    rows = store.rows(
        "SELECT worker, running, updated_at, events, events_per_s, latency_p50_ms, latency_p95_ms, "
        "latency_p99_ms, lag, rss_bytes, watermark_us, last_commit_at, started_at FROM workers ORDER BY worker"
    )
    workers = []
    for name, running, updated, events, rate, p50, p95, p99, lag, rss, mark, commit_at, started in rows:
        alive = bool(running) and now - float(updated) < STALE_AFTER_S
        workers.append(
            {
                "worker": name,
                "running": alive,
                "status": "running" if alive else ("stale" if running else "stopped"),
                "events": int(events),
                "events_per_s": float(rate),
                "latency_ms": {"p50": p50, "p95": p95, "p99": p99},
                "lag": None if lag is None else int(lag),
                "rss_bytes": None if rss is None else int(rss),
                "watermark": None if mark is None else iso(int(mark) // 1_000_000),
                "last_commit_at": None if commit_at is None else iso(int(commit_at)),
                "last_commit_epoch": None if commit_at is None else float(commit_at),
                "seconds_since_commit": None if commit_at is None else round(now - float(commit_at), 3),
                "updated_at": iso(int(updated)),
                "started_at": iso(int(started)),
            }
        )
    return {"running": any(w["running"] for w in workers), "workers": workers}
