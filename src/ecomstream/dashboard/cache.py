"""A small cache of panel data that keeps the page live without piling up queries.

- Single flight: however many browsers ask for the same panel at once, one query runs
  and the others wait for its result.
- Fresh enough: a result younger than `min_age_s` (or a few times its own cost, for
  costly panels) is served as is, so N open pages cost about one query per panel per tick.
- Never frozen by a slow query: a panel whose runs take longer than `inline_budget_s` is
  refreshed by a background thread on its own store connection; the page waits for it at
  most `slow_wait_s`, then shows the previous result, so fast panels keep their pace.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from ecomstream.store.base import Store

log = logging.getLogger(__name__)

COST_FACTOR = 4.0
"""A panel is recomputed at most every COST_FACTOR x its last duration."""


@dataclass(slots=True)
class Entry:
    value: Any
    at: float
    cost: float


class PanelCache:
    """Single-flight, cost-aware cache of panel data keyed by (panel, filters)."""

    def __init__(
        self,
        store: Store,
        background_store: Store,
        min_age_s: float = 0.25,
        inline_budget_s: float = 0.1,
        slow_wait_s: float = 0.05,
        max_entries: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.background_store = background_store
        self.min_age_s = min_age_s
        self.inline_budget_s = inline_budget_s
        self.slow_wait_s = slow_wait_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._pending: dict[Hashable, Future[Any]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecomstream-panels")

    def get(self, key: Hashable, compute: Callable[[Store], Any], background: bool = False, default: Any = None) -> Any:
        """The value of `compute(store)` for `key`, fresh as described in the module doc.

        `background=True` always computes in the background (for whole-store panels that may
        lag one refresh): the caller gets the previous value, or `default` while the first
        run takes longer than `slow_wait_s`.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self._clock() - entry.at < max(self.min_age_s, COST_FACTOR * entry.cost):
                return entry.value
            future = self._pending.get(key)
            owner = future is None
            slow = background or (entry is not None and entry.cost > self.inline_budget_s)
            if future is None:
                future = self._pending[key] = Future()
                if slow:
                    self._pool.submit(self._run, key, compute, self.background_store, future)
        if owner and not slow:
            self._run(key, compute, self.store, future)
        if entry is None and not background:
            return future.result()
        try:
            wait = self.slow_wait_s if entry is None or not background else 0
            return future.result(timeout=wait if slow else None)
        except FutureTimeout:
            return default if entry is None else entry.value
        except Exception:  # the page keeps the previous value; the log says why
            log.exception("refreshing panel %r failed; showing its previous value", key)
            return default if entry is None else entry.value

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, key: Hashable, compute: Callable[[Store], Any], store: Store, future: Future[Any]) -> None:
        started = self._clock()
        try:
            value = compute(store)
        except BaseException as err:
            with self._lock:
                self._pending.pop(key, None)
            future.set_exception(err)
            return
        ended = self._clock()
        with self._lock:
            previous = self._entries.get(key)
            cost = ended - started if previous is None else (previous.cost + ended - started) / 2
            self._entries[key] = Entry(value, ended, cost)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            self._pending.pop(key, None)
        future.set_result(value)
