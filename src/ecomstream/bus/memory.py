"""The embedded bus: a bounded in-process queue of raw batches.

Bounded by the number of events it holds, so a fast source blocks (backpressure)
instead of filling memory while the processor catches up.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from ecomstream.events.raw import RawBatch

END = object()
"""Marker handed on after the last batch of a finite stream."""


class MemoryBus:
    """A bounded FIFO of raw batches between one producer and one consumer thread."""

    def __init__(self, max_events: int = 1_000_000) -> None:
        self.max_events = max_events
        self._items: deque[RawBatch | object] = deque()
        self._held = 0
        self._cond = threading.Condition()
        self.closed = False

    @property
    def held(self) -> int:
        """Events waiting on the bus (the processor's lag behind the source)."""
        return self._held

    def put(self, batch: RawBatch, timeout: float | None = None) -> bool:
        """Hand a batch on; blocks while the bus is full. False if closed or timed out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            # A batch larger than the bound is let through alone, so nothing deadlocks.
            while self._held and self._held + batch.count > self.max_events and not self.closed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            if self.closed:
                return False
            self._items.append(batch)
            self._held += batch.count
            self._cond.notify_all()
            return True

    def put_end(self) -> None:
        """Say that no more batches follow."""
        with self._cond:
            self._items.append(END)
            self._cond.notify_all()

    def get(self, timeout: float) -> RawBatch | object | None:
        """The next batch, END, or None when nothing came within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._items:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    return None
                self._cond.wait(remaining)
            item = self._items.popleft()
            if isinstance(item, RawBatch):
                self._held -= item.count
            self._cond.notify_all()
            return item

    def close(self) -> None:
        """Wake every waiter; later puts are refused."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()
