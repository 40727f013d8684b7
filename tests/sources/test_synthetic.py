"""The synthetic generator: chunk independence, validity and calibration."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomstream.errors import SourceError
from ecomstream.events.decode import decode
from ecomstream.events.raw import RawBatch
from ecomstream.events.schema import FIELDS
from ecomstream.events.validate import validate
from ecomstream.sources.clickstats import describe, prepare, window_repeat_share
from ecomstream.sources.profile import PROFILE_PATH
from ecomstream.sources.synthetic import DEFAULT_START_US, EventGenerator, load_profile

REFERENCE_ROWS = 160_000
"""More than two windows at the default rate (about 69k events each)."""


@pytest.fixture(scope="module")
def profile():
    return load_profile()


@pytest.fixture(scope="module")
def reference() -> pl.DataFrame:
    return EventGenerator(seed=7).take(REFERENCE_ROWS)


@pytest.fixture(scope="module")
def sample(profile) -> pl.DataFrame:
    """200k events at 10 events/s: 5.5 hours, so few sessions are cut at the edges."""
    return prepare(EventGenerator(seed=11, events_per_second=10.0, profile=profile).take(200_000))


@pytest.fixture(scope="module")
def figures(sample) -> dict:
    return describe(sample)


def test_columns_are_the_schema_fields_in_canonical_text(reference):
    assert tuple(reference.columns) == FIELDS
    assert all(dtype == pl.String for dtype in reference.dtypes)
    checks = {
        "event_time": r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$",
        "event_type": r"^(view|cart|remove_from_cart|purchase)$",
        "product_id": r"^[1-9]\d*$",
        "category_id": r"^(\d{19})?$",
        "price": r"^\d+\.\d\d$",
        "user_id": r"^[1-9]\d{8}$",
        "user_session": r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
    }
    bad = reference.select(
        [(~pl.col(name).str.contains(pattern)).sum().alias(name) for name, pattern in checks.items()]
    )
    assert bad.row(0) == (0,) * len(checks)
    assert reference.null_count().row(0) == (0,) * len(FIELDS)


def test_every_row_is_accepted_by_validate(reference):
    batch = RawBatch("generator#seed=7", 1, reference.height, frame=reference)
    result = validate(decode(batch))
    assert result.rejected.height == 0
    assert result.accepted.height == reference.height


def test_take_in_pieces_equals_one_take(reference):
    generator = EventGenerator(seed=7)
    pieces = [generator.take(n) for n in (1, 99, 68_000, 2_500, 0, 89_400)]
    assert pl.concat(pieces).equals(reference)
    assert generator.position == REFERENCE_ROWS


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=0, max_value=80_000), min_size=1, max_size=6))
def test_any_split_gives_the_same_rows(reference, sizes):
    generator = EventGenerator(seed=7)
    frames, taken = [], 0
    for size in sizes:
        size = min(size, REFERENCE_ROWS - taken)
        frames.append(generator.take(size))
        taken += size
    assert taken == generator.position
    assert pl.concat(frames).equals(reference.head(taken))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=REFERENCE_ROWS - 500), st.integers(min_value=0, max_value=500))
def test_skip_then_take_equals_the_same_rows(reference, skipped, wanted):
    generator = EventGenerator(seed=7)
    generator.skip(skipped)
    assert generator.position == skipped
    assert generator.take(wanted).equals(reference.slice(skipped, wanted))


def test_skip_a_million_is_cheap_and_exact():
    full = EventGenerator(seed=3)
    full.skip(400_000)
    expected = full.take(600_010).tail(10)
    generator = EventGenerator(seed=3)
    generator.take(5)  # the first windows are built either way
    started = time.perf_counter()
    generator.skip(999_995)
    elapsed = time.perf_counter() - started
    assert generator.take(10).equals(expected)
    assert elapsed < 1.5, f"skip(999_995) took {elapsed:.2f} s"


def test_same_seed_same_events_other_seed_other_events(reference):
    again = EventGenerator(seed=7).take(5_000)
    other = EventGenerator(seed=8).take(5_000)
    assert again.equals(reference.head(5_000))
    assert not other.equals(again)
    assert set(other["user_session"]).isdisjoint(set(again["user_session"]))


def test_times_start_at_start_us_and_advance_at_the_rate(sample):
    seconds = sample.sort("row")["t"]
    assert seconds.is_sorted()
    assert seconds[0] == DEFAULT_START_US // 1_000_000
    span = seconds[-1] - seconds[0]
    assert span == pytest.approx(200_000 / 10.0, rel=0.03)


@pytest.mark.parametrize("rate", [0.5, 2_000.0, 100_000.0])
def test_other_rates_and_start(rate):
    start = 1_600_000_000_000_000
    frame = prepare(EventGenerator(seed=1, start_us=start, events_per_second=rate).take(100_000))
    seconds = frame.sort("row")["t"]
    assert seconds.is_sorted()
    assert seconds[0] >= start // 1_000_000
    assert (seconds[-1] - seconds[0] + 1) == pytest.approx(100_000 / rate, rel=0.05, abs=2)


def test_event_mix_matches_the_profile(figures, profile):
    real = profile.targets["event_share"]
    share = figures["event_share"]
    removes = profile.remove_share_of_carts
    assert share["cart"] == pytest.approx(real["cart"], rel=0.1)
    assert share["purchase"] == pytest.approx(real["purchase"], rel=0.1)
    assert share["remove_from_cart"] / share["cart"] == pytest.approx(removes, abs=0.05)
    assert share["view"] == pytest.approx(1 - sum(v for k, v in share.items() if k != "view"), abs=1e-4)
    assert share["view"] == pytest.approx(real["view"] - real["cart"] * removes, abs=0.003)


def test_funnel_and_session_lengths_match_the_profile(figures, profile):
    real = profile.targets
    assert figures["sessions_with_cart"] == pytest.approx(real["sessions_with_cart"], rel=0.12)
    assert figures["sessions_with_purchase"] == pytest.approx(real["sessions_with_purchase"], rel=0.1)
    # Removes add about a third of the carts to the real mean length.
    expected_length = real["mean_session_length"] + real["event_share"]["cart"] * real["mean_session_length"] / 3
    assert figures["mean_session_length"] == pytest.approx(expected_length, rel=0.04)
    for k in ("1", "2", "3"):
        assert figures["session_length_share"][k] == pytest.approx(real["session_length_share"][k], abs=0.015)
    assert figures["mean_gap_s"] == pytest.approx(real["mean_gap_s"], rel=0.1)


def test_browsing_and_catalogue_match_the_profile(figures, profile):
    real = profile.targets
    assert figures["repeat_view_share"] == pytest.approx(real["repeat_view_share"], abs=0.02)
    assert figures["category_stay_share"] == pytest.approx(real["category_stay_share"], abs=0.02)
    assert figures["brand_missing_share"] == pytest.approx(real["brand_missing_share"], abs=0.02)
    assert figures["category_code_missing_share"] == pytest.approx(real["category_code_missing_share"], abs=0.03)
    assert figures["mean_price"]["view"] == pytest.approx(real["mean_price"]["view"], rel=0.1)
    assert figures["mean_price"]["cart"] == pytest.approx(real["mean_price"]["cart"], rel=0.15)
    for q in ("p10", "p50", "p90"):
        assert figures["view_price_quantiles"][q] == pytest.approx(real["view_price_quantiles"][q], rel=0.12)


def test_brand_and_category_shares_match_the_profile(figures, profile):
    real = profile.targets
    for brand, share in list(real["brand_share"].items())[:5]:
        assert figures["brand_share"].get(brand, 0.0) == pytest.approx(share, rel=0.15), brand
    for category, share in list(real["category_share"].items())[:5]:
        assert figures["category_share"].get(category, 0.0) == pytest.approx(share, rel=0.1), category


def test_products_keep_their_attributes(sample):
    attributes = sample.group_by("product_id").agg(pl.col("category_id", "category_code", "brand", "price").n_unique())
    assert attributes.select(pl.exclude("product_id").max()).row(0) == (1, 1, 1, 1)
    assert (sample["category_id"] == "").sum() == 0


def test_carts_removes_and_purchases_follow_the_session(sample, profile):
    # Only sessions that started inside the sample: none are longer than max_session_s.
    first = sample["t"].min() + profile.max_session_s
    events = sample.filter(pl.col("t").min().over("user_session") > first)
    key = ["user_session", "product_id"]
    events = events.with_columns(
        (pl.col("event_type") == "view").cum_sum().over(key).alias("views_before"),
        (pl.col("event_type") == "cart").cum_sum().over(key).alias("carts_before"),
    )
    others = events.filter(pl.col("event_type") != "view")
    assert others.height > 1_000
    assert (others["views_before"] == 0).sum() == 0
    removes = others.filter(pl.col("event_type") == "remove_from_cart")
    assert removes.height > 0
    assert (removes["carts_before"] == 0).sum() == 0


def test_sessions_belong_to_one_user_and_users_come_back(sample, profile):
    per_session = sample.group_by("user_session").agg(pl.col("user_id").n_unique().alias("users"))
    assert per_session["users"].max() == 1
    sessions_per_user = sample.group_by("user_id").agg(pl.col("user_session").n_unique().alias("n"))
    assert (sessions_per_user["n"] >= 3).sum() > 100


def test_returning_users_match_the_longest_slice(profile):
    rate, window = profile.targets["window_events_per_second"], profile.targets["window_s"]
    frame = prepare(EventGenerator(seed=5, events_per_second=rate, profile=profile).take(int(rate * window)))
    assert window_repeat_share(frame) == pytest.approx(profile.targets["window_repeat_share"], abs=0.02)


def test_load_profile_from_a_path(tmp_path: Path):
    raw = orjson.loads(PROFILE_PATH.read_bytes())
    raw["remove_share_of_carts"] = 0.0
    path = tmp_path / "profile.json"
    path.write_bytes(orjson.dumps(raw))
    frame = EventGenerator(seed=1, profile=load_profile(path)).take(50_000)
    assert (frame["event_type"] == "remove_from_cart").sum() == 0
    assert (frame["event_type"] == "cart").sum() > 0


def test_bad_profiles_and_arguments_are_refused(tmp_path: Path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": 1}')
    with pytest.raises(SourceError):
        load_profile(path)
    with pytest.raises(SourceError):
        load_profile(tmp_path / "missing.json")
    with pytest.raises(ValueError):
        EventGenerator(seed=-1)
    with pytest.raises(ValueError):
        EventGenerator(events_per_second=0)
    with pytest.raises(ValueError):
        EventGenerator().take(-1)
