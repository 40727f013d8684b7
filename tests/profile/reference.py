"""An independent recomputation of the profile in plain Python (csv module, Decimal),
written from ../shared/METRICS.md without any code from ecomstream."""

from __future__ import annotations

import csv
import functools
import gzip
import math
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

COLUMNS = [
    "event_time", "event_type", "product_id", "category_id", "category_code",
    "brand", "price", "user_id", "user_session",
]  # fmt: skip
TYPES = ["view", "cart", "remove_from_cart", "purchase"]
INT64 = (-(2**63), 2**63 - 1)
LATENESS_US = 2_000_000
BANDS = [("0-50", 0, 50), ("50-100", 50, 100), ("100-200", 100, 200), ("200+", 200, None)]


def _lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    lines = raw.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if lines and lines[0].rstrip("\r") == ",".join(COLUMNS):
        lines = lines[1:]
    return lines


@functools.cache
def _epoch_us(text: str) -> int | None:
    try:
        if text.endswith(" UTC"):
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _integer(text: str) -> tuple[int | None, str | None]:
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return None, "bad_type"
    value = int(text)
    if not INT64[0] <= value <= INT64[1]:
        return None, "bad_value"
    return value, None


def check(fields: list[str]) -> tuple[dict | None, str | None, set[str]]:
    """(typed record or None, first reject reason, names of fields present and valid)."""
    f = {name: value.strip() for name, value in zip(COLUMNS, fields, strict=True)}
    ok: set[str] = set()
    reasons: list[str] = []
    ts = _epoch_us(f["event_time"]) if f["event_time"] else None
    if not f["event_time"]:
        reasons.append("missing:event_time")
    elif ts is None:
        reasons.append("bad_type:event_time")
    elif not 0 <= ts < 4_102_444_800 * 1_000_000:
        reasons.append("bad_value:event_time")
    else:
        ok.add("event_time")
    if not f["event_type"]:
        reasons.append("missing:event_type")
    elif f["event_type"] not in TYPES:
        reasons.append("unknown_event_type")
    else:
        ok.add("event_type")
    typed: dict = {}
    for name, required in (("product_id", True), ("category_id", False)):
        if not f[name]:
            if required:
                reasons.append(f"missing:{name}")
            typed[name] = None
            continue
        typed[name], why = _integer(f[name])
        if why:
            reasons.append(f"{why}:{name}")
        else:
            ok.add(name)
    price = None
    if not f["price"]:
        reasons.append("missing:price")
    else:
        try:
            price = Decimal(f["price"])
        except InvalidOperation:
            reasons.append("bad_type:price")
        else:
            if not price.is_finite() or price < 0:
                reasons.append("bad_value:price")
                price = None
            else:
                ok.add("price")
    if not f["user_id"]:
        reasons.append("missing:user_id")
    else:
        typed["user_id"], why = _integer(f["user_id"])
        if why:
            reasons.append(f"{why}:user_id")
        else:
            ok.add("user_id")
    for name in ("category_code", "brand", "user_session"):
        if f[name]:
            ok.add(name)
    if reasons:
        return None, reasons[0], ok
    record = {
        "ts": ts, "type": f["event_type"], "product_id": typed["product_id"],
        "category_id": typed["category_id"], "category_code": f["category_code"] or None,
        "brand": f["brand"] or None, "price": price, "user_id": typed["user_id"],
        "session": f["user_session"] or None,
    }  # fmt: skip
    return record, None, ok


def _money(value: Decimal) -> float:
    return float(value)


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _nearest_rank(sorted_values: list, percent: int):
    rank = max(1, math.ceil(percent * len(sorted_values) / 100))
    return sorted_values[rank - 1]


def recompute(paths: list[Path]) -> dict:
    """The figures of the profile of `paths` read one after another."""
    received = 0
    present: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    events: list[dict] = []
    duplicate_rows = 0
    late = 0
    seen_max: int | None = None
    for path in paths:
        lines = _lines(path)
        duplicate_rows += len(lines) - len(set(lines))
        for line in lines:
            received += 1
            if len(line.rstrip("\r").encode()) > 16_384:
                rejected["too_large"] += 1
                continue
            rows = list(csv.reader([line]))
            if len(rows) != 1 or len(rows[0]) != len(COLUMNS):
                rejected["malformed"] += 1
                continue
            record, reason, ok = check(rows[0])
            present.update(ok)
            if record is None:
                rejected[reason] += 1
                continue
            if seen_max is not None and (record["ts"] // 1_000_000 + 1) * 1_000_000 <= seen_max - LATENESS_US:
                late += 1
            seen_max = record["ts"] if seen_max is None else max(seen_max, record["ts"])
            events.append(record)
    return _figures(events, received, present, rejected, duplicate_rows, late)


def _figures(events, received, present, rejected, duplicate_rows, late) -> dict:
    by_type = Counter(e["type"] for e in events)
    revenue = sum((e["price"] for e in events if e["type"] == "purchase"), Decimal(0))
    sessions: dict[str, set[str]] = defaultdict(set)
    session_events: Counter[str] = Counter()
    user_sessions: dict[int, set[str]] = defaultdict(set)
    for e in events:
        user_sessions[e["user_id"]]
        if e["session"] is not None:
            sessions[e["session"]].add(e["type"])
            session_events[e["session"]] += 1
            user_sessions[e["user_id"]].add(e["session"])
    with_cart = [s for s, types in sessions.items() if "cart" in types]

    def dimension_rows(key) -> dict:
        table: dict = defaultdict(lambda: {"events": 0, "views": 0, "carts": 0, "purchases": 0,
                                           "revenue": Decimal(0), "prices": Decimal(0)})  # fmt: skip
        for e in events:
            row = table[key(e)]
            row["events"] += 1
            row["prices"] += e["price"]
            if e["type"] == "view":
                row["views"] += 1
            elif e["type"] == "cart":
                row["carts"] += 1
            elif e["type"] == "purchase":
                row["purchases"] += 1
                row["revenue"] += e["price"]
        return table

    def contract_list(table: dict, name: str) -> list[dict]:
        ordered = sorted(table.items(), key=lambda kv: (-kv[1]["views"], kv[0]))
        return [
            {name: k, "views": v["views"], "carts": v["carts"], "purchases": v["purchases"],
             "revenue": _money(v["revenue"]), "conversion": _ratio(v["purchases"], v["views"])}
            for k, v in ordered
        ]  # fmt: skip

    brands = dimension_rows(lambda e: (e["brand"] or "").strip().lower() or "(unknown)")
    categories = dimension_rows(lambda e: (e["category_code"] or "").split(".")[0] or "(unknown)")
    products = dimension_rows(lambda e: e["product_id"])
    by_views = sorted(((k, v["views"]) for k, v in products.items() if v["views"] > 0), key=lambda kv: (-kv[1], kv[0]))
    by_revenue = sorted(
        ((k, v["revenue"]) for k, v in products.items() if v["revenue"] > 0), key=lambda kv: (-kv[1], kv[0])
    )
    prices = sorted(e["price"] for e in events)
    bands = {name: sum(1 for p in prices if p >= low and (high is None or p < high)) for name, low, high in BANDS}
    moments = Counter(e["ts"] // 1_000_000 for e in events)
    hours: Counter[int] = Counter()
    weekdays: Counter[int] = Counter()
    for second, n in moments.items():
        moment = datetime.fromtimestamp(second, UTC)
        hours[moment.hour] += n
        weekdays[moment.weekday()] += n
    per_session = sorted(session_events.values())
    per_user = sorted(len(s) for s in user_sessions.values() if s)
    completeness = {name: _ratio(present[name], received) for name in COLUMNS}
    return {
        "contract": {
            "events": len(events),
            "by_type": {t: by_type.get(t, 0) for t in TYPES},
            "revenue": _money(revenue),
            "avg_purchase_price": _ratio(_money(revenue), by_type["purchase"]),
            "view_to_cart": _ratio(by_type["cart"], by_type["view"]),
            "view_to_purchase": _ratio(by_type["purchase"], by_type["view"]),
            "cart_to_purchase": _ratio(by_type["purchase"], by_type["cart"]),
            "sessions": len(sessions),
            "funnel": {
                f"sessions_with_{t}": sum(1 for types in sessions.values() if t in types)
                for t in ("view", "cart", "purchase")
            },
            "cart_abandonment": _ratio(sum(1 for s in with_cart if "purchase" not in sessions[s]), len(with_cart)),
            "unique_users": len(user_sessions),
            "unique_users_exact": True,
            "brands": contract_list(brands, "brand"),
            "categories": contract_list(categories, "category"),
            "top_products": {
                "by_views": [{"product_id": k, "views": v} for k, v in by_views[:10]],
                "by_revenue": [{"product_id": k, "revenue": _money(v)} for k, v in by_revenue[:10]],
            },
            "price_bands": bands,
            "completeness": completeness,
            "rejected": dict(rejected),
            "late_events": late,
        },
        "rows": received,
        "duplicate_rows": duplicate_rows,
        "quality_score": sum(completeness.values()) / len(COLUMNS) if received else None,
        "first": min((e["ts"] for e in events), default=None),
        "last": max((e["ts"] for e in events), default=None),
        "price": {
            "mean": float(sum(prices, Decimal(0)) / len(prices)) if prices else None,
            "min": float(prices[0]) if prices else None,
            "max": float(prices[-1]) if prices else None,
            **{f"p{p:02d}": float(_nearest_rank(prices, p)) for p in (1, 5, 10, 25, 50, 75, 90, 95, 99) if prices},
        },
        "by_hour_of_day": [hours.get(h, 0) for h in range(24)],
        "by_day_of_week": [weekdays.get(d, 0) for d in range(7)],
        "distinct": {
            "event_time": len({e["ts"] for e in events}),
            "product_id": len(products),
            "category_id": len({e["category_id"] for e in events if e["category_id"] is not None}),
            "category_code": len({e["category_code"] for e in events if e["category_code"]}),
            "brand": len({e["brand"] for e in events if e["brand"]}),
            "price": len(set(prices)),
            "user_id": len(user_sessions),
            "user_session": len(sessions),
        },
        "events_per_session": {
            "mean": _ratio(sum(per_session), len(per_session)),
            "p50": _nearest_rank(per_session, 50) if per_session else None,
            "max": per_session[-1] if per_session else None,
        },
        "sessions_per_user": {
            "mean": _ratio(sum(per_user), len(per_user)),
            "p50": _nearest_rank(per_user, 50) if per_user else None,
            "max": per_user[-1] if per_user else None,
        },
        "brand_events": {k: v["events"] for k, v in brands.items()},
        "brand_avg_price": {k: float(v["prices"] / v["events"]) for k, v in brands.items()},
    }
