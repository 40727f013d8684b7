"""With a token, nothing is served without it: header, ?token= once then a cookie."""

from __future__ import annotations

import pytest

from tests.web import Served, get
from tests.web_fixtures import TOKEN

PATHS = ["/", "/api/report", "/api/health", "/metrics", "/_dash-layout", "/_dash-dependencies", "/assets/style.css"]


@pytest.mark.parametrize("path", PATHS)
def test_everything_needs_the_token(token_server: Served, path: str) -> None:
    refused = get(token_server.url, path)
    assert refused.status == 401
    assert b"access token required" in refused.body
    assert get(token_server.url, path, {"Authorization": "Bearer wrong"}).status == 401
    assert get(token_server.url, path, {"Authorization": f"Bearer {TOKEN}"}).status == 200


def test_query_token_once_then_a_cookie(token_server: Served) -> None:
    assert get(token_server.url, "/?token=wrong").status == 401
    first = get(token_server.url, f"/?token={TOKEN}&x=1")
    assert first.status == 303 and first.headers["location"] == "/?x=1"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
    session = cookie.split(";", 1)[0]
    assert get(token_server.url, "/", {"Cookie": session}).status == 200
    assert get(token_server.url, "/api/report", {"Cookie": session}).status == 200
    assert get(token_server.url, "/api/report", {"Cookie": "ecomstream_session=forged"}).status == 401


def test_api_calls_may_carry_the_token_in_the_query(token_server: Served) -> None:
    reply = get(token_server.url, f"/api/funnel?token={TOKEN}")
    assert reply.status == 200 and reply.json()["sessions"] > 0


def test_the_same_report_with_the_token(token_server: Served, server: Served) -> None:
    assert token_server.get("/api/report").body == server.get("/api/report").body
