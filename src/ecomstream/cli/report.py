"""`ecomstream report` and `ecomstream rejects`: read the store."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from ecomstream.cli.options import option, store_option
from ecomstream.report import filters, queries
from ecomstream.report.build import build_report, render_json
from ecomstream.report.filters import Filters
from ecomstream.store import open_store


def parse_time(text: str | None, name: str = "time") -> int | None:
    """Epoch seconds from ISO 8601 (`Z` or an offset; naive means UTC) or epoch seconds."""
    try:
        return filters.parse_time(text, name)
    except filters.FilterError as err:
        raise click.BadParameter(str(err)) from err


def make_filters(since: str | None, until: str | None, brand: str | None, category: str | None) -> Filters:
    """Validated report filters; a bad value is a usage error that says what to write."""
    try:
        return filters.make_filters(parse_time(since, "--since"), parse_time(until, "--until"), brand, category)
    except filters.FilterError as err:
        raise click.BadParameter(str(err)) from err


@click.command("report")
@store_option
@option("--json", "as_json", env="JSON", is_flag=True, help="Print the JSON report of METRICS.md.")
@option("--timeseries", env="TIMESERIES", is_flag=True, help="Print the per-second time series instead.")
@option(
    "--since",
    env="SINCE",
    default=None,
    help="From this time (ISO 8601 or epoch s): exact for the time series, moved down to the whole "
    "minute for the report.",
)
@option("--until", env="UNTIL", default=None, help="Up to this time, excluded (same rounding as --since).")
@option("--brand", env="BRAND", default=None, help="Report only this brand (as stored: trimmed, lower-case).")
@option("--category", env="CATEGORY", default=None, help="Report only this category, e.g. electronics.")
@option("--top", env="TOP", type=click.IntRange(min=1), default=15, help="Rows per table (tables only).")
def report_command(store: str, as_json: bool, timeseries: bool, since: str | None, until: str | None,
                   brand: str | None, category: str | None, top: int) -> None:  # fmt: skip
    """Print the metrics held in a store.

    --since/--until/--brand/--category narrow the event counts, revenue, ratios, brands and
    categories; the report's `filter` key lists them. Sessions, users, top products, price
    bands and data quality are whole-store figures.
    """
    with open_store(store, create=False) as opened:
        if timeseries:
            if brand or category:
                raise click.UsageError("--timeseries takes --since/--until only, not --brand or --category")
            series = queries.timeseries(opened, parse_time(since, "--since"), parse_time(until, "--until"))
            if as_json:
                sys.stdout.buffer.write(render_json(series))
            else:
                _print_series(series)
            return
        report = build_report(opened, make_filters(since, until, brand, category))
    if as_json:
        sys.stdout.buffer.write(render_json(report))
    else:
        _print_report(report, top)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _print_report(report: dict, top: int) -> None:
    console = Console()
    overview = Table(title="Overview", show_header=False)
    for key in ("events", "revenue", "avg_purchase_price", "view_to_cart", "view_to_purchase",
                "cart_to_purchase", "sessions", "cart_abandonment", "unique_users", "late_events"):  # fmt: skip
        overview.add_row(key, _fmt(report[key]))
    for name, count in report["by_type"].items():
        overview.add_row(f"by_type.{name}", _fmt(count))
    for name, count in report["funnel"].items():
        overview.add_row(f"funnel.{name}", _fmt(count))
    console.print(overview)
    for key, label in (("brands", "brand"), ("categories", "category")):
        table = Table(title=f"{key.capitalize()} (top {top} of {len(report[key])})")
        for column in (label, "views", "carts", "purchases", "revenue", "conversion"):
            table.add_column(column, justify="left" if column == label else "right")
        for row in report[key][:top]:
            table.add_row(*(_fmt(row[c]) for c in (label, "views", "carts", "purchases", "revenue", "conversion")))
        console.print(table)
    products = Table(title="Top products")
    for column in ("by views", "views", "by revenue", "revenue"):
        products.add_column(column, justify="right")
    by_views, by_revenue = report["top_products"]["by_views"], report["top_products"]["by_revenue"]
    for i in range(max(len(by_views), len(by_revenue))):
        left = by_views[i] if i < len(by_views) else None
        right = by_revenue[i] if i < len(by_revenue) else None
        products.add_row(
            str(left["product_id"]) if left else "", _fmt(left["views"]) if left else "",
            str(right["product_id"]) if right else "", _fmt(right["revenue"]) if right else "",
        )  # fmt: skip
    console.print(products)
    quality = Table(title="Data quality")
    quality.add_column("figure")
    quality.add_column("value", justify="right")
    for band, count in report["price_bands"].items():
        quality.add_row(f"price band {band}", _fmt(count))
    for field, share in report["completeness"].items():
        quality.add_row(f"completeness {field}", "-" if share is None else f"{share:.2%}")
    for reason, count in report["rejected"].items():
        if count:
            quality.add_row(f"rejected {reason}", _fmt(count))
    console.print(quality)


def _print_series(series: list[dict]) -> None:
    table = Table(title=f"Time series ({len(series)} windows)")
    for column in ("window", "view", "cart", "remove_from_cart", "purchase", "revenue"):
        table.add_column(column, justify="left" if column == "window" else "right")
    for point in series:
        table.add_row(*(_fmt(point[c]) for c in ("window", "view", "cart", "remove_from_cart", "purchase", "revenue")))
    Console().print(table)


@click.command("rejects")
@store_option
@option("--limit", env="REJECTS_LIMIT", type=click.IntRange(min=1), default=50, help="Newest N rejects.")
@option("--reason", env="REJECTS_REASON", default=None, help="Only this reason, e.g. malformed or missing:price.")
@option("--json", "as_json", env="JSON", is_flag=True, help="Print JSON lines instead of a table.")
def rejects_command(store: str, limit: int, reason: str | None, as_json: bool) -> None:
    """List dead-lettered records with their reasons, newest first."""
    where, params = ("", ()) if reason is None else (" WHERE reason = ?", (reason,))
    with open_store(store, create=False) as opened:
        rows = opened.rows(
            f"SELECT id, source, seq, reason, raw, received_at FROM rejects{where} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        counts = opened.rows("SELECT reason, COUNT(*) FROM rejects GROUP BY reason ORDER BY 2 DESC, 1")
    if as_json:
        for id_, source, seq, why, raw, at in rows:
            record = {"id": id_, "source": source, "seq": seq, "reason": why,
                      "raw": bytes(raw).decode("utf-8", errors="backslashreplace"), "received_at": at}  # fmt: skip
            sys.stdout.buffer.write(render_json(record, indent=False))
        return
    console = Console()
    summary = Table(title="Rejects by reason")
    summary.add_column("reason")
    summary.add_column("count", justify="right")
    for why, count in counts:
        summary.add_row(why, f"{count:,}")
    console.print(summary)
    table = Table(title=f"Newest {len(rows)} rejects")
    for column in ("id", "source", "row", "reason", "raw record"):
        table.add_column(column, overflow="fold")
    for id_, source, seq, why, raw, _ in rows:
        text = bytes(raw).decode("utf-8", errors="backslashreplace")
        table.add_row(str(id_), source, str(seq), why, text[:200])
    console.print(table)
