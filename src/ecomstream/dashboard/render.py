"""Dash components built from a snapshot: KPI tiles, tables, status lines.

Data values only ever go into components as text children (React escapes them) or as
`data-value` attributes; nothing here renders HTML or Markdown from data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from dash import html

from ecomstream.dashboard import figures
from ecomstream.report.build import FILTERED_KEYS
from ecomstream.report.filters import Filters, iso

DASH = "–"

KPIS: tuple[tuple[str, str, str, bool], ...] = (
    ("events", "Events", "count", True),
    ("view", "Views", "count", True),
    ("cart", "Carts", "count", True),
    ("remove_from_cart", "Removals", "count", True),
    ("purchase", "Purchases", "count", True),
    ("revenue", "Revenue", "money", True),
    ("avg_purchase_price", "Avg purchase price", "money", True),
    ("view_to_cart", "View → cart", "share", True),
    ("view_to_purchase", "View → purchase", "share", True),
    ("cart_to_purchase", "Cart → purchase", "share", True),
    ("sessions", "Sessions", "count", False),
    ("unique_users", "Unique users", "count", False),
    ("cart_abandonment", "Cart abandonment", "share", False),
)
"""(key, label, format, filtered): the KPI tiles in page order."""


def fmt(value: Any, kind: str = "count") -> str:
    """A number as the page shows it; None (a ratio over zero) as a dash."""
    if value is None:
        return DASH
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "share":
        return f"{value * 100:.2f}%"
    if kind == "bytes":
        return f"{value / 2**20:,.0f} MiB"
    if kind == "ms":
        return f"{value:,.0f} ms"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def kpi_values(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Every KPI by key: filtered counts and ratios, then the whole-store audience figures."""
    values: dict[str, Any] = {key: None for key, *_ in KPIS}
    kpis = snapshot.get("kpis")
    if kpis is not None:
        values.update({k: v for k, v in kpis.items() if k != "by_type"})
        values.update(kpis["by_type"])
    audience = snapshot["audience"]
    if audience is not None:  # None while its first run is still going
        values["sessions"] = audience["funnel"]["sessions"]
        values["unique_users"] = audience["unique_users"]
        values["cart_abandonment"] = audience["funnel"]["cart_abandonment"]
    return values


def kpi_tiles(snapshot: dict[str, Any]) -> list[html.Div]:
    values = kpi_values(snapshot)
    tiles = []
    for key, label, kind, narrowed in KPIS:
        value = values[key]
        raw = "" if value is None else repr(value)
        tiles.append(
            html.Div(
                [
                    html.Div(label, className="kpi-label"),
                    html.Div(fmt(value, kind), id=f"kpi-{key}", className="kpi-value", **{"data-value": raw}),
                    html.Div("filtered" if narrowed else "whole store", className="kpi-scope"),
                ],
                className="kpi" + ("" if narrowed else " kpi-global"),
            )
        )
    return tiles


def table(
    columns: Sequence[tuple[str, str]],
    rows: Sequence[dict[str, Any]],
    kinds: dict[str, str] | None = None,
    empty: str = "nothing yet",
) -> html.Table | html.P:
    """A plain table; `columns` are (key, heading), `kinds` the number formats of numeric keys."""
    if not rows:
        return html.P(empty, className="muted")
    kinds = kinds or {}
    head = html.Thead(html.Tr([html.Th(title) for _, title in columns]))
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(
                        fmt(row[key], kinds[key]) if key in kinds else str(row[key]),
                        className="num" if key in kinds else None,
                    )
                    for key, _ in columns
                ]
            )
            for row in rows
        ]
    )
    return html.Table([head, body], className="data")


DIMENSION_KINDS = {"views": "count", "carts": "count", "purchases": "count", "revenue": "money", "conversion": "share"}


def dimension_table(rows: list[dict[str, Any]], key: str, heading: str) -> html.Table | html.P:
    columns = [
        (key, heading),
        ("views", "views"),
        ("carts", "carts"),
        ("purchases", "purchases"),
        ("revenue", "revenue"),
        ("conversion", "conversion"),
    ]
    return table(columns, rows, DIMENSION_KINDS, empty="no events match the filters")


def products_tables(top: dict[str, list[dict[str, Any]]]) -> tuple[Any, Any]:
    by_views = table([("product_id", "product"), ("views", "views")], top["by_views"], {"views": "count"})
    by_revenue = table([("product_id", "product"), ("revenue", "revenue")], top["by_revenue"], {"revenue": "money"})
    return by_views, by_revenue


def funnel_steps(found: dict[str, Any]) -> html.Ul:
    return html.Ul(
        [
            html.Li(f"view → cart: {fmt(found['view_to_cart'], 'share')} of sessions with a view also carted"),
            html.Li(
                f"cart → purchase: {fmt(found['cart_to_purchase'], 'share')} (sessions with a purchase "
                "over sessions with a cart; a purchase needs no cart event in this data)"
            ),
            html.Li(
                f"cart abandonment: {fmt(found['cart_abandonment'], 'share')} of sessions with a cart bought nothing"
            ),
        ],
        className="steps",
    )


def rejects_by_reason(quality: dict[str, Any]) -> html.Table | html.P:
    rows = [{"reason": r, "count": c} for r, c in sorted(quality["rejected"].items(), key=lambda i: (-i[1], i[0])) if c]
    return table([("reason", "reason"), ("count", "records")], rows, {"count": "count"}, empty="no rejects")


def latest_rejects(quality: dict[str, Any]) -> html.Table | html.P:
    columns = [
        ("received_at", "received"),
        ("source", "source"),
        ("seq", "row"),
        ("reason", "reason"),
        ("raw", "raw record"),
    ]
    return table(columns, quality["latest_rejects"], empty="no rejects")


def quality_facts(quality: dict[str, Any]) -> html.Ul:
    return html.Ul(
        [
            html.Li(["records received: ", html.B(fmt(quality["received"]), id="quality-received")]),
            html.Li(
                ["late events (counted in their own window): ", html.B(fmt(quality["late_events"]), id="quality-late")]
            ),
            html.Li(["current watermark: ", html.B(quality["watermark"] or DASH, id="quality-watermark")]),
        ],
        className="facts",
    )


def health_table(health: dict[str, Any]) -> html.Table | html.P:
    rows = [
        {
            **w,
            "p50": w["latency_ms"]["p50"],
            "p95": w["latency_ms"]["p95"],
            "p99": w["latency_ms"]["p99"],
            "since_commit": DASH if w["seconds_since_commit"] is None else f"{w['seconds_since_commit']:,.1f} s ago",
        }
        for w in health["workers"]
    ]
    columns = [
        ("worker", "worker"),
        ("status", "status"),
        ("events_per_s", "events/s"),
        ("p50", "latency p50"),
        ("p95", "p95"),
        ("p99", "p99"),
        ("lag", "lag (events)"),
        ("rss_bytes", "memory"),
        ("since_commit", "last commit"),
        ("events", "events"),
    ]
    kinds = {
        "events_per_s": "float",
        "p50": "ms",
        "p95": "ms",
        "p99": "ms",
        "lag": "count",
        "rss_bytes": "bytes",
        "events": "count",
    }
    return table(columns, rows, kinds, empty="no worker has written to this store yet")


def status(snapshot: dict[str, Any]) -> list[Any]:
    """The header line: running or not, last commit, throughput, newest event."""
    health = snapshot["health"]
    workers = health["workers"]
    running = health["running"]
    parts: list[Any] = [
        html.Span(
            "● running" if running else "○ not running", id="status-running", className="ok" if running else "bad"
        )
    ]
    if workers:
        rate = sum(w["events_per_s"] for w in workers if w["running"])
        ages = [w["seconds_since_commit"] for w in workers if w["seconds_since_commit"] is not None]
        parts.append(f" · {rate:,.0f} events/s")
        if ages:
            parts.append(f" · last commit {min(ages):,.1f} s ago")
    newest = snapshot["newest"]
    parts.append(f" · newest event {iso(newest) or DASH}")
    parts.append(f" · page updated {datetime.fromtimestamp(snapshot['at'], tz=UTC):%H:%M:%S} UTC")
    return parts


def filter_note(snapshot: dict[str, Any]) -> list[Any]:
    """Which events the filtered panels count, and which panels are whole-store."""
    filters: Filters | None = snapshot["filters"]
    if filters is None:
        return []
    span = f"{iso(filters.since) or 'the first event'} to {iso(filters.until) or 'the newest event'}"
    chosen = [
        f"brand {filters.brand!r}" if filters.brand else "all brands",
        f"category {filters.category!r}" if filters.category else "all categories",
    ]
    narrowed = ", ".join(k.replace("_", " ") for k in FILTERED_KEYS)
    note: list[Any] = [
        html.Span(f"Showing {span}, {chosen[0]}, {chosen[1]}. ", id="filter-span"),
        f"Filters narrow the tiles marked 'filtered' ({narrowed}), both time charts and the brand and category "
        "panels. Relative ranges end at the newest event in the store and start on a whole minute. "
        "Sessions, users, cart abandonment, the funnel, top products, price bands, data quality and pipeline "
        "health are whole-store figures: the store keeps them without time, brand or category.",
    ]
    if snapshot.get("cube_partial"):
        note.append(
            " This store was upgraded from a version without brand x minute counts: with a brand or "
            "category chosen, events committed before the upgrade are missing."
        )
    return note


def safe_store_url(url: str) -> str:
    """The store URL without a password."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    credentials, _, host = rest.partition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


PAGE_OUTPUTS: tuple[tuple[str, str], ...] = (
    ("status", "children"),
    ("filter-note", "children"),
    ("filter-error", "children"),
    ("kpis", "children"),
    ("events-chart", "figure"),
    ("revenue-chart", "figure"),
    ("brands-chart", "figure"),
    ("brands-table", "children"),
    ("categories-chart", "figure"),
    ("categories-table", "children"),
    ("funnel-chart", "figure"),
    ("funnel-steps", "children"),
    ("products-views", "children"),
    ("products-revenue", "children"),
    ("bands-chart", "figure"),
    ("completeness-chart", "figure"),
    ("quality-facts", "children"),
    ("rejects-reasons", "children"),
    ("rejects-latest", "children"),
    ("health", "children"),
)
"""Every (component id, property) a refresh sets, in the order `page` returns them."""


def page(snapshot: dict[str, Any]) -> list[Any]:
    """The values of PAGE_OUTPUTS for a snapshot."""
    audience, catalogue, quality = snapshot["audience"], snapshot["catalogue"], snapshot["quality"]
    error = snapshot.get("error")
    if error is None:
        series, dims = snapshot["series"], snapshot["dimensions"]
        events, revenue = figures.events_per_second(series), figures.revenue(series)
        brands_chart = figures.dimension(dims["brands"], "brand", "Top brands: views and purchases")
        categories_chart = figures.dimension(dims["categories"], "category", "Categories: views and purchases")
        brands_table = dimension_table(dims["brands"], "brand", "brand")
        categories_table = dimension_table(dims["categories"], "category", "category")
    else:
        events, revenue = figures.empty("Events per second", error), figures.empty("Revenue", error)
        brands_chart, categories_chart = figures.empty("Brands", error), figures.empty("Categories", error)
        brands_table = categories_table = html.P(error, className="muted")
    loading = html.P("loading…", className="muted")
    by_views, by_revenue = products_tables(catalogue["top_products"]) if catalogue else (loading, loading)
    values = {
        "status": status(snapshot),
        "filter-note": filter_note(snapshot),
        "filter-error": error or "",
        "kpis": kpi_tiles(snapshot),
        "events-chart": events,
        "revenue-chart": revenue,
        "brands-chart": brands_chart,
        "brands-table": brands_table,
        "categories-chart": categories_chart,
        "categories-table": categories_table,
        "funnel-chart": figures.funnel(audience["funnel"]) if audience else figures.empty("Session funnel", "loading…"),
        "funnel-steps": funnel_steps(audience["funnel"]) if audience else loading,
        "products-views": by_views,
        "products-revenue": by_revenue,
        "bands-chart": figures.price_bands(catalogue["price_bands"])
        if catalogue
        else figures.empty("Price bands", "loading…"),
        "completeness-chart": figures.completeness(quality["completeness"])
        if quality
        else figures.empty("Completeness", "loading…"),
        "quality-facts": quality_facts(quality) if quality else loading,
        "rejects-reasons": rejects_by_reason(quality) if quality else loading,
        "rejects-latest": latest_rejects(quality) if quality else loading,
        "health": health_table(snapshot["health"]),
    }
    return [values[id_] for id_, _ in PAGE_OUTPUTS]


def options(names: list[str]) -> list[dict[str, str]]:
    """Menu entries; labels are plain strings, shown as text."""
    return [{"label": name, "value": name} for name in names]
