"""A brand or category made of HTML comes back as the same characters, as JSON, never as markup."""

from __future__ import annotations

from urllib.parse import quote

from tests.web import HOSTILE_BRAND, HOSTILE_CATEGORY, Served


def test_hostile_names_are_data_in_the_api(server: Served) -> None:
    brands = server.get("/api/brands")
    assert brands.headers["content-type"] == "application/json"
    assert brands.headers["x-content-type-options"] == "nosniff"
    row = next(b for b in brands.json() if b["brand"] == HOSTILE_BRAND)
    assert (row["views"], row["carts"], row["purchases"], row["revenue"]) == (3, 1, 1, 12.5)
    categories = server.get("/api/categories").json()
    assert any(c["category"] == HOSTILE_CATEGORY for c in categories)
    only = server.get(f"/api/report?brand={quote(HOSTILE_BRAND)}&category={quote(HOSTILE_CATEGORY)}").json()
    assert only["events"] == 5 and only["filter"]["brand"] == HOSTILE_BRAND
    assert [b["brand"] for b in only["brands"]] == [HOSTILE_BRAND]


def test_the_page_itself_carries_no_data(server: Served) -> None:
    page = server.get("/").body.decode()
    assert "alert(1)" not in page and "onerror" not in page
