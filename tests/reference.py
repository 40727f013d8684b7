"""An independent, plain-Python recomputation of ../shared/METRICS.md.

It shares no code with ecomstream on purpose: it reads CSV lines with the `csv`
module, validates one record at a time and counts with dicts, so a bug in the
vectorised pipeline cannot hide in both. The rules the contract leaves open follow
the pipeline's documentation: fields are trimmed; a record gets the first failing
check in file order; the watermark trails the largest earlier accepted event time by
the allowed lateness (2 s).
"""

from __future__ import annotations

import csv
import gzip
import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

FIELDS = ["event_time", "event_type", "product_id", "category_id", "category_code", "brand", "price", "user_id",
          "user_session"]  # fmt: skip
TYPES = ["view", "cart", "remove_from_cart", "purchase"]
INT = re.compile(r"^[+-]?[0-9]+$")
DECIMAL = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
NOT_FINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan", "-nan"}
REASONS = ["malformed", "too_large", "missing:event_time", "bad_type:event_time", "bad_value:event_time",
           "missing:event_type", "unknown_event_type", "missing:product_id", "bad_type:product_id",
           "bad_value:product_id", "bad_type:category_id", "bad_value:category_id", "missing:price",
           "bad_type:price", "bad_value:price", "missing:user_id", "bad_type:user_id", "bad_value:user_id"]  # fmt: skip


def data_lines(path: Path) -> list[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        lines = handle.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if lines and lines[0].rstrip(b"\r") == ",".join(FIELDS).encode():
        lines = lines[1:]
    return lines


def parse_time(text: str) -> int | None:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", text):
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return round(moment.timestamp() * 1_000_000)


def parse_int(text: str) -> tuple[int | None, str]:
    """(value, problem) with problem '' (fine), 'bad_type' or 'bad_value'."""
    if not INT.match(text):
        return None, "bad_type"
    value = int(text)
    if not -(2**63) <= value < 2**63:
        return None, "bad_value"
    return value, ""


def check(fields: list[str]) -> tuple[str | None, dict[str, bool], dict[str, Any]]:
    """First reason (or None), per-field validity, parsed values."""
    ok: dict[str, bool] = {}
    parsed: dict[str, Any] = {}
    reasons: list[str] = []
    f = dict(zip(FIELDS, fields, strict=True))
    ts = parse_time(f["event_time"]) if f["event_time"] else None
    in_range = ts is not None and 0 <= ts < 4_102_444_800 * 1_000_000
    ok["event_time"] = in_range
    if not f["event_time"]:
        reasons.append("missing:event_time")
    elif ts is None:
        reasons.append("bad_type:event_time")
    elif not in_range:
        reasons.append("bad_value:event_time")
    parsed["ts"] = ts
    ok["event_type"] = f["event_type"] in TYPES
    if not f["event_type"]:
        reasons.append("missing:event_type")
    elif f["event_type"] not in TYPES:
        reasons.append("unknown_event_type")
    for name, required in (("product_id", True), ("category_id", False)):
        if not f[name]:
            ok[name] = False
            parsed[name] = None
            if required:
                reasons.append(f"missing:{name}")
            continue
        value, problem = parse_int(f[name])
        ok[name] = not problem
        parsed[name] = value
        if problem:
            reasons.append(f"{problem}:{name}")
    ok["category_code"] = bool(f["category_code"])
    ok["brand"] = bool(f["brand"])
    price_text = f["price"]
    if not price_text:
        ok["price"] = False
        reasons.append("missing:price")
    elif price_text.lower() in NOT_FINITE:
        ok["price"] = False
        reasons.append("bad_value:price")
    elif not DECIMAL.match(price_text):
        ok["price"] = False
        reasons.append("bad_type:price")
    else:
        price = Decimal(price_text)
        good = math.isfinite(float(price)) and price >= 0 and price <= Decimal("9e12")
        ok["price"] = good
        parsed["price_micros"] = int((price * 1_000_000).to_integral_value()) if good else None
        if not good:
            reasons.append("bad_value:price")
    if not f["user_id"]:
        ok["user_id"] = False
        reasons.append("missing:user_id")
    else:
        value, problem = parse_int(f["user_id"])
        ok["user_id"] = not problem
        parsed["user_id"] = value
        if problem:
            reasons.append(f"{problem}:user_id")
    ok["user_session"] = bool(f["user_session"])
    return (reasons[0] if reasons else None), ok, parsed


def reference_report(lines: list[bytes], lateness_s: float = 2.0) -> dict[str, Any]:
    counts = dict.fromkeys(TYPES, 0)
    revenue = 0
    present = dict.fromkeys(FIELDS, 0)
    rejected = dict.fromkeys(REASONS, 0)
    brands: dict[str, list[int]] = {}
    categories: dict[str, list[int]] = {}
    product_views: dict[int, int] = {}
    product_revenue: dict[int, int] = {}
    bands = {"0-50": 0, "50-100": 0, "100-200": 0, "200+": 0}
    sessions: dict[str, set[str]] = {}
    users: set[int] = set()
    late = 0
    max_ts: int | None = None
    windows: dict[int, list[int]] = {}
    for raw in lines:
        line = raw.rstrip(b"\r")
        if len(line) > 16_384:
            rejected["too_large"] += 1
            continue
        try:
            fields = next(csv.reader([line.decode("utf-8")], strict=True), [])
        except (UnicodeDecodeError, csv.Error):
            fields = []
        if len(fields) != len(FIELDS):
            rejected["malformed"] += 1
            continue
        fields = [x.strip() for x in fields]
        reason, ok, parsed = check(fields)
        for name in FIELDS:
            present[name] += ok[name]
        if reason:
            rejected[reason] += 1
            continue
        f = dict(zip(FIELDS, fields, strict=True))
        kind, ts, price = f["event_type"], parsed["ts"], parsed["price_micros"]
        window = ts // 1_000_000
        if max_ts is not None and (window + 1) * 1_000_000 <= max_ts - round(lateness_s * 1_000_000):
            late += 1
        max_ts = ts if max_ts is None else max(max_ts, ts)
        counts[kind] += 1
        slot = windows.setdefault(window, [0, 0, 0, 0, 0])
        slot[TYPES.index(kind)] += 1
        brand = f["brand"].lower() or "(unknown)"
        category = f["category_code"].split(".")[0] or "(unknown)"
        for table, key in ((brands, brand), (categories, category)):
            row = table.setdefault(key, [0, 0, 0, 0])
            if kind == "view":
                row[0] += 1
            elif kind == "cart":
                row[1] += 1
            elif kind == "purchase":
                row[2] += 1
                row[3] += price
        pid = parsed["product_id"]
        if kind == "view":
            product_views[pid] = product_views.get(pid, 0) + 1
        if kind == "purchase":
            revenue += price
            slot[4] += price
            product_revenue[pid] = product_revenue.get(pid, 0) + price
        amount = price / 1_000_000
        band = "0-50" if amount < 50 else "50-100" if amount < 100 else "100-200" if amount < 200 else "200+"
        bands[band] += 1
        if f["user_session"]:
            sessions.setdefault(f["user_session"], set()).add(kind)
        users.add(parsed["user_id"])
    received = len(lines)

    def ratio(a: float, b: float) -> float | None:
        return a / b if b else None

    def dimension(table: dict[str, list[int]], key: str) -> list[dict[str, Any]]:
        rows = sorted(table.items(), key=lambda item: (-item[1][0], item[0]))
        return [{key: name, "views": v, "carts": c, "purchases": p, "revenue": r / 1_000_000,
                 "conversion": ratio(p, v)} for name, (v, c, p, r) in rows]  # fmt: skip

    with_cart = sum(1 for kinds in sessions.values() if "cart" in kinds)
    abandoned = sum(1 for kinds in sessions.values() if "cart" in kinds and "purchase" not in kinds)
    money = revenue / 1_000_000
    return {
        "events": sum(counts.values()),
        "by_type": counts,
        "revenue": money,
        "avg_purchase_price": ratio(money, counts["purchase"]),
        "view_to_cart": ratio(counts["cart"], counts["view"]),
        "view_to_purchase": ratio(counts["purchase"], counts["view"]),
        "cart_to_purchase": ratio(counts["purchase"], counts["cart"]),
        "sessions": len(sessions),
        "funnel": {
            "sessions_with_view": sum(1 for k in sessions.values() if "view" in k),
            "sessions_with_cart": with_cart,
            "sessions_with_purchase": sum(1 for k in sessions.values() if "purchase" in k),
        },
        "cart_abandonment": ratio(abandoned, with_cart),
        "unique_users": len(users),
        "unique_users_exact": True,
        "brands": dimension(brands, "brand"),
        "categories": dimension(categories, "category"),
        "top_products": {
            "by_views": [
                {"product_id": p, "views": v}
                for p, v in sorted(product_views.items(), key=lambda i: (-i[1], i[0]))[:10]
            ],
            "by_revenue": [
                {"product_id": p, "revenue": r / 1_000_000}
                for p, r in sorted(product_revenue.items(), key=lambda i: (-i[1], i[0]))[:10]
                if r > 0
            ],
        },
        "price_bands": bands,
        "completeness": {name: ratio(present[name], received) for name in FIELDS},
        "rejected": rejected,
        "late_events": late,
        "_windows": windows,
    }
