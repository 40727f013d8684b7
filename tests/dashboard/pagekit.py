"""Reading and driving the dashboard page in tests."""

from __future__ import annotations

import json
import time
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ecomstream.report.filters import minute_floor
from tests.web import Served

KPI_KEYS = (
    "events", "revenue", "avg_purchase_price", "view_to_cart", "view_to_purchase", "cart_to_purchase", "sessions",
    "unique_users", "cart_abandonment",
)  # fmt: skip


def kpis(page: Any) -> dict[str, Any]:
    """KPI values as the page holds them (`data-value`: the exact number, or None)."""
    raw = page.evaluate(
        "() => Object.fromEntries(Array.from(document.querySelectorAll('.kpi-value'))"
        ".map(e => [e.id.slice(4), e.dataset.value]))"
    )
    return {key: (None if text == "" else json.loads(text)) for key, text in raw.items()}


def expected_kpis(report: dict[str, Any]) -> dict[str, Any]:
    """The KPI values a report says the page must show."""
    values = {key: report[key] for key in KPI_KEYS if key in report}
    values.update(report["by_type"])
    return values


def wait_for_kpis(page: Any, expected: dict[str, Any], timeout_s: float = 15.0) -> dict[str, Any]:
    """Poll the page until every expected KPI shows; fail with what it shows instead."""
    deadline = time.monotonic() + timeout_s
    shown: dict[str, Any] = {}
    while time.monotonic() < deadline:
        shown = kpis(page)
        if all(shown.get(k) == v for k, v in expected.items()):
            return shown
        time.sleep(0.05)
    wrong = {k: (shown.get(k), v) for k, v in expected.items() if shown.get(k) != v}
    raise AssertionError(f"the page shows (shown, expected) {wrong} after {timeout_s} s")


def choose(page: Any, menu_id: str, value: str, attempts: int = 4) -> None:
    """Pick `value` in a dropdown by typing it into its search box.

    A live refresh may re-render the menu while it is open (new options), which closes
    it and drops the typed text: then open it and type again."""
    option = page.locator(".dash-dropdown-option", has_text=value).first
    for attempt in range(attempts):
        page.click(f"#{menu_id}")
        page.keyboard.type(value)
        try:
            option.wait_for(timeout=5_000)
        except PlaywrightTimeout:  # the menu was re-rendered meanwhile
            page.keyboard.press("Escape")
            if attempt == attempts - 1:
                raise
            continue
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        return


def trace_data(page: Any, graph_id: str) -> list[dict[str, Any]]:
    """The traces a Plotly graph on the page draws (waiting until it has drawn some)."""
    page.wait_for_function(
        "id => { const plot = document.querySelector(`#${id} .js-plotly-plot`);"
        " return plot && plot.data && plot.data.length; }",
        arg=graph_id,
    )
    return page.evaluate(
        "id => document.querySelector(`#${id} .js-plotly-plot`).data"
        ".map(t => ({name: t.name, x: t.x, y: t.y, customdata: t.customdata}))",
        graph_id,
    )


def open_dashboard(page: Any, server: Served) -> None:
    page.goto(server.url)
    page.wait_for_function(
        "() => { const tile = document.querySelector('#kpi-events'); return tile && tile.dataset.value !== undefined; }"
    )


def last_minutes_since(newest_iso: str, minutes: int) -> int:
    from ecomstream.report.filters import parse_time

    newest = parse_time(newest_iso)
    assert newest is not None
    return minute_floor(newest + 1 - minutes * 60)
