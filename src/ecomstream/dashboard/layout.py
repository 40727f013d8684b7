"""The page's static structure: header, filters, panels, timers. Callbacks fill it."""

from __future__ import annotations

from dash import dcc, html

from ecomstream.dashboard.render import safe_store_url

RANGE_OPTIONS = [
    {"label": "last 5 minutes", "value": "5m"},
    {"label": "last hour", "value": "1h"},
    {"label": "all", "value": "all"},
    {"label": "custom", "value": "custom"},
]
CHOICES_REFRESH_MS = 10_000
"""How often the brand and category menus are refreshed."""


def _graph(id_: str, height: int = 300) -> dcc.Graph:
    return dcc.Graph(
        id=id_, config={"displaylogo": False, "responsive": True}, className="graph", style={"height": f"{height}px"}
    )


def _panel(title: str, *children: object, wide: bool = False) -> html.Section:
    return html.Section([html.H2(title), *children], className="panel" + (" wide" if wide else ""))


def _filters() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Time range", htmlFor="range"),
                    dcc.RadioItems(id="range", options=RANGE_OPTIONS, value="all", inline=True, className="range"),
                ],
                className="filter",
            ),
            html.Div(
                [
                    html.Label("From (UTC)", htmlFor="since"),
                    dcc.Input(id="since", type="text", placeholder="2019-10-01T00:00:00Z", debounce=True),
                    html.Label("to", htmlFor="until"),
                    dcc.Input(id="until", type="text", placeholder="2019-10-01T01:00:00Z", debounce=True),
                ],
                id="custom-range",
                className="filter custom",
            ),
            html.Div(
                [
                    html.Label("Brand", htmlFor="brand"),
                    dcc.Dropdown(id="brand", options=[], placeholder="all brands", clearable=True, searchable=True),
                ],
                className="filter menu",
            ),
            html.Div(
                [
                    html.Label("Category", htmlFor="category"),
                    dcc.Dropdown(id="category", options=[], placeholder="all categories", clearable=True),
                ],
                className="filter menu",
            ),
            html.P(id="filter-error", className="error", role="alert"),
            html.P(id="filter-note", className="note"),
        ],
        className="filters",
    )


def layout(store_url: str, refresh_ms: int) -> html.Div:
    """The whole page."""
    return html.Div(
        [
            html.Header(
                [
                    html.H1("ecomstream"),
                    html.Span(f"live clickstream analytics · store {safe_store_url(store_url)}", className="muted"),
                    html.Div(id="status", className="status"),
                ]
            ),
            _filters(),
            html.Div(id="kpis", className="kpis"),
            html.Div(
                [
                    _panel("Events", _graph("events-chart")),
                    _panel("Revenue", _graph("revenue-chart")),
                    _panel("Brands", _graph("brands-chart", 420), html.Div(id="brands-table", className="scroll")),
                    _panel(
                        "Categories",
                        _graph("categories-chart", 420),
                        html.Div(id="categories-table", className="scroll"),
                    ),
                    _panel("Session funnel", _graph("funnel-chart"), html.Div(id="funnel-steps")),
                    _panel(
                        "Top products (whole store)",
                        html.Div(
                            [
                                html.Div([html.H3("by views"), html.Div(id="products-views")]),
                                html.Div([html.H3("by revenue"), html.Div(id="products-revenue")]),
                            ],
                            className="pair",
                        ),
                    ),
                    _panel("Price bands", _graph("bands-chart")),
                    _panel(
                        "Data quality",
                        _graph("completeness-chart"),
                        html.Div(id="quality-facts"),
                        html.H3("Rejects by reason"),
                        html.Div(id="rejects-reasons"),
                    ),
                    _panel("Latest rejected records", html.Div(id="rejects-latest", className="scroll"), wide=True),
                    _panel("Pipeline health", html.Div(id="health", className="scroll"), wide=True),
                ],
                className="grid",
            ),
            dcc.Interval(id="tick", interval=refresh_ms),
            dcc.Interval(id="choices-tick", interval=CHOICES_REFRESH_MS),
        ],
        className="page",
    )
