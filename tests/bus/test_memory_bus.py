"""The memory bus keeps order and pushes back when full."""

from __future__ import annotations

import threading
import time

from ecomstream.bus.memory import END, MemoryBus
from ecomstream.events.raw import RawBatch


def batch(seq: int, count: int = 10) -> RawBatch:
    return RawBatch("s", seq, count, csv=b"")


def test_fifo_then_end() -> None:
    bus = MemoryBus()
    for seq in (1, 11, 21):
        bus.put(batch(seq))
    bus.put_end()
    got = [bus.get(0.1) for _ in range(4)]
    assert [b.first_seq for b in got[:3]] == [1, 11, 21]
    assert got[3] is END
    assert bus.get(0.01) is None


def test_full_bus_blocks_the_producer_until_the_consumer_takes() -> None:
    bus = MemoryBus(max_events=20)
    bus.put(batch(1))
    bus.put(batch(11))
    assert bus.held == 20
    assert bus.put(batch(21), timeout=0.05) is False  # backpressure, not growth
    released = threading.Event()

    def producer() -> None:
        bus.put(batch(21))
        released.set()

    thread = threading.Thread(target=producer)
    thread.start()
    time.sleep(0.05)
    assert not released.is_set()
    assert bus.get(0.1).first_seq == 1
    assert released.wait(1)
    thread.join()


def test_a_batch_larger_than_the_bound_still_passes_alone() -> None:
    bus = MemoryBus(max_events=5)
    assert bus.put(batch(1, 50), timeout=0.1)


def test_close_wakes_a_blocked_producer() -> None:
    bus = MemoryBus(max_events=10)
    bus.put(batch(1))
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(bus.put(batch(11))))
    thread.start()
    bus.close()
    thread.join(1)
    assert result == [False]
