"""Plotly figures of the dashboard, built as plain dicts from the data of `report.live`.

Plotly reads a few HTML-like tags in labels (`<b>`, `<br>`, `<a href>`), so every data
value used as a label goes through `plain`, which turns it into entities: a brand named
`<b>x</b>` shows as those characters, never as markup.
"""

from __future__ import annotations

from typing import Any

from ecomstream.events.schema import EVENT_TYPES

COLOURS = {"view": "#4c78a8", "cart": "#f58518", "remove_from_cart": "#e45756", "purchase": "#54a24b"}
LABELS = {"view": "views", "cart": "carts", "remove_from_cart": "removals", "purchase": "purchases"}
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


def plain(text: object) -> str:
    """Text safe to use as a Plotly label: shown as written, never read as markup."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _layout(title: str, revision: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": plain(title), "x": 0.01, "font": {"size": 14}},
        "margin": {"l": 48, "r": 12, "t": 40, "b": 36},
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.18},
        "uirevision": revision,
        "xaxis": {"gridcolor": "#e5e7eb"},
        "yaxis": {"gridcolor": "#e5e7eb", "rangemode": "tozero"},
    }
    layout.update(extra)
    return layout


def empty(title: str, message: str = "no events yet") -> dict[str, Any]:
    """A figure with a title and a message instead of data."""
    layout = _layout(title, title)
    layout["annotations"] = [{"text": plain(message), "showarrow": False, "font": {"size": 14, "color": "#6b7280"}}]
    layout["xaxis"] = {"visible": False}
    layout["yaxis"] = {"visible": False}
    return {"data": [], "layout": layout}


def _bucket_words(step: int) -> str:
    return "1-second windows" if step == 1 else f"mean over {step}-second buckets"


def events_per_second(series: dict[str, Any]) -> dict[str, Any]:
    """Stacked bars of events per second by type; the raw counts ride along as customdata."""
    points, step = series["points"], series["step"]
    title = f"Events per second by type ({_bucket_words(step)})"
    if not points:
        return empty(title)
    x = [p["window"] for p in points]
    data = [
        {
            "type": "bar",
            "name": LABELS[kind],
            "x": x,
            "y": [p[kind] / step for p in points],
            "customdata": [p[kind] for p in points],
            "marker": {"color": COLOURS[kind]},
            "hovertemplate": "%{x}<br>%{y:,.2f} " + LABELS[kind] + "/s (%{customdata:,} in the bucket)<extra></extra>",
        }
        for kind in EVENT_TYPES
    ]
    return {"data": data, "layout": _layout(title, "events", barmode="stack", bargap=0.05)}


def revenue(series: dict[str, Any]) -> dict[str, Any]:
    """Revenue per bucket."""
    points, step = series["points"], series["step"]
    title = "Revenue per second" if step == 1 else f"Revenue per {step}-second bucket"
    if not points:
        return empty(title)
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "revenue",
            "x": [p["window"] for p in points],
            "y": [p["revenue"] for p in points],
            "line": {"color": "#54a24b", "width": 1.5, "shape": "hv"},
            "fill": "tozeroy",
            "hovertemplate": "%{x}<br>%{y:,.2f}<extra></extra>",
        }
    ]
    return {"data": data, "layout": _layout(title, "revenue")}


def dimension(rows: list[dict[str, Any]], key: str, title: str) -> dict[str, Any]:
    """Horizontal bars of views and purchases per brand or category, largest on top."""
    if not rows:
        return empty(title)
    names = [plain(r[key]) for r in reversed(rows)]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": label,
            "y": names,
            "x": [r[field] for r in reversed(rows)],
            "marker": {"color": colour},
            "hovertemplate": "%{y}: %{x:,} " + label + "<extra></extra>",
        }
        for field, label, colour in (
            ("views", "views", COLOURS["view"]),
            ("purchases", "purchases", COLOURS["purchase"]),
        )
    ]
    layout = _layout(title, key, barmode="group")
    layout["xaxis"] = {"type": "log", "gridcolor": "#e5e7eb", "title": {"text": "events (log scale)"}}
    layout["yaxis"] = {"automargin": True}
    return {"data": data, "layout": layout}


def funnel(found: dict[str, Any]) -> dict[str, Any]:
    """Sessions with a view, a cart, a purchase."""
    title = "Session funnel (whole store)"
    values = [found["sessions_with_view"], found["sessions_with_cart"], found["sessions_with_purchase"]]
    if not any(values):
        return empty(title, "no sessions yet")
    data = [
        {
            "type": "funnel",
            "y": ["with a view", "with a cart", "with a purchase"],
            "x": values,
            "texttemplate": "%{value:,}<br>%{percentPrevious:.1%} of the step before",
            "marker": {"color": [COLOURS["view"], COLOURS["cart"], COLOURS["purchase"]]},
            "hovertemplate": "sessions %{y}: %{x:,}<extra></extra>",
        }
    ]
    layout = _layout(title, "funnel")
    layout["yaxis"] = {"automargin": True}
    return {"data": data, "layout": layout}


def price_bands(bands: dict[str, int]) -> dict[str, Any]:
    title = "Events per price band (whole store)"
    if not any(bands.values()):
        return empty(title)
    data = [
        {
            "type": "bar",
            "x": list(bands),
            "y": list(bands.values()),
            "marker": {"color": "#72b7b2"},
            "hovertemplate": "%{x}: %{y:,} events<extra></extra>",
        }
    ]
    return {"data": data, "layout": _layout(title, "bands")}


def completeness(shares: dict[str, float | None]) -> dict[str, Any]:
    """Share of received records whose field is present and valid."""
    title = "Completeness per field (whole store)"
    if all(v is None for v in shares.values()):
        return empty(title, "no records received yet")
    names = list(reversed(shares))
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": names,
            "x": [(shares[n] or 0) * 100 for n in names],
            "marker": {"color": "#9d755d"},
            "hovertemplate": "%{y}: %{x:.2f}%<extra></extra>",
        }
    ]
    layout = _layout(title, "completeness")
    layout["xaxis"] = {"range": [0, 100], "ticksuffix": "%", "gridcolor": "#e5e7eb"}
    layout["yaxis"] = {"automargin": True}
    return {"data": data, "layout": layout}
