"""The panel cache: one query per panel at a time, and a slow panel never holds the page up."""

from __future__ import annotations

import threading
import time
from typing import Any

from ecomstream.dashboard.cache import PanelCache

FAST, BACKGROUND = object(), object()


def _cache(**settings: Any) -> PanelCache:
    return PanelCache(FAST, BACKGROUND, **settings)  # type: ignore[arg-type]


def test_one_query_serves_every_concurrent_caller() -> None:
    cache = _cache(min_age_s=10)
    calls = []

    def compute(store: object) -> int:
        calls.append(store)
        time.sleep(0.2)
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", compute))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 8 and calls == [FAST]
    cache.close()


def test_a_result_is_reused_while_fresh_then_recomputed() -> None:
    now = [0.0]
    cache = _cache(min_age_s=0.5, clock=lambda: now[0])
    values = iter([1, 2])
    assert cache.get("k", lambda _: next(values)) == 1
    now[0] = 0.4
    assert cache.get("k", lambda _: next(values)) == 1
    now[0] = 0.6
    assert cache.get("k", lambda _: next(values)) == 2
    cache.close()


def test_a_slow_panel_is_refreshed_in_the_background() -> None:
    cache = _cache(min_age_s=0.0, inline_budget_s=0.05, slow_wait_s=0.05)
    gate = threading.Event()
    stores = []

    def slow(store: object) -> str:
        stores.append(store)
        if len(stores) == 1:
            time.sleep(0.1)  # the first run makes the panel known as slow
            return "old"
        gate.wait(5)
        return "new"

    assert cache.get("k", slow) == "old"
    time.sleep(0.5)  # let it expire (cost x 4)
    started = time.monotonic()
    assert cache.get("k", slow) == "old"  # served at once, refresh running on the other connection
    assert time.monotonic() - started < 0.5
    gate.set()
    deadline = time.monotonic() + 5
    while cache.get("k", slow) != "new":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert stores[:2] == [FAST, BACKGROUND]
    cache.close()


def test_a_failed_refresh_keeps_the_previous_value() -> None:
    now = [0.0]
    cache = _cache(min_age_s=0.1, clock=lambda: now[0])
    assert cache.get("k", lambda _: "kept") == "kept"
    now[0] = 1.0

    def broken(_: object) -> str:
        raise RuntimeError("store went away")

    assert cache.get("k", broken) == "kept"
    assert cache.get("k", lambda _: "next") == "next"
    cache.close()


def test_a_whole_store_panel_never_waits_for_its_query() -> None:
    cache = _cache(min_age_s=0.0, slow_wait_s=0.05)
    gate = threading.Event()

    def slow(store: object) -> str:
        assert store is BACKGROUND
        gate.wait(5)
        return "done"

    started = time.monotonic()
    assert cache.get("k", slow, background=True, default="loading") == "loading"
    assert time.monotonic() - started < 0.5
    gate.set()
    deadline = time.monotonic() + 5
    while cache.get("k", slow, background=True, default="loading") != "done":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    cache.close()
