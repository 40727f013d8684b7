"""Committing in the background, in order, while the next micro-batch is prepared.

The store's work (PostgreSQL merging the rows) and the worker's work (decoding,
validating, aggregating the next poll) then overlap. At most one commit is written and
one waits; `submit` blocks beyond that. The first failure stops everything after it:
later commits were prepared from positions that were never written, so they are
dropped, and the caller re-reads the positions (`failure` tells why).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from queue import Queue

from ecomstream.processor.loop import Prepared

_STOP = object()


class Committer:
    """A thread applying prepared commits one after the other."""

    def __init__(self, apply: Callable[[Prepared], None], after: Callable[[Prepared], None] | None = None) -> None:
        self._apply = apply
        self._after = after
        self._queue: Queue[Prepared | object] = Queue(maxsize=1)
        self._idle = threading.Condition()
        self._pending = 0
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ecomstream-committer", daemon=True)
        self._thread.start()

    def submit(self, prepared: Prepared) -> None:
        """Queue a commit (blocks while one is written and one already waits)."""
        with self._idle:
            self._pending += 1
        self._queue.put(prepared)

    def wait(self) -> BaseException | None:
        """Wait until every submitted commit is written or dropped; the failure, if any."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0)
        return self.failure

    def clear_failure(self) -> None:
        self.failure = None

    def close(self) -> None:
        self.wait()
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, Prepared)
            if self.failure is None:
                try:
                    self._apply(item)
                    if self._after is not None:
                        self._after(item)
                except BaseException as err:  # handed to the submitting thread through `failure`
                    self.failure = err
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()
