"""Merging the deltas of any split of a stream equals one pass over the whole."""

from __future__ import annotations

import itertools
from functools import reduce
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomstream.events.decode import decode
from ecomstream.events.raw import RawBatch
from ecomstream.events.validate import validate
from ecomstream.metrics import aggregate, empty_deltas
from ecomstream.processor.loop import Processor, ProcessorSettings
from ecomstream.report.build import build_report
from ecomstream.store import open_store
from tests.conftest import SHARED_FILES
from tests.reference import data_lines

ROWS = 3_000


@pytest.fixture(scope="module")
def events(shared_data: Path) -> pl.DataFrame:
    lines = data_lines(shared_data / SHARED_FILES[3])[:ROWS]
    accepted = validate(decode(RawBatch("t", 1, len(lines), csv=b"\n".join(lines) + b"\n"))).accepted
    return accepted.with_columns(late=pl.lit(False))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=0, max_value=ROWS), max_size=12))
def test_merged_batches_equal_one_pass(events: pl.DataFrame, cuts: list[int]) -> None:
    bounds = sorted({0, *cuts, events.height})
    parts = [events.slice(a, b - a) for a, b in itertools.pairwise(bounds)]
    merged = reduce(lambda acc, part: acc + aggregate(part), parts, empty_deltas())
    assert merged.equals(aggregate(events))


def test_merge_is_commutative(events: pl.DataFrame) -> None:
    a, b = aggregate(events.head(1000)), aggregate(events.tail(2000))
    assert (a + b).equals(b + a)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=900), min_size=1, max_size=6))
def test_processor_commits_any_split_to_the_same_report(shared_data: Path, tmp_path_factory, sizes) -> None:
    """Raw batches cut anywhere, committed one by one, give the report of one commit,
    late events included (the electronics file is out of order)."""
    lines = data_lines(shared_data / SHARED_FILES[3])
    batches, seq, i = [], 1, 0
    while seq <= len(lines):
        size = sizes[i % len(sizes)]
        chunk = lines[seq - 1 : seq - 1 + size]
        batches.append(RawBatch("f", seq, len(chunk), csv=b"\n".join(chunk) + b"\n"))
        seq, i = seq + len(chunk), i + 1
    whole = RawBatch("f", 1, len(lines), csv=b"\n".join(lines) + b"\n")
    folder = tmp_path_factory.mktemp("split")
    with open_store(f"sqlite:///{folder / 'a.db'}") as split_store, open_store(f"sqlite:///{folder / 'b.db'}") as one:
        processor = Processor(split_store, None, ProcessorSettings())
        for batch in batches:
            processor.process([batch])
        Processor(one, None, ProcessorSettings()).process([whole])
        assert build_report(split_store) == build_report(one)
