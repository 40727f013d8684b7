"""The profile as one self-contained HTML page: plotly.js is inlined once, every figure
is plotted from JSON embedded in the page, and every data value is HTML-escaped (JSON in
script tags has `<`, `>` and `&` escaped as unicode sequences)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from ecomstream.events.schema import EVENT_TYPES
from ecomstream.profile import figures
from ecomstream.profile import formatting as fmt

_CONFIG = '{"displaylogo": false, "responsive": true, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}'

_CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --card:#fff; --accent:#4C78A8; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color:var(--ink); background:var(--bg); }
header { background:#1f2933; color:#fff; padding:24px 32px; }
header h1 { margin:0 0 4px; font-size:22px; font-weight:600; }
header p { margin:0; color:#cbd2d9; font-size:13px; }
main { max-width:1280px; margin:0 auto; padding:24px 32px 48px; }
nav { display:flex; flex-wrap:wrap; gap:8px 16px; margin:0 0 20px; font-size:13px; }
nav a { color:var(--accent); text-decoration:none; }
h2 { font-size:18px; margin:36px 0 12px; padding-bottom:6px; border-bottom:2px solid var(--line); }
.kpis { display:grid; grid-template-columns:repeat(auto-fill, minmax(170px, 1fr)); gap:12px; }
.kpi { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.kpi .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
.kpi .value { font-size:22px; font-weight:600; margin-top:2px; font-variant-numeric:tabular-nums; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(460px, 1fr)); gap:16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:8px 12px;
        overflow-x:auto; }
.card h3 { font-size:14px; margin:8px 4px 8px; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { padding:5px 8px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
th { color:var(--muted); font-weight:600; background:#fafbfc; position:sticky; top:0; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tr.tail td { color:var(--muted); font-style:italic; }
.note { color:var(--muted); font-size:12px; }
code { background:#eef1f4; padding:1px 4px; border-radius:3px; }
footer { color:var(--muted); font-size:12px; margin-top:40px; }
"""


def to_html(profile: dict, path: Path | str) -> None:
    """Write the profile as one HTML file that opens offline."""
    Path(path).write_text(render_page(profile), encoding="utf-8")


def render_page(p: dict) -> str:
    """The whole page as text."""
    plots = _Plots()
    files = ", ".join(Path(f["path"]).name for f in p["files"])
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        ("overview", "Overview", _overview(p)),
        ("quality", "Data quality", _quality(p, plots)),
        ("fields", "Fields", _fields(p)),
        ("events", "Events", _events(p, plots)),
        ("price", "Price", _price(p, plots)),
        ("funnel", "Funnel and sessions", _funnel(p, plots)),
        ("brands", "Brands", _dimension(p["brand_table"], "brand", "Brands", plots)),
        ("categories", "Categories", _dimension(p["category_table"], "category", "Categories", plots)),
        ("products", "Top products", _products(p)),
    ]
    nav = "".join(f'<a href="#{key}">{escape(title)}</a>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{escape(title)}</h2>{html}</section>' for key, title, html in sections)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Data profile: {escape(files)}</title><style>{_CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>Data profile</h1><p>{escape(files)} · generated {escape(generated)}</p></header>"
        f"<main><nav>{nav}</nav>{body}{_footer(p)}</main>"
        f"<script>{plots.script()}</script></body></html>\n"
    )


class _Plots:
    """Collects figures; each gets a div now and a `Plotly.newPlot` call at the end."""

    def __init__(self) -> None:
        self._calls: list[str] = []

    def div(self, fig: go.Figure) -> str:
        plot_id = f"plot-{len(self._calls)}"
        figure = script_safe(fig.to_json())
        self._calls.append(f'(function(f){{Plotly.newPlot("{plot_id}", f.data, f.layout, {_CONFIG});}})({figure});')
        return f'<div class="card"><div id="{plot_id}"></div></div>'

    def script(self) -> str:
        return "\n".join(self._calls)


def script_safe(json_text: str) -> str:
    """JSON that is safe inside a <script> element: `<`, `>` and `&` (which JSON has only
    inside strings) and the JavaScript line separators become unicode escapes."""
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        json_text = json_text.replace(char, escaped)
    return json_text


def _cell(value: object, numeric: bool = False, text: str | None = None) -> str:
    shown = fmt.plain(value) if text is None else text
    css = ' class="num"' if numeric else ""
    return f"<td{css}>{escape(shown)}</td>"


def _table(headers: list[tuple[str, bool]], rows: list[str]) -> str:
    head = "".join(f"<th{' class=num' if numeric else ''}>{escape(name)}</th>" for name, numeric in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _card(title: str, inner: str) -> str:
    return f'<div class="card"><h3>{escape(title)}</h3>{inner}</div>'


def _overview(p: dict) -> str:
    span = p["time_span"]
    kpis = [
        ("rows", fmt.count(p["rows"])),
        ("accepted events", fmt.count(p["events"])),
        ("rejected rows", fmt.count(p["rejected_rows"])),
        ("duplicate rows", fmt.count(p["duplicate_rows"])),
        ("quality score", fmt.share(p["quality_score"])),
        ("late events", fmt.count(p["late_events"])),
        ("time span", fmt.duration(span["seconds"])),
        ("sessions", fmt.count(p["sessions"])),
        ("unique users", fmt.count(p["unique_users"])),
        ("revenue", fmt.amount(p["revenue"])),
    ]
    cards = "".join(
        f'<div class="kpi"><div class="label">{escape(label)}</div><div class="value">{escape(value)}</div></div>'
        for label, value in kpis
    )
    rows = [
        f"<tr>{_cell(f['path'])}{_cell(f['format'] + (', cut short' if f.get('truncated') else ''))}"
        f"{_cell(None, True, fmt.count(f['bytes']))}"
        f"{_cell(None, True, fmt.count(f['rows']))}{_cell(None, True, fmt.count(f['accepted']))}"
        f"{_cell(None, True, fmt.count(f['duplicate_rows']))}</tr>"
        for f in p["files"]
    ]
    files = _table(
        [
            ("file", False),
            ("format", False),
            ("bytes", True),
            ("rows", True),
            ("accepted", True),
            ("duplicates", True),
        ],
        rows,
    )
    period = f"{fmt.plain(span['first'])} → {fmt.plain(span['last'])}"
    return (
        f'<div class="kpis">{cards}</div>'
        f'<p class="note">Events from {escape(period)}. The quality score is the mean completeness of '
        "the nine fields; duplicate rows are surplus identical rows within a file.</p>"
        f'<div class="grid">{_card("Files", files)}</div>'
    )


def _quality(p: dict, plots: _Plots) -> str:
    reasons = [(reason, n) for reason, n in p["rejected"].items() if n]
    rows = [f"<tr>{_cell(reason)}{_cell(None, True, fmt.count(n))}</tr>" for reason, n in reasons]
    note = f'<p class="note">{"Other reasons" if reasons else "Every reason"} of the contract: 0 rows.</p>'
    table = _card("Rejected rows by reason", _table([("reason", False), ("rows", True)], rows) + note)
    charts = plots.div(figures.completeness(p))
    if reasons:
        charts += plots.div(figures.rejected(p))
    return f'<div class="grid">{charts}{table}</div>'


def _fields(p: dict) -> str:
    rows = []
    for name, f in p["fields"].items():
        top = "<br>".join(f"{escape(fmt.plain(t['value']))} <span class=note>({t['count']:,})</span>" for t in f["top"])
        rows.append(
            f"<tr>{_cell(name)}{_cell(f['type'])}{_cell(None, True, fmt.share(f['completeness']))}"
            f"{_cell(None, True, fmt.count(f['distinct']))}{_cell(f.get('min'))}{_cell(f.get('max'))}"
            f"<td>{top}</td></tr>"
        )
    headers = [("field", False), ("type", False), ("complete", True), ("distinct", True), ("min", False)]
    table = _table([*headers, ("max", False), ("top values (events)", False)], rows)
    note = "Completeness is over received rows; distinct, min, max and top values over accepted events."
    return f'<div class="card">{table}<p class="note">{escape(note)}</p></div>'


def _events(p: dict, plots: _Plots) -> str:
    rows = [
        f"<tr>{_cell(t)}{_cell(None, True, fmt.count(p['by_type'][t]))}"
        f"{_cell(None, True, fmt.share(p['type_shares'][t]))}</tr>"
        for t in EVENT_TYPES
    ]
    table = _card("Events by type", _table([("type", False), ("events", True), ("share", True)], rows))
    return (
        f'<div class="grid">{plots.div(figures.events_by_type(p))}{table}</div>'
        f'<div class="grid" style="margin-top:16px">{plots.div(figures.events_over_time(p))}</div>'
        f'<div class="grid" style="margin-top:16px">{plots.div(figures.hour_of_day(p))}'
        f"{plots.div(figures.day_of_week(p))}</div>"
    )


def _price(p: dict, plots: _Plots) -> str:
    price = p["price"]
    figures_rows = [("events with a price", fmt.count(price["count"]))]
    figures_rows += [(name, fmt.amount(price[name])) for name in ("mean", "median", "min", "max")]
    figures_rows += [(name, fmt.amount(value)) for name, value in price["quantiles"].items()]
    figures_rows += [
        (f"band {band}", f"{fmt.count(n)} ({fmt.share(price['band_shares'][band])})")
        for band, n in p["price_bands"].items()
    ]
    rows = [f"<tr>{_cell(name)}{_cell(None, True, text)}</tr>" for name, text in figures_rows]
    table = _card(
        "Price figures (exact; quantiles by nearest rank)", _table([("figure", False), ("value", True)], rows)
    )
    return (
        f'<div class="grid">{plots.div(figures.price_histogram(p))}</div>'
        f'<div class="grid" style="margin-top:16px">{plots.div(figures.price_bands(p))}{table}</div>'
    )


def _funnel(p: dict, plots: _Plots) -> str:
    stats, funnel = p["session_stats"], p["funnel"]
    eps, spu = stats["events_per_session"], stats["sessions_per_user"]
    items = [
        ("view → cart (events)", fmt.share(p["view_to_cart"], 2)),
        ("view → purchase (events)", fmt.share(p["view_to_purchase"], 2)),
        ("cart → purchase (events)", fmt.share(p["cart_to_purchase"], 2)),
        ("sessions", fmt.count(p["sessions"])),
        ("sessions with a view", fmt.count(funnel["sessions_with_view"])),
        ("sessions with a cart", fmt.count(funnel["sessions_with_cart"])),
        ("sessions with a purchase", fmt.count(funnel["sessions_with_purchase"])),
        ("cart abandonment (sessions)", fmt.share(p["cart_abandonment"])),
        ("unique users", fmt.count(p["unique_users"])),
        ("events per session: mean / median / p90 / max", _spread(eps)),
        ("sessions per user: mean / median / p90 / max", _spread(spu)),
        ("events without a session", fmt.count(stats["events_without_session"])),
        ("sessions seen with several users", fmt.count(stats["sessions_with_several_users"])),
    ]
    rows = [f"<tr>{_cell(name)}{_cell(None, True, text)}</tr>" for name, text in items]
    table = _card("Funnel figures", _table([("figure", False), ("value", True)], rows))
    per_session = figures.histogram_rows(eps["histogram"], "Sessions by number of events", "events")
    per_user = figures.histogram_rows(spu["histogram"], "Users by number of sessions", "sessions")
    return (
        f'<div class="grid">{plots.div(figures.funnel(p))}{table}</div>'
        f'<div class="grid" style="margin-top:16px">{plots.div(per_session)}{plots.div(per_user)}</div>'
    )


def _spread(s: dict) -> str:
    return " / ".join([fmt.number(s["mean"]), fmt.value(s["p50"]), fmt.value(s["p90"]), fmt.value(s["max"])])


def _dimension(section: dict, name: str, title: str, plots: _Plots) -> str:
    rows = [_dimension_row(fmt.plain(entry[name]), entry) for entry in section["top"]]
    tail = section["long_tail"]
    if tail is not None:
        rows.append(_dimension_row(f"other {tail['values']:,} {title.lower()} (long tail)", tail, "tail"))
    headers = [(name, False), ("events", True), ("views", True), ("carts", True), ("purchases", True)]
    table = _table([*headers, ("revenue", True), ("avg price", True), ("conversion", True)], rows)
    shown = len(section["top"])
    heading = f"Top {shown} of {section['distinct']:,} {title.lower()} by events"
    events = figures.top_dimension(section, name, f"{title}: events by type")
    revenue = figures.top_revenue(section, name, f"{title}: revenue (the same top {shown})")
    return (
        f'<div class="grid">{plots.div(events)}{plots.div(revenue)}</div>'
        f'<div class="grid" style="margin-top:16px">{_card(heading, table)}</div>'
    )


def _dimension_row(label: str, e: dict, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    numbers = [
        fmt.count(e["events"]),
        fmt.count(e["views"]),
        fmt.count(e["carts"]),
        fmt.count(e["purchases"]),
        fmt.amount(e["revenue"]),
        fmt.amount(e["avg_price"]),
        fmt.share(e["conversion"], 2),
    ]
    return f"<tr{cls}>{_cell(None, text=label)}{''.join(_cell(None, True, n) for n in numbers)}</tr>"


def _products(p: dict) -> str:
    views = [
        f"<tr>{_cell(e['product_id'])}{_cell(None, True, fmt.count(e['views']))}</tr>"
        for e in p["top_products"]["by_views"]
    ]
    revenue = [
        f"<tr>{_cell(e['product_id'])}{_cell(None, True, fmt.amount(e['revenue']))}</tr>"
        for e in p["top_products"]["by_revenue"]
    ]
    by_views = _card("Top 10 by views", _table([("product_id", False), ("views", True)], views))
    by_revenue = _card("Top 10 by revenue", _table([("product_id", False), ("revenue", True)], revenue))
    return f'<div class="grid">{by_views}{by_revenue}</div>'


def _footer(p: dict) -> str:
    lateness = escape(fmt.plain(p["lateness_s"]))
    return (
        "<footer>Figures follow the metric contract (METRICS.md): brand trimmed and lower-cased, "
        "category the first part of <code>category_code</code>, money summed exactly, ratios empty when "
        "their denominator is 0. Late events: accepted events whose 1-second window had closed under a "
        f"watermark of the latest event time so far minus {lateness} s, in file order. All counts, "
        "distinct counts and quantiles are exact; duplicate rows are found by 64-bit row hashes.</footer>"
    )
