"""User ids this process has committed, so that later commits do not insert them again.

The users table only grows (a user, once counted, stays), so a user id whose commit
succeeded need not be sent again: a returning user, or a user active across many
micro-batches of a live stream, would otherwise be re-inserted (`ON CONFLICT DO
NOTHING`) in every commit that sees them. Ids are added only after their commit is
written, so a failed or fenced commit leaves nothing behind. It is a cache: an id it
does not hold is simply inserted as before, so it may forget everything when it
reaches `limit` ids (8 bytes each) and memory stays bounded.
"""

from __future__ import annotations

import threading

import numpy as np
import polars as pl

LIMIT = 4_000_000
"""Ids held at most (32 MB); past it the cache starts over."""


class KnownUsers:
    """Sorted distinct user ids known to be in the store.

    >>> known = KnownUsers()
    >>> known.committed(pl.DataFrame({"user_id": [3, 1]}))
    >>> known.unknown(pl.DataFrame({"user_id": [1, 2, 3, 4]}))["user_id"].to_list()
    [2, 4]
    """

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._ids = np.empty(0, dtype=np.int64)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return int(self._ids.size)

    def unknown(self, users: pl.DataFrame) -> pl.DataFrame:
        """The rows of `users` (a `user_id` column) whose id is not known to be stored."""
        known = self._ids  # replaced, never changed in place: safe to read without the lock
        if known.size == 0 or users.height == 0:
            return users
        ids = users["user_id"].to_numpy()
        at = np.minimum(np.searchsorted(known, ids), known.size - 1)
        return users.filter(pl.Series(known[at] != ids))

    def committed(self, users: pl.DataFrame) -> None:
        """Remember the ids of a commit that was written."""
        if users.height == 0:
            return
        new = np.unique(users["user_id"].to_numpy())
        with self._lock:
            known = self._ids
            if known.size + new.size > self.limit:
                known = np.empty(0, dtype=np.int64)
            # Two sorted runs: a stable sort merges them in linear time.
            merged = np.sort(np.concatenate([known, new]), kind="stable")
            keep = np.ones(merged.size, dtype=bool)
            keep[1:] = merged[1:] != merged[:-1]
            self._ids = merged[keep]
