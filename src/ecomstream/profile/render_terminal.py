"""The profile as rich tables. Data values are passed as `Text`, never as markup."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ecomstream.events.schema import EVENT_TYPES
from ecomstream.profile import formatting as fmt

_BAR_WIDTH = 30


def to_terminal(profile: dict, console: Console) -> None:
    """Print the profile's sections as tables."""
    for table in (
        _overview(profile),
        _files(profile),
        _fields(profile),
        _rejected(profile),
        _event_types(profile),
        _by_hour_of_day(profile),
        _by_day_of_week(profile),
        _price(profile),
        _funnel(profile),
        _dimension(profile["brand_table"], "brand", "Brands"),
        _dimension(profile["category_table"], "category", "Categories"),
        _top_products(profile),
    ):
        console.print(table)


def _table(title: str, *columns: str, right: tuple[int, ...] = ()) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        header_style="bold cyan",
        min_width=len(title) + 4,
    )
    for i, name in enumerate(columns):
        table.add_column(name, justify="right" if i in right else "left")
    return table


def _row(table: Table, *cells: object) -> None:
    table.add_row(*(cell if isinstance(cell, Text) else Text(fmt.value(cell)) for cell in cells))


def _overview(p: dict) -> Table:
    table = _table("Overview", "figure", "value", right=(1,))
    span = p["time_span"]
    rows = [
        ("rows", fmt.count(p["rows"])),
        ("accepted events", fmt.count(p["events"])),
        ("rejected rows", fmt.count(p["rejected_rows"])),
        ("duplicate rows (surplus identical)", fmt.count(p["duplicate_rows"])),
        ("late events", fmt.count(p["late_events"])),
        ("data-quality score (mean completeness)", fmt.share(p["quality_score"])),
        ("first event", fmt.value(span["first"])),
        ("last event", fmt.value(span["last"])),
        ("time span", fmt.duration(span["seconds"])),
        ("sessions", fmt.count(p["sessions"])),
        ("unique users", fmt.count(p["unique_users"])),
        ("revenue", fmt.amount(p["revenue"])),
        ("average purchase price", fmt.amount(p["avg_purchase_price"])),
    ]
    for name, text in rows:
        _row(table, name, text)
    return table


def _files(p: dict) -> Table:
    table = _table("Files", "file", "format", "bytes", "rows", "accepted", "duplicates", right=(2, 3, 4, 5))
    for f in p["files"]:
        kind = f"{f['format']}, cut short" if f.get("truncated") else f["format"]
        _row(table, f["path"], kind, f["bytes"], f["rows"], f["accepted"], f["duplicate_rows"])
    return table


def _fields(p: dict) -> Table:
    table = _table("Fields", "field", "type", "complete", "distinct", "min", "max", "top values", right=(2, 3))
    for name, f in p["fields"].items():
        top = ", ".join(f"{fmt.plain(t['value'])} ({fmt.count(t['count'])})" for t in f["top"][:3])
        low, high = fmt.plain(f.get("min")), fmt.plain(f.get("max"))
        _row(table, name, f["type"], fmt.share(f["completeness"]), f["distinct"], low, high, top)
    return table


def _rejected(p: dict) -> Table:
    table = _table("Rejected rows by reason", "reason", "rows", right=(1,))
    shown = [(reason, n) for reason, n in p["rejected"].items() if n]
    for reason, n in shown or [("(none)", 0)]:
        _row(table, reason, n)
    return table


def _event_types(p: dict) -> Table:
    table = _table("Events by type", "type", "events", "share", right=(1, 2))
    for name in EVENT_TYPES:
        _row(table, name, p["by_type"][name], fmt.share(p["type_shares"][name]))
    return table


def _bar(value: int, largest: int) -> Text:
    width = 0 if largest == 0 else round(_BAR_WIDTH * value / largest)
    return Text("█" * width, style="cyan")


def _by_hour_of_day(p: dict) -> Table:
    table = _table("Events per hour of day (UTC)", "hour", "events", "purchases", "", right=(1, 2))
    largest = max((row["events"] for row in p["by_hour_of_day"]), default=0)
    for row in p["by_hour_of_day"]:
        _row(table, f"{row['hour']:02d}:00", row["events"], row["purchase"], _bar(row["events"], largest))
    return table


def _by_day_of_week(p: dict) -> Table:
    table = _table("Events per day of week (UTC)", "day", "events", "purchases", "", right=(1, 2))
    largest = max((row["events"] for row in p["by_day_of_week"]), default=0)
    for row in p["by_day_of_week"]:
        _row(table, row["day"], row["events"], row["purchase"], _bar(row["events"], largest))
    return table


def _price(p: dict) -> Table:
    price = p["price"]
    table = _table("Price (exact, nearest-rank quantiles)", "figure", "value", right=(1,))
    for name in ("mean", "median", "min", "max"):
        _row(table, name, fmt.amount(price[name]))
    for name, value in price["quantiles"].items():
        _row(table, name, fmt.amount(value))
    for band, n in p["price_bands"].items():
        _row(table, f"band {band}", f"{fmt.count(n)} ({fmt.share(price['band_shares'][band])})")
    return table


def _funnel(p: dict) -> Table:
    table = _table("Funnel", "figure", "value", right=(1,))
    funnel, stats = p["funnel"], p["session_stats"]
    rows = [
        ("view → cart (events)", fmt.share(p["view_to_cart"], 2)),
        ("view → purchase (events)", fmt.share(p["view_to_purchase"], 2)),
        ("cart → purchase (events)", fmt.share(p["cart_to_purchase"], 2)),
        ("sessions with a view", fmt.count(funnel["sessions_with_view"])),
        ("sessions with a cart", fmt.count(funnel["sessions_with_cart"])),
        ("sessions with a purchase", fmt.count(funnel["sessions_with_purchase"])),
        ("cart abandonment (sessions)", fmt.share(p["cart_abandonment"])),
        ("events per session (mean / median / max)", _spread(stats["events_per_session"])),
        ("sessions per user (mean / median / max)", _spread(stats["sessions_per_user"])),
        ("events without a session", fmt.count(stats["events_without_session"])),
    ]
    for name, text in rows:
        _row(table, name, text)
    return table


def _spread(summary: dict) -> str:
    return f"{fmt.number(summary['mean'])} / {fmt.value(summary['p50'])} / {fmt.value(summary['max'])}"


def _dimension(section: dict, name: str, title: str) -> Table:
    table = _table(
        f"{title}: top {len(section['top'])} of {fmt.count(section['distinct'])} by events",
        name, "events", "views", "purchases", "revenue", "avg price", "conversion",
        right=(1, 2, 3, 4, 5, 6),
    )  # fmt: skip
    rows = [(entry[name], entry) for entry in section["top"]]
    if section["long_tail"] is not None:
        rows.append((f"(other {fmt.count(section['long_tail']['values'])})", section["long_tail"]))
    for label, e in rows:
        _row(
            table, label, e["events"], e["views"], e["purchases"],
            fmt.amount(e["revenue"]), fmt.amount(e["avg_price"]), fmt.share(e["conversion"], 2),
        )  # fmt: skip
    return table


def _top_products(p: dict) -> Table:
    table = _table("Top products", "by views", "views", "by revenue", "revenue", right=(1, 3))
    views, revenue = p["top_products"]["by_views"], p["top_products"]["by_revenue"]
    for i in range(max(len(views), len(revenue))):
        v = views[i] if i < len(views) else None
        r = revenue[i] if i < len(revenue) else None
        _row(
            table,
            Text(str(v["product_id"])) if v else "",
            v["views"] if v else "",
            Text(str(r["product_id"])) if r else "",
            fmt.amount(r["revenue"]) if r else "",
        )
    return table
