"""Every endpoint against a real server, compared with the CLI and the store."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.helpers import report_of, run_cli
from tests.web import Served

FILTERS = [
    "",
    "?brand=samsung",
    "?category=electronics&since=2019-10-01T00:10:00Z",
    "?since=1569888600&until=2019-10-01T01:00:00Z",
    f"?brand={quote('<script>alert(1)</script>')}",
]


def _cli_args(query: str) -> list[str]:
    from urllib.parse import parse_qsl

    args = []
    for name, value in parse_qsl(query.lstrip("?")):
        args += [f"--{name}", value]
    return args


@pytest.mark.parametrize("query", FILTERS)
def test_report_is_the_same_bytes_as_the_command(server: Served, filled_store: str, query: str) -> None:
    reply = server.get("/api/report" + query)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.body == run_cli("report", "--store", filled_store, "--json", *_cli_args(query)).encode()


def test_timeseries_is_the_same_bytes_as_the_command(server: Served, filled_store: str) -> None:
    since, until = "2019-10-01T00:10:00Z", "2019-10-01T00:12:30Z"
    reply = server.get(f"/api/timeseries?since={since}&until={until}")
    expected = run_cli("report", "--store", filled_store, "--json", "--timeseries", "--since", since, "--until", until)
    assert reply.status == 200 and reply.body == expected.encode()
    assert 0 < len(reply.json()) <= 150
    assert len(server.get("/api/timeseries").json()) > len(reply.json())


def test_brands_and_categories_match_the_report(server: Served, filled_store: str) -> None:
    report = report_of(filled_store)
    assert server.get("/api/brands").json() == report["brands"]
    assert server.get("/api/categories").json() == report["categories"]
    assert server.get("/api/brands?limit=3").json() == report["brands"][:3]
    in_electronics = server.get("/api/brands?category=electronics").json()
    assert 0 < sum(b["views"] for b in in_electronics) < report["by_type"]["view"]
    assert sum(b["views"] for b in in_electronics) == next(
        c["views"] for c in report["categories"] if c["category"] == "electronics"
    )


def test_totals_match_the_filtered_report(server: Served) -> None:
    totals = server.get("/api/totals?brand=apple").json()
    report = server.get("/api/report?brand=apple").json()
    assert totals["by_type"] == report["by_type"] and totals["revenue"] == report["revenue"]
    assert totals["newest_window"] == "2019-10-01T02:50:00Z"


def test_funnel_quality_and_health(server: Served, filled_store: str) -> None:
    report = report_of(filled_store)
    funnel = server.get("/api/funnel").json()
    assert funnel["sessions"] == report["sessions"]
    assert {k: funnel[k] for k in report["funnel"]} == report["funnel"]
    assert funnel["cart_abandonment"] == report["cart_abandonment"]
    assert funnel["view_to_cart"] == funnel["sessions_with_cart"] / funnel["sessions_with_view"]
    quality = server.get("/api/quality?limit=5").json()
    assert quality["completeness"] == report["completeness"]
    assert quality["rejected"] == report["rejected"]
    assert quality["late_events"] == report["late_events"]
    assert [r["reason"] for r in quality["latest_rejects"]] == ["unknown_event_type", "bad_type:price"]
    assert "<b>bold</b>" in quality["latest_rejects"][0]["raw"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", quality["watermark"])
    health = server.get("/api/health").json()
    assert health["running"] is False
    assert [w["worker"] for w in health["workers"]] == ["embedded"]
    assert health["workers"][0]["status"] == "stopped"


def test_metrics_in_prometheus_text_format(server: Served, filled_store: str) -> None:
    report = report_of(filled_store)
    reply = server.get("/metrics")
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in reply.body.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    assert samples['ecomstream_events_total{type="view"}'] == report["by_type"]["view"]
    assert samples['ecomstream_rejected_total{reason="bad_type:price"}'] == 1
    assert samples['ecomstream_worker_up{worker="embedded"}'] == 0
    assert 'ecomstream_latency_seconds{worker="embedded",quantile="0.99"}' in samples
    assert "# TYPE ecomstream_latency_seconds summary" in reply.body.decode()


BAD = [
    ("/api/report?since=yesterday", "ISO 8601"),
    ("/api/report?since=2019-10-01T01:00:00Z&until=2019-10-01T00:00:00Z", "empty time range"),
    ("/api/report?colour=red", "unknown parameter"),
    ("/api/report?brand=a&brand=b", "given twice"),
    ("/api/brands?limit=0", "bad limit"),
    ("/api/brands?limit=ten", "bad limit"),
    ("/api/quality?limit=100000", "bad limit"),
    ("/api/timeseries?since=2019-10-01T01:00:00Z&until=2019-10-01T00:00:00Z", "empty time range"),
    ("/api/timeseries?brand=samsung", "unknown parameter"),
    ("/api/funnel?x=1", "unknown parameter"),
    (f"/api/brands?brand={'x' * 300}", "at most"),
]


@pytest.mark.parametrize(("path", "message"), BAD)
def test_bad_parameters_get_400_with_a_message(server: Served, path: str, message: str) -> None:
    reply = server.get(path)
    assert reply.status == 400, reply.body
    assert message in reply.json()["error"]
    assert b"Traceback" not in reply.body


def test_unknown_endpoint_is_a_json_404(server: Served) -> None:
    reply = server.get("/api/nothing-here")
    assert reply.status == 404 and "no such endpoint" in reply.json()["error"]


def test_safe_headers_and_host_check(server: Served) -> None:
    reply = server.get("/api/health")
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["cache-control"] == "no-store"
    assert server.get("/api/health", {"Host": "attacker.example"}).status == 400
    page = server.get("/")
    assert page.status == 200 and b"react-entry-point" in page.body


def test_keep_alive_answers_are_not_held_by_nagle(server: Served) -> None:
    """A response in two writes must not wait ~40 ms for a delayed ACK (TCP_NODELAY on)."""
    import http.client
    import statistics
    import time
    from urllib.parse import urlsplit

    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    took = []
    for _ in range(20):
        started = time.perf_counter()
        connection.request("GET", "/api/health")
        connection.getresponse().read()
        took.append(time.perf_counter() - started)
    connection.close()
    assert statistics.median(took) < 0.025, took
