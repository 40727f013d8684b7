"""End-to-end latency over a sliding minute: from hand-off to the bus to the commit."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np


class LatencyWindow:
    """Latencies of committed events, weighted by event count, over the last `span_s`."""

    def __init__(self, span_s: float = 60.0) -> None:
        self.span_s = span_s
        self._samples: deque[tuple[float, float, int]] = deque()
        self._lock = threading.Lock()  # a worker may commit in another thread than it reports

    def add(self, latency_s: float, count: int, now: float | None = None) -> None:
        if count <= 0:
            return
        with self._lock:
            self._samples.append((time.time() if now is None else now, max(latency_s, 0.0), count))

    def percentiles(self, now: float | None = None) -> tuple[float, float, float] | None:
        """p50, p95, p99 in milliseconds, or None when nothing was committed lately."""
        now = time.time() if now is None else now
        with self._lock:
            while self._samples and self._samples[0][0] < now - self.span_s:
                self._samples.popleft()
            samples = list(self._samples)
        if not samples:
            return None
        latencies = np.array([s[1] for s in samples])
        weights = np.array([s[2] for s in samples], dtype=np.float64)
        order = np.argsort(latencies)
        cumulative = np.cumsum(weights[order]) / weights.sum()
        picks = np.searchsorted(cumulative, [0.50, 0.95, 0.99])
        picks = np.minimum(picks, len(order) - 1)
        p50, p95, p99 = (float(latencies[order][i]) * 1000 for i in picks)
        return p50, p95, p99
