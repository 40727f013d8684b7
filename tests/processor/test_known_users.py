"""Users already committed are not sent to the store again; a failed commit remembers none."""

from __future__ import annotations

import doctest
from pathlib import Path

import polars as pl
import pytest

from ecomstream.errors import StaleCommit
from ecomstream.events.raw import RawBatch
from ecomstream.processor import known_users
from ecomstream.processor.known_users import KnownUsers
from ecomstream.processor.loop import Processor, ProcessorSettings
from ecomstream.report.build import build_report
from ecomstream.store import open_store


def test_doctests() -> None:
    assert doctest.testmod(known_users).failed == 0


def test_past_its_limit_the_cache_starts_over() -> None:
    known = KnownUsers(limit=3)
    known.committed(pl.DataFrame({"user_id": [1, 2]}))
    known.committed(pl.DataFrame({"user_id": [4, 3, 4]}))
    assert len(known) == 2
    assert known.unknown(pl.DataFrame({"user_id": [1, 3, 5]}))["user_id"].to_list() == [1, 5]


def _batch(first_seq: int, users: list[int]) -> RawBatch:
    lines = [f"2019-10-01 00:00:{i:02d} UTC,view,1,1,a,b,1.00,{u},s{u}" for i, u in enumerate(users)]
    return RawBatch("f", first_seq, len(users), csv=("\n".join(lines) + "\n").encode())


def test_only_new_users_go_to_the_store_and_only_after_their_commit(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        processor = Processor(store, None, ProcessorSettings())
        first = processor.prepare([_batch(1, [1, 2])])
        assert sorted(first.commit.deltas.users["user_id"]) == [1, 2]
        second = processor.prepare([_batch(3, [2, 3])])  # prepared before the first is written
        assert sorted(second.commit.deltas.users["user_id"]) == [2, 3]
        processor.apply(first)
        processor.apply(second)
        third = processor.prepare([_batch(5, [1, 3, 4])])
        assert third.commit.deltas.users["user_id"].to_list() == [4]
        processor.apply(third)
        assert build_report(store)["unique_users"] == 4


def test_users_of_a_failed_commit_are_not_remembered(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        processor = Processor(store, None, ProcessorSettings())
        prepared = processor.prepare([_batch(1, [7])])
        prepared.commit.expected["f"] = 99  # fenced off, as a Kafka worker that lost its partition
        with pytest.raises(StaleCommit):
            processor.apply(prepared)
        assert processor.prepare([_batch(2, [7])]).commit.deltas.users["user_id"].to_list() == [7]
