"""Plotly figures of the profile. Labels taken from the data are HTML-escaped, since
plotly renders a subset of HTML (links, line breaks) in text."""

from __future__ import annotations

from html import escape
from itertools import pairwise

import plotly.graph_objects as go

from ecomstream.events.schema import EVENT_TYPES

TYPE_COLOURS = {"view": "#4C78A8", "cart": "#F58518", "remove_from_cart": "#B279A2", "purchase": "#54A24B"}
ACCENT = "#4C78A8"
_FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


def _layout(fig: go.Figure, title: str, height: int = 320, **extra: object) -> go.Figure:
    fig.update_layout(
        title={"text": escape(title), "x": 0.01, "font": {"size": 15}},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 48, "b": 48},
        font={"family": _FONT, "size": 12},
        legend={"orientation": "h", "y": -0.18},
        **extra,
    )
    return fig


def events_by_type(p: dict) -> go.Figure:
    counts = [p["by_type"][t] for t in EVENT_TYPES]
    fig = go.Figure(go.Bar(x=list(EVENT_TYPES), y=counts, marker_color=[TYPE_COLOURS[t] for t in EVENT_TYPES]))
    return _layout(fig, "Events by type", yaxis_type="log", yaxis_title="events (log scale)")


def _per_type_bars(rows: list[dict], labels: list[str], title: str) -> go.Figure:
    fig = go.Figure(
        [go.Bar(name=t, x=labels, y=[row[t] for row in rows], marker_color=TYPE_COLOURS[t]) for t in EVENT_TYPES]
    )
    return _layout(fig, title, barmode="stack", yaxis_title="events")


def events_over_time(p: dict) -> go.Figure:
    """Per hour, or per day when the events span more than two weeks."""
    rows = p["by_hour"]
    seconds = p["time_span"]["seconds"] or 0
    if seconds <= 14 * 86_400:
        return _per_type_bars(rows, [row["start"] for row in rows], "Events per hour (UTC)")
    days: dict[str, dict] = {}
    for row in rows:
        day = days.setdefault(row["start"][:10], dict.fromkeys(EVENT_TYPES, 0))
        for t in EVENT_TYPES:
            day[t] += row[t]
    return _per_type_bars(list(days.values()), list(days), "Events per day (UTC)")


def hour_of_day(p: dict) -> go.Figure:
    rows = p["by_hour_of_day"]
    return _per_type_bars(rows, [f"{row['hour']:02d}" for row in rows], "Events by hour of day (UTC)")


def day_of_week(p: dict) -> go.Figure:
    rows = p["by_day_of_week"]
    return _per_type_bars(rows, [row["day"][:3] for row in rows], "Events by day of week (UTC)")


def price_histogram(p: dict) -> go.Figure:
    hist = p["price"]["histogram"]
    edges = hist["edges"]
    centres = [(low + high) / 2 for low, high in pairwise(edges)]
    width = edges[1] - edges[0]
    text = [f"{low:,.2f} – {high:,.2f}" for low, high in pairwise(edges)]
    fig = go.Figure(
        go.Bar(
            x=centres, y=hist["counts"], width=width, marker_color=ACCENT, hovertext=text,
            hovertemplate="%{hovertext}: %{y:,} events<extra></extra>",
        )
    )  # fmt: skip
    title = "Price histogram (events)"
    if hist["above"]:
        title += f"; {hist['above']:,} events at {edges[-1]:,.0f} or more not shown"
    return _layout(fig, title, bargap=0.02, yaxis_title="events", xaxis_title="price")


def price_bands(p: dict) -> go.Figure:
    bands = p["price_bands"]
    fig = go.Figure(go.Bar(x=list(bands), y=list(bands.values()), marker_color=ACCENT))
    return _layout(fig, "Events per price band", yaxis_title="events")


def completeness(p: dict) -> go.Figure:
    names = list(p["completeness"])
    shares = [(p["completeness"][n] or 0) * 100 for n in names]
    fig = go.Figure(go.Bar(x=shares, y=names, orientation="h", marker_color=ACCENT))
    return _layout(fig, "Completeness per field (%)", xaxis_range=[0, 100], yaxis_autorange="reversed", xaxis_title="%")


def rejected(p: dict) -> go.Figure:
    shown = {reason: n for reason, n in p["rejected"].items() if n}
    fig = go.Figure(go.Bar(x=list(shown.values()), y=list(shown), orientation="h", marker_color="#E45756"))
    return _layout(fig, "Rejected rows by reason", yaxis_autorange="reversed", xaxis_title="rows")


def funnel(p: dict) -> go.Figure:
    steps = ["view", "cart", "purchase"]
    sessions = [p["funnel"][f"sessions_with_{s}"] for s in steps]
    fig = go.Figure(
        [
            go.Bar(name="events", x=steps, y=[p["by_type"][s] for s in steps], marker_color=ACCENT),
            go.Bar(name="sessions having it", x=steps, y=sessions, marker_color="#72B7B2"),
        ]
    )
    return _layout(fig, "Funnel: events and sessions", barmode="group", yaxis_type="log", yaxis_title="log scale")


def histogram_rows(rows: list[dict], title: str, x_title: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=[r["bucket"] for r in rows], y=[r["count"] for r in rows], marker_color=ACCENT))
    return _layout(fig, title, xaxis_title=x_title, xaxis_type="category")


def top_dimension(section: dict, name: str, title: str) -> go.Figure:
    top = section["top"]
    labels = [escape(str(entry[name])) for entry in top]
    fig = go.Figure(
        [
            go.Bar(name=t, y=labels, x=[e[key] for e in top], orientation="h", marker_color=TYPE_COLOURS[t])
            for t, key in (("view", "views"), ("cart", "carts"), ("purchase", "purchases"))
        ]
    )
    height = max(320, 60 + 22 * len(top))
    return _layout(
        fig,
        title,
        height=height,
        barmode="stack",
        yaxis_autorange="reversed",
        xaxis_title="events",
        yaxis_type="category",
    )


def top_revenue(section: dict, name: str, title: str) -> go.Figure:
    top = sorted(section["top"], key=lambda e: (-e["revenue"], str(e[name])))
    labels = [escape(str(entry[name])) for entry in top]
    fig = go.Figure(go.Bar(y=labels, x=[e["revenue"] for e in top], orientation="h", marker_color="#54A24B"))
    height = max(320, 60 + 22 * len(top))
    return _layout(fig, title, height=height, yaxis_autorange="reversed", xaxis_title="revenue", yaxis_type="category")
