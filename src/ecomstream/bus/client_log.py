"""librdkafka's own log lines, routed through Python logging with repeats folded.

A client that cannot reach its broker logs the same connection failure several times a
second, for as long as the broker is away: a worker waiting out a broker restart would
fill the terminal (1,241 lines in 30 s, measured). Every client ecomstream makes logs to
`CLIENT_LOG`, where each distinct line is shown once, then at most once a minute with
the number of times it came in between.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

CLIENT_LOG = logging.getLogger("ecomstream.kafka.client")
"""The logger given to librdkafka (`logger` client setting) by `bus.config.client_settings`."""


class RepeatFilter(logging.Filter):
    """Lets a message through once per `every_s` seconds, saying how often it was held back."""

    def __init__(self, every_s: float = 60.0, clock: Callable[[], float] = time.monotonic, keep: int = 1024) -> None:
        super().__init__()
        self.every_s, self.clock, self.keep = every_s, clock, keep
        self._seen: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        text, now = record.getMessage(), self.clock()
        with self._lock:
            shown_at, held = self._seen.get(text, (None, 0))
            if shown_at is not None and now - shown_at < self.every_s:
                self._seen[text] = (shown_at, held + 1)
                return False
            if len(self._seen) >= self.keep:
                self._seen.clear()
            self._seen[text] = (now, 0)
        if held:
            record.msg, record.args = f"{text} ({held} more times in the last {self.every_s:.0f} s)", ()
        return True


CLIENT_LOG.addFilter(RepeatFilter())
