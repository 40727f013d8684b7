"""Preparing and committing micro-batches in the background, in order.

Three things then overlap: the consuming thread turns the next poll into a batch, one
thread prepares the batch before it (decoding, validating, aggregating: mostly polars,
which releases the GIL), and another writes the commit before that (the store's work).
While the store is busy, prepared commits wait in a `CommitSlot` and are merged there,
so a worker that is behind writes each key once per large commit instead of once per
poll, and a worker that keeps up still commits every poll at once. The slot holds at
most `max_events` events and `submit` blocks beyond one waiting batch, so memory stays
bounded. The first failure
stops everything after it: later batches were prepared from positions that were never
written, so they are dropped, and the caller re-reads the positions (`failure` tells
why).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from queue import Queue
from typing import Generic, TypeVar

from ecomstream.processor.prepared import CommitSlot, Prepared

B = TypeVar("B")
_STOP = object()


class Committer(Generic[B]):
    """Two threads: one prepares submitted batches, the other applies the results."""

    def __init__(
        self,
        prepare: Callable[[B], Prepared],
        apply: Callable[[Prepared], None],
        after: Callable[[Prepared], None] | None = None,
        max_events: int = 2_000_000,
    ) -> None:
        self._prepare, self._apply, self._after = prepare, apply, after
        self._to_prepare: Queue[object] = Queue(maxsize=1)
        self._slot = CommitSlot(max_events)
        self._idle = threading.Condition()
        self._pending = 0
        self.failure: BaseException | None = None
        self._threads = [
            threading.Thread(target=self._preparing, name="ecomstream-prepare", daemon=True),
            threading.Thread(target=self._applying, name="ecomstream-commit", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, batch: B) -> None:
        """Queue a batch (blocks while every stage is busy and one batch already waits)."""
        with self._idle:
            self._pending += 1
        self._to_prepare.put(batch)

    def wait(self) -> BaseException | None:
        """Wait until every submitted batch is committed or dropped; the failure, if any."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0)
        return self.failure

    def clear_failure(self) -> None:
        self.failure = None

    def close(self) -> None:
        self.wait()
        self._to_prepare.put(_STOP)
        for thread in self._threads:
            thread.join()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _preparing(self) -> None:
        while True:
            batch = self._to_prepare.get()
            if batch is _STOP:
                self._slot.close()
                return
            if self.failure is not None:
                self._done()
                continue
            try:
                prepared = self._prepare(batch)  # type: ignore[arg-type]
            except BaseException as err:  # handed to the submitting thread through `failure`
                self.failure = err
                self._done()
                continue
            self._slot.put(prepared)

    def _applying(self) -> None:
        while (taken := self._slot.take()) is not None:
            prepared, batches = taken
            if self.failure is None:
                try:
                    self._apply(prepared)
                    if self._after is not None:
                        self._after(prepared)
                except BaseException as err:  # handed to the submitting thread through `failure`
                    self.failure = err
            for _ in range(batches):
                self._done()
