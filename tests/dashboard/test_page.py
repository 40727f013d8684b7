"""The page in headless Chromium shows exactly what the store holds, filtered as asked."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from ecomstream.dashboard.figures import plain
from ecomstream.events.schema import EVENT_TYPES
from tests.dashboard.conftest import ARTIFACTS
from tests.dashboard.pagekit import (
    choose,
    expected_kpis,
    last_minutes_since,
    open_dashboard,
    trace_data,
    wait_for_kpis,
)
from tests.helpers import report_of
from tests.web import HOSTILE_BRAND, HOSTILE_CATEGORY, Served

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LABELS = {"view": "views", "cart": "carts", "remove_from_cart": "removals", "purchase": "purchases"}


def _filtered(server: Served, **filters: str) -> dict[str, Any]:
    return server.get("/api/report?" + urlencode(filters)).json()


def test_kpis_and_charts_equal_the_store(page: Any, server: Served, filled_store: str) -> None:
    report = report_of(filled_store)
    open_dashboard(page, server)
    wait_for_kpis(page, expected_kpis(report))
    counts = {t["name"]: sum(t["customdata"]) for t in trace_data(page, "events-chart")}
    assert counts == {LABELS[kind]: report["by_type"][kind] for kind in EVENT_TYPES}
    views = next(t for t in trace_data(page, "brands-chart") if t["name"] == "views")
    top = report["brands"][:15]
    assert list(reversed(views["y"])) == [plain(b["brand"]) for b in top]
    assert list(reversed(views["x"])) == [b["views"] for b in top]
    assert page.inner_text("#kpi-revenue") == f"{report['revenue']:,.2f}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-static.png"), full_page=True)
    assert page.dialogs == [] and page.errors == []


def test_filters_narrow_the_numbers(page: Any, server: Served) -> None:
    open_dashboard(page, server)
    wait_for_kpis(page, expected_kpis(_filtered(server)))
    choose(page, "brand", "samsung")
    samsung = _filtered(server, brand="samsung")
    wait_for_kpis(page, expected_kpis(samsung))
    assert samsung["events"] < _filtered(server)["events"]
    assert "brand 'samsung'" in page.inner_text("#filter-span")
    choose(page, "category", "electronics")
    wait_for_kpis(page, expected_kpis(_filtered(server, brand="samsung", category="electronics")))
    page.click("#range input[value=custom]")
    page.fill("#since", "2019-10-01T00:30:00Z")
    page.press("#since", "Enter")
    page.fill("#until", "2019-10-01T02:00:00Z")
    page.press("#until", "Enter")
    ranged = _filtered(server, brand="samsung", category="electronics", since="2019-10-01T00:30:00Z",
                       until="2019-10-01T02:00:00Z")  # fmt: skip
    wait_for_kpis(page, expected_kpis(ranged))
    counts = {t["name"]: sum(t["customdata"]) for t in trace_data(page, "events-chart")}
    assert counts["views"] == ranged["by_type"]["view"]
    page.click("#range input[value='5m']")
    newest = server.get("/api/totals").json()["newest_window"]
    since = str(last_minutes_since(newest, 5))
    wait_for_kpis(page, expected_kpis(_filtered(server, brand="samsung", category="electronics", since=since)))
    page.click("#range input[value=custom]")
    page.fill("#since", "yesterday")
    page.press("#since", "Enter")
    page.wait_for_function("() => document.querySelector('#filter-error').innerText.includes('ISO 8601')")
    assert page.dialogs == [] and page.errors == []


def test_hostile_names_show_as_text(page: Any, server: Served) -> None:
    open_dashboard(page, server)
    choose(page, "brand", HOSTILE_BRAND)
    wait_for_kpis(page, {"view": 3, "cart": 1, "purchase": 1, "revenue": 12.5})
    assert page.inner_text("#brand-value") == HOSTILE_BRAND
    assert page.locator("#brands-table td").first.inner_text() == HOSTILE_BRAND
    assert page.locator("#categories-table td").first.inner_text() == HOSTILE_CATEGORY
    ticks = page.evaluate(
        "() => Array.from(document.querySelectorAll('#brands-chart .ytick text')).map(e => e.textContent)"
    )
    assert HOSTILE_BRAND in ticks
    assert "<b>bold</b>" in page.inner_text("#rejects-latest")
    injected = page.evaluate(
        "() => ({scripts: Array.from(document.scripts).filter(s => s.text.includes('alert(')).length,"
        " images: document.querySelectorAll('img[onerror], img[src=x]').length,"
        " bold: document.querySelectorAll('#rejects-latest b, #brands-chart b').length})"
    )
    assert injected == {"scripts": 0, "images": 0, "bold": 0}
    assert page.dialogs == [] and page.errors == []


def test_with_a_token_the_page_opens_once_given_it(page: Any, token_server: Served) -> None:
    from tests.web_fixtures import TOKEN

    page.goto(token_server.url)
    assert "access token required" in page.inner_text("body")
    page.goto(f"{token_server.url}?token={TOKEN}")
    assert page.url == token_server.url
    open_dashboard(page, token_server)
    wait_for_kpis(page, {"events": token_server.get("/api/totals").json()["events"]})
    assert page.dialogs == [] and page.errors == []
