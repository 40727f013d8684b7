"""The background committer: commits in order, merges what waits while the store is busy."""

from __future__ import annotations

import threading

import polars as pl

from ecomstream.metrics.aggregate import aggregate
from ecomstream.processor.committer import Committer
from ecomstream.processor.prepared import Prepared
from ecomstream.store.base import Commit, Position


def _prepared(batch: int) -> Prepared:
    """A commit of one accepted event in second `batch`, moving position `p` to `batch`."""
    events = pl.DataFrame(
        {
            "ts_us": [batch * 1_000_000], "window": [batch], "type": [0], "product_id": [1], "category_id": [2],
            "brand": ["b"], "category_code": ["c"], "price_micros": [1_000_000], "user_id": [batch],
            "user_session": [f"s{batch}"], "seq": [batch], "source": ["f"], "late": [False],
        },
        schema_overrides={"type": pl.Int8},
    )  # fmt: skip
    commit = Commit(deltas=aggregate(events), positions={"p": Position(batch)}, expected={"p": batch - 1})
    return Prepared(commit, [(0.0, 1)])


def test_batches_waiting_for_a_busy_store_are_merged_into_one_commit() -> None:
    release, applied = threading.Event(), []

    def apply(prepared: Prepared) -> None:
        release.wait(5)
        applied.append(prepared.commit)

    committer: Committer[int] = Committer(_prepared, apply)
    for batch in range(1, 6):
        committer.submit(batch)
    release.set()
    assert committer.wait() is None
    committer.close()
    assert sum(c.deltas.events for c in applied if c.deltas is not None) == 5
    assert len(applied) < 5, "the batches that waited were not merged"
    # Merged commits keep the order: each expects what the one before it wrote.
    assert [c.expected["p"] for c in applied] == [0, *(c.positions["p"].seq for c in applied[:-1])]
    assert applied[-1].positions["p"] == Position(5)
    users = pl.concat([c.deltas.users for c in applied if c.deltas is not None])
    assert sorted(users["user_id"].to_list()) == [1, 2, 3, 4, 5]


def test_a_failed_commit_drops_what_follows_and_reports_it() -> None:
    def apply(prepared: Prepared) -> None:
        raise RuntimeError("store down")

    committer: Committer[int] = Committer(_prepared, apply)
    for batch in range(1, 4):
        committer.submit(batch)
    failure = committer.wait()
    assert isinstance(failure, RuntimeError)
    committer.clear_failure()
    committer.close()


def test_the_slot_is_bounded_by_events() -> None:
    release, applied = threading.Event(), []

    def apply(prepared: Prepared) -> None:
        release.wait(5)
        applied.append(prepared.commit.deltas.events if prepared.commit.deltas is not None else 0)

    committer: Committer[int] = Committer(_prepared, apply, max_events=2)
    submitter = threading.Thread(target=lambda: [committer.submit(b) for b in range(1, 9)])
    submitter.start()
    submitter.join(0.5)
    assert submitter.is_alive(), "submit did not block although the slot was full"
    release.set()
    submitter.join(5)
    assert committer.wait() is None
    committer.close()
    assert sum(applied) == 8
    assert max(applied) <= 3  # the slot takes one more batch while under the bound
