"""Merge laws: tallies merge like one pass, and the profile does not depend on chunking."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomstream.profile import profile_files
from ecomstream.profile.late import late_flags
from ecomstream.profile.tally import Tally

SCHEMA = {"k": pl.String, "n": pl.Int64, "bits": pl.UInt8}


def _tally() -> Tally:
    return Tally(SCHEMA, ["k"], {"n": "sum", "bits": "or"})


rows = st.lists(st.tuples(st.sampled_from("abcde"), st.integers(0, 1000), st.integers(0, 15)), max_size=60)


@given(rows, st.lists(st.integers(0, 60), max_size=5))
@settings(max_examples=60, deadline=None)
def test_tally_split_anyhow_equals_one_pass(data: list[tuple], cuts: list[int]) -> None:
    frame = pl.DataFrame(data, schema=SCHEMA, orient="row")
    whole = frame.group_by("k").agg(pl.col("n").sum(), pl.col("bits").bitwise_or())
    left, right = _tally(), _tally()
    bounds = [0, *sorted(min(c, frame.height) for c in cuts), frame.height]
    for i, (start, stop) in enumerate(pairwise(bounds)):
        (left if i % 2 else right).add(frame.slice(start, stop - start))
    left.merge(right)
    assert left.frame().sort("k").rows() == whole.cast(SCHEMA).sort("k").rows()


def test_empty_tally_has_its_schema() -> None:
    assert _tally().frame().schema == pl.Schema(SCHEMA)


@given(st.lists(st.integers(0, 20_000_000), max_size=40), st.integers(1, 39))
@settings(max_examples=60, deadline=None)
def test_late_flags_carry_over_batches(times: list[int], cut: int) -> None:
    ts = np.array(times, dtype=np.int64)
    whole, _ = late_flags(ts, None)
    first, seen = late_flags(ts[:cut], None)
    second, _ = late_flags(ts[cut:], seen)
    assert np.concatenate([first, second]).tolist() == whole.tolist()
    expected, high = [], None
    for t in times:
        expected.append(high is not None and (t // 1_000_000 + 1) * 1_000_000 <= high - 2_000_000)
        high = t if high is None else max(high, t)
    assert whole.tolist() == expected


def test_late_lateness_is_a_parameter() -> None:
    ts = np.array([10_000_000, 8_500_000])
    assert late_flags(ts, None, lateness_s=0)[0].tolist() == [False, True]
    assert late_flags(ts, None, lateness_s=2)[0].tolist() == [False, False]


def test_profile_does_not_depend_on_chunk_size(data_files: list[Path]) -> None:
    small = min(data_files, key=lambda p: p.stat().st_size)
    whole = profile_files([small])
    chunked = profile_files([small], chunk_bytes=20_000)
    assert chunked == whole
