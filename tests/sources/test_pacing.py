"""Pacing with an injected clock: `--rate` and `--speed` hand events on on time."""

from __future__ import annotations

from ecomstream.events.raw import RawBatch
from ecomstream.sources.pacing import Pace, paced


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def csv_batch(seconds: list[int]) -> RawBatch:
    lines = [f"2019-10-01 00:{s // 60:02d}:{s % 60:02d} UTC,view,1,1,a,b,1,1,s" for s in seconds]
    return RawBatch("f", 1, len(lines), csv=("\n".join(lines) + "\n").encode())


def test_rate_spreads_events_evenly() -> None:
    clock = FakeClock()
    handed = []
    for piece in paced(iter([csv_batch([0] * 1000)]), Pace(rate=100), clock, clock.sleep):
        handed.append((clock.now, piece.count))
    assert sum(n for _, n in handed) == 1000
    assert all(n <= 5 for _, n in handed)  # 100/s in 50 ms ticks
    assert abs(handed[-1][0] - 9.95) < 1e-6  # the last slice is due after 995 events at 100/s


def test_speed_follows_the_original_gaps() -> None:
    clock = FakeClock()
    times = []
    for _piece in paced(iter([csv_batch([0, 0, 10, 30])]), Pace(speed=10), clock, clock.sleep):
        times.append(clock.now)
    assert times[0] == 0.0
    assert abs(times[-1] - 3.0) < 1e-6  # 30 s of event time at 10x


def test_unlimited_passes_batches_through() -> None:
    batch = csv_batch([0, 1])
    assert list(paced(iter([batch]), Pace())) == [batch]
