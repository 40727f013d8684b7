"""A small cache of panel data that keeps the page live without piling up queries.

- Single flight: however many browsers ask for the same panel at once, one query runs
  and the others wait for its result.
- Fresh enough: a result younger than `min_age_s` (or a few times its own cost, for
  costly panels) is served as is, so N open pages cost about one query per panel per tick.
- Never frozen by a slow query: a panel whose last run took longer than `inline_budget_s`
  is served from its previous result while a background thread refreshes it, on its own
  store connection, so fast panels keep their pace.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
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
        inline_budget_s: float = 0.25,
        max_entries: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.background_store = background_store
        self.min_age_s = min_age_s
        self.inline_budget_s = inline_budget_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self._refreshing: set[Hashable] = set()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecomstream-panels")

    def get(self, key: Hashable, compute: Callable[[Store], Any]) -> Any:
        """The value of `compute(store)` for `key`, fresh as described in the module doc."""
        entry = self._fresh(key)
        if entry is not None:
            return entry.value
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.cost > self.inline_budget_s:
                if key not in self._refreshing:
                    self._refreshing.add(key)
                    self._pool.submit(self._refresh_in_background, key, compute)
                return entry.value
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            entry = self._fresh(key)
            if entry is not None:
                return entry.value
            return self._compute(key, compute, self.store).value

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _fresh(self, key: Hashable) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            max_age = max(self.min_age_s, COST_FACTOR * entry.cost)
            return entry if self._clock() - entry.at < max_age else None

    def _compute(self, key: Hashable, compute: Callable[[Store], Any], store: Store) -> Entry:
        started = self._clock()
        value = compute(store)
        ended = self._clock()
        entry = Entry(value, ended, ended - started)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                old, _ = self._entries.popitem(last=False)
                self._locks.pop(old, None)
        return entry

    def _refresh_in_background(self, key: Hashable, compute: Callable[[Store], Any]) -> None:
        try:
            self._compute(key, compute, self.background_store)
        except Exception:  # the page keeps the previous value; the log says why
            log.exception("refreshing panel %r failed", key)
        finally:
            with self._lock:
                self._refreshing.discard(key)
