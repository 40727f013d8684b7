"""The store's figures in the Prometheus text format (version 0.0.4)."""

from __future__ import annotations

from collections.abc import Iterable

from ecomstream.events.schema import EVENT_TYPES
from ecomstream.report import panels, queries
from ecomstream.store.base import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _family(name: str, kind: str, text: str, samples: Iterable[tuple[dict[str, str], float | int | None]]) -> list[str]:
    lines = [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        if value is None:
            continue
        tags = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
        lines.append(f"{name}{{{tags}}} {value}" if tags else f"{name} {value}")
    return lines


def render(store: Store) -> str:
    """Events, revenue, rejects by reason, late events, and each worker's rate, latency, lag, memory."""
    found = queries.counters(store)
    total = queries.totals(store)
    health = panels.health(store)
    workers = health["workers"]
    lines: list[str] = []
    lines += _family(
        "ecomstream_events_total",
        "counter",
        "Accepted events by type.",
        (({"type": t}, total["by_type"][t]) for t in EVENT_TYPES),
    )
    lines += _family(
        "ecomstream_revenue_total", "counter", "Sum of purchase prices.", [({}, queries.money(total["revenue_micros"]))]
    )
    lines += _family(
        "ecomstream_received_total", "counter", "Records received, accepted or not.", [({}, found.get("received", 0))]
    )
    rejected = sorted((k.removeprefix("rejected:"), v) for k, v in found.items() if k.startswith("rejected:"))
    lines += _family(
        "ecomstream_rejected_total",
        "counter",
        "Records rejected, by reason.",
        (({"reason": reason}, count) for reason, count in rejected),
    )
    lines += _family(
        "ecomstream_late_events_total",
        "counter",
        "Accepted events that arrived after the watermark.",
        [({}, found.get("late_events", 0))],
    )
    lines += _family(
        "ecomstream_latency_seconds",
        "summary",
        "Hand-off to commit latency over the last minute, by worker (quantiles only).",
        (
            (({"worker": w["worker"], "quantile": q}), None if ms is None else ms / 1000)
            for w in workers
            for q, ms in (
                ("0.5", w["latency_ms"]["p50"]),
                ("0.95", w["latency_ms"]["p95"]),
                ("0.99", w["latency_ms"]["p99"]),
            )
        ),
    )
    lines += _family(
        "ecomstream_lag_events",
        "gauge",
        "Events waiting for the worker (bus or partition lag).",
        (({"worker": w["worker"]}, w["lag"]) for w in workers),
    )
    lines += _family(
        "ecomstream_events_per_second",
        "gauge",
        "Accepted events per second, by worker.",
        (({"worker": w["worker"]}, w["events_per_s"]) for w in workers),
    )
    lines += _family(
        "ecomstream_resident_memory_bytes",
        "gauge",
        "Resident memory of the worker process.",
        (({"worker": w["worker"]}, w["rss_bytes"]) for w in workers),
    )
    lines += _family(
        "ecomstream_worker_up",
        "gauge",
        "1 if the worker refreshed its figures lately.",
        (({"worker": w["worker"]}, int(w["running"])) for w in workers),
    )
    lines += _family(
        "ecomstream_last_commit_timestamp_seconds",
        "gauge",
        "When the worker last committed.",
        (({"worker": w["worker"]}, w["last_commit_epoch"]) for w in workers),
    )
    mark = panels.watermark_us(store)
    lines += _family(
        "ecomstream_watermark_timestamp_seconds",
        "gauge",
        "The newest watermark (event time).",
        [({}, None if mark is None else mark / 1_000_000)],
    )
    return "\n".join(lines) + "\n"
