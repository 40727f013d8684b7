"""Overlapping production and consumption: the next chunk is read, decompressed and
decoded in a thread (polars, numpy and zlib release the GIL) while the current one is
validated and aggregated."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def prefetch(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The items of `items`, produced in a thread `depth` items ahead of the consumer.

    An error in the thread is raised in the consumer; a consumer that stops early stops
    the thread.

    >>> list(prefetch(iter(range(5))))
    [0, 1, 2, 3, 4]
    """
    ahead: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: object) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over(item):
                    return
            hand_over(_DONE)
        except BaseException as err:  # handed over to the consumer, which raises it
            hand_over(err)

    thread = threading.Thread(target=produce, name="profile-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = ahead.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
