"""The late-event rule of the pipeline, over accepted events in arrival (file) order.

The watermark before an event is the largest event time seen before it minus the
allowed lateness; the event is late when its 1-second window has already closed, that
is when `floor(event_time) + 1 s <= watermark`.
"""

from __future__ import annotations

import numpy as np

MICROS = 1_000_000
ALLOWED_LATENESS_S = 2


def late_flags(
    ts_us: np.ndarray, seen_max_us: int | None, lateness_s: float = ALLOWED_LATENESS_S
) -> tuple[np.ndarray, int | None]:
    """Which events (epoch microseconds, in arrival order) are late, and the new maximum.

    `seen_max_us` is the largest event time before this batch (None at the start).

    >>> flags, seen = late_flags(np.array([10_000_000, 12_500_000, 9_000_000, 10_400_000]), None)
    >>> flags.tolist(), seen
    ([False, False, True, False], 12500000)
    """
    if ts_us.size == 0:
        return np.zeros(0, dtype=bool), seen_max_us
    running = np.maximum.accumulate(ts_us)
    if seen_max_us is not None:
        np.maximum(running, seen_max_us, out=running)
    before = np.empty_like(running)
    before[1:] = running[:-1]
    # With nothing seen yet there is no watermark; an event is never late against itself.
    before[0] = ts_us[0] if seen_max_us is None else seen_max_us
    window_end = (np.floor_divide(ts_us, MICROS) + 1) * MICROS
    late = window_end <= before - round(lateness_s * MICROS)
    return late, int(running[-1])
