"""A prepared commit, merging two of them, and the slot where one waits for the store.

While the store writes one commit, the next prepared ones wait in a `CommitSlot` and are
merged there (`merge_prepared`: deltas add up, later positions win, the first commit's
expected positions are checked), so the commit written grows with the backlog: behind,
each key is written once per large commit instead of once per micro-batch; keeping up,
every micro-batch is committed at once. Both the embedded processor and the Kafka
worker's committer write through one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ecomstream.store.base import Commit


@dataclass(slots=True)
class Prepared:
    """A micro-batch ready to commit, with the hand-off times of its events."""

    commit: Commit
    handed: list[tuple[float, int]]


def merge_prepared(first: Prepared, then: Prepared) -> Prepared:
    """One commit with the effect of `first` then `then` (both not yet written)."""
    a, b = first.commit, then.commit
    if a.deltas is None or b.deltas is None:
        deltas = a.deltas if b.deltas is None else b.deltas
    else:
        deltas = a.deltas + b.deltas
    streams = dict(a.streams)
    for stream, max_us in b.streams.items():
        streams[stream] = max(max_us, streams.get(stream, max_us))
    commit = Commit(
        deltas=deltas,
        rejects=a.rejects + b.rejects,
        positions={**a.positions, **b.positions},
        streams=streams,
        figures=b.figures or a.figures,
        expected={**b.expected, **a.expected},  # what must hold before the first of them
    )
    return Prepared(commit, first.handed + then.handed)


class CommitSlot:
    """One prepared commit waiting for the store; what is put meanwhile is merged into it.

    `put` blocks while the waiting commit holds `max_events` events or more, so memory
    stays bounded. The merge runs outside the lock; meanwhile the slot looks empty.
    """

    def __init__(self, max_events: int) -> None:
        self.max_events = max_events
        self._waiting: Prepared | None = None
        self._puts = 0
        self._events = 0
        self._merging = False
        self._closed = False
        self._changed = threading.Condition()

    def put(self, prepared: Prepared) -> None:
        events = _events(prepared)
        with self._changed:
            self._changed.wait_for(lambda: self._waiting is None or self._events < self.max_events)
            waiting, puts, before = self._waiting, self._puts, self._events
            self._waiting, self._merging = None, True
        merged = prepared if waiting is None else merge_prepared(waiting, prepared)
        with self._changed:
            self._waiting, self._puts, self._events, self._merging = merged, puts + 1, before + events, False
            self._changed.notify_all()

    def take(self) -> tuple[Prepared, int] | None:
        """The waiting commit and how many puts it holds (waits for one); None once the
        slot is closed and empty."""
        with self._changed:
            self._changed.wait_for(lambda: self._waiting is not None or (self._closed and not self._merging))
            if self._waiting is None:
                return None
            taken = (self._waiting, self._puts)
            self._waiting, self._puts, self._events = None, 0, 0
            self._changed.notify_all()
            return taken

    def close(self) -> None:
        """No more puts: `take` returns what waits, then None."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()


def _events(prepared: Prepared) -> int:
    deltas = prepared.commit.deltas
    return 0 if deltas is None else deltas.events
