"""The profile's figures equal an independent plain-Python recomputation on the shared data."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomstream.profile import profile_files
from tests.profile.reference import recompute
from tests.profile.shared import shared_files

CONTRACT_KEYS = [
    "events", "by_type", "revenue", "avg_purchase_price", "view_to_cart", "view_to_purchase",
    "cart_to_purchase", "sessions", "funnel", "cart_abandonment", "unique_users", "unique_users_exact",
    "brands", "categories", "top_products", "price_bands", "completeness", "rejected", "late_events",
]  # fmt: skip

CASES = [[path] for path in shared_files()] + ([shared_files()] if shared_files() else [])


@pytest.fixture(
    scope="module",
    params=CASES,
    ids=lambda paths: "+".join(p.name.split("_")[0] + p.name[-22:-7] for p in paths),
)
def pair(request: pytest.FixtureRequest, data_files: list[Path]) -> tuple[dict, dict]:
    paths = request.param
    return profile_files(paths), recompute(paths)


def test_contract_keys_come_first_and_match(pair: tuple[dict, dict]) -> None:
    profile, expected = pair
    assert list(profile)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    got = {key: profile[key] for key in CONTRACT_KEYS}
    got["rejected"] = {reason: n for reason, n in got["rejected"].items() if n}
    assert got == expected["contract"]


def test_every_reason_is_listed(pair: tuple[dict, dict]) -> None:
    from ecomstream.events.schema import REASONS

    assert list(pair[0]["rejected"]) == list(REASONS)


def test_overview(pair: tuple[dict, dict]) -> None:
    profile, expected = pair
    assert profile["rows"] == expected["rows"]
    assert profile["duplicate_rows"] == expected["duplicate_rows"]
    assert profile["quality_score"] == pytest.approx(expected["quality_score"], rel=1e-12)
    span = profile["time_span"]
    assert span["seconds"] == (expected["last"] - expected["first"]) / 1e6
    assert sum(f["rows"] for f in profile["files"]) == expected["rows"]


def test_price(pair: tuple[dict, dict]) -> None:
    price, expected = pair[0]["price"], pair[1]["price"]
    assert price["mean"] == pytest.approx(expected["mean"], rel=1e-12)
    assert (price["min"], price["max"], price["median"]) == (
        expected["min"],
        expected["max"],
        expected["p50"],
    )
    assert price["quantiles"] == {key: value for key, value in expected.items() if key.startswith("p")}
    assert sum(price["histogram"]["counts"]) + price["histogram"]["above"] == price["count"]


def test_time_parts(pair: tuple[dict, dict]) -> None:
    profile, expected = pair
    assert [row["events"] for row in profile["by_hour_of_day"]] == expected["by_hour_of_day"]
    assert [row["events"] for row in profile["by_day_of_week"]] == expected["by_day_of_week"]
    assert sum(row["events"] for row in profile["by_hour"]) == profile["events"]


def test_fields(pair: tuple[dict, dict]) -> None:
    profile, expected = pair
    fields = profile["fields"]
    for name, distinct in expected["distinct"].items():
        assert fields[name]["distinct"] == distinct, name
    for name, share in expected["contract"]["completeness"].items():
        assert fields[name]["completeness"] == share


def test_sessions(pair: tuple[dict, dict]) -> None:
    stats, expected = pair[0]["session_stats"], pair[1]
    for key in ("events_per_session", "sessions_per_user"):
        got = stats[key]
        assert got["mean"] == pytest.approx(expected[key]["mean"], rel=1e-12)
        assert (got["p50"], got["max"]) == (expected[key]["p50"], expected[key]["max"])


def test_brand_table(pair: tuple[dict, dict]) -> None:
    table, expected = pair[0]["brand_table"], pair[1]
    events = expected["brand_events"]
    assert table["distinct"] == len(events)
    ranked = sorted(events.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    assert [(row["brand"], row["events"]) for row in table["top"]] == ranked
    for row in table["top"]:
        assert row["avg_price"] == pytest.approx(expected["brand_avg_price"][row["brand"]], rel=1e-12)
    if table["long_tail"] is not None:
        assert table["long_tail"]["events"] == sum(events.values()) - sum(n for _, n in ranked)


def test_oct_head_has_the_documented_duplicates(data_files: list[Path]) -> None:
    oct_head = next(p for p in data_files if "oct_head" in p.name)
    assert profile_files([oct_head])["duplicate_rows"] == 5
