"""The PostgreSQL store on its own: fencing, concurrent writers, odd keys, versions."""

from __future__ import annotations

import threading
from collections import Counter

import polars as pl
import psycopg
import pytest
from tests.integration.kafka_support import fresh_store

from ecomstream.errors import StaleCommit, StoreError
from ecomstream.metrics import empty_deltas
from ecomstream.metrics.deltas import Deltas
from ecomstream.report.build import build_report
from ecomstream.store import Commit, Position, open_store
from ecomstream.store.schema import SCHEMA_VERSION

pytestmark = pytest.mark.integration


def deltas(brands: list[str], windows: list[int], views: int = 1) -> Deltas:
    counts = {"view": views, "cart": 0, "remove_from_cart": 0, "purchase": 0, "revenue_micros": 0}
    base = empty_deltas()
    return Deltas(
        windows=pl.DataFrame({"window": sorted(windows), **{k: [v] * len(windows) for k, v in counts.items()}},
                             schema=base.windows.schema),
        brands=pl.DataFrame({"brand": sorted(brands), **{k: [v] * len(brands) for k, v in counts.items()}},
                            schema=base.brands.schema),
        categories=pl.DataFrame({"category": ["c"], **{k: [v * len(windows)] for k, v in counts.items()}},
                                schema=base.categories.schema),
        products=base.products,
        sessions=pl.DataFrame({"user_session": sorted(brands), "flags": [1] * len(brands)}),
        users=pl.DataFrame({"user_id": sorted(windows)}),
        counters=Counter({"received": views * len(windows)}),
    )  # fmt: skip


def test_a_stale_commit_applies_nothing(postgres_url: str) -> None:
    with open_store(fresh_store(postgres_url)) as store:
        store.commit(Commit(deltas(["a"], [1]), positions={"kafka:t:0": Position(10)}, expected={"kafka:t:0": 0}))
        with pytest.raises(StaleCommit, match="expected 0, found 10"):
            store.commit(Commit(deltas(["a"], [1]), positions={"kafka:t:0": Position(20)}, expected={"kafka:t:0": 0}))
        assert store.positions()["kafka:t:0"].seq == 10
        assert build_report(store)["events"] == 1


def test_concurrent_writers_on_the_same_rows_add_up(postgres_url: str) -> None:
    url = fresh_store(postgres_url)
    keys = [f"brand-{i:03d}" for i in range(300)]
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            with open_store(url) as store:
                for n in range(15):
                    order = keys if (worker + n) % 2 else list(reversed(keys))
                    store.commit(Commit(deltas(order, list(range(200))),
                                        positions={f"kafka:t:{worker}": Position(n + 1)},
                                        expected={f"kafka:t:{worker}": n}))  # fmt: skip
        except BaseException as err:
            failures.append(err)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    with open_store(url) as store:
        report = build_report(store)
        assert report["events"] == 4 * 15 * 200
        assert {b["brand"]: b["views"] for b in report["brands"]} == dict.fromkeys(keys, 4 * 15)


def test_nul_characters_in_keys_are_stored(postgres_url: str) -> None:
    with open_store(fresh_store(postgres_url)) as store:
        store.commit(Commit(deltas(["a\x00b", "a\ufffdb", "plain"], [1])))
        brands = {b["brand"]: b["views"] for b in build_report(store)["brands"]}
    assert brands == {"a\ufffdb": 2, "plain": 1}


def test_a_newer_schema_is_refused(postgres_url: str) -> None:
    url = fresh_store(postgres_url)
    open_store(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="newer than this ecomstream"):
        open_store(url)


def test_unreachable_server_says_what_to_check() -> None:
    with pytest.raises(StoreError, match="check that the server runs"):
        open_store("postgresql://nobody@127.0.0.1:1/nothing")
