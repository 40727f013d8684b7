"""A realistic, reproducible clickstream generator calibrated on the REES46 samples.

The stream is a pure function of `(seed, start_us, events_per_second, profile)`. Time is
cut into windows of `W` microseconds (about 69k events each). Session block `j`: 16,384
sessions starting in window `j`, generated vectorised from RNGs seeded with
`(seed, stream, j)`. Its events reach at most `max_session_s` ahead, so window `b` is the
time-sorted merge of the events of blocks `b - reach .. b` that fall into it; blocks
before the start exist too, so the stream starts in steady state. Event `i` of the
stream therefore does not depend on how it is read: `take(100); take(200)` equals
`take(300)`, and `skip(k)` needs only the block *timing* (shapes and gaps) to count
events per window, not products or users.

Model, per session: a shape (views, carts, purchases) drawn from the real joint
distribution, plus `remove_from_cart` events for about a third of carts (REES46 has none;
the cosmetics shop of the same family has them; the share is a profile setting); gaps
between events from the real quantiles; views pick among the top products and a
synthetic long tail, keep to the category of the view before or switch, and go back to
products seen before, as often as in the data; carts, removes and purchases refer to
products the session viewed (or carted), weighted by each product's real cart or
purchase propensity, and come after them. Users: about 27 % of sessions are a user's
first (the published 2019-Nov sessions per user); the others return after a lag drawn
from the lags seen in the slices or, for the rest, log-uniform over 6 h - 30 d. Above 200
events/s gaps and lags shrink in proportion, so the open sessions stay bounded.

The profile, `generator_profile.json` next to this module, holds only aggregates: the
real figures (event mix, funnel, session lengths, missing shares, prices, ...) under
`targets`, the session shape counts, gap and lag quantiles, behaviour rates, the
category and brand names, the 2,000 most viewed products (id, category, brand, price,
views, cart and purchase propensity) and 3,000 (category, brand) groups standing for the
other products (count, views, mean price and log-price spread, propensities); no event
rows. Regenerate it from the sample files with
`python scripts/calibrate_generator.py ../shared/data` (about 30 s).
"""

from __future__ import annotations

import functools
import math
import weakref

import numpy as np
import polars as pl

from ecomstream.events.schema import EVENT_TYPES, FIELDS
from ecomstream.sources.catalogue import Catalogue, build_catalogue
from ecomstream.sources.profile import GeneratorProfile, load_profile
from ecomstream.sources.sessions import Content, Plan, Timing, make_content, make_timing

__all__ = ["DEFAULT_START_US", "EventGenerator", "GeneratorProfile", "load_profile"]

DEFAULT_START_US = 1_572_566_400_000_000
"""2019-11-01 00:00:00 UTC, where the calibration data starts."""
_TYPE_TEXT = pl.Series("event_type", EVENT_TYPES, dtype=pl.String)
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
_catalogues: weakref.WeakKeyDictionary[GeneratorProfile, Catalogue] = weakref.WeakKeyDictionary()


@functools.cache
def _default_profile() -> GeneratorProfile:
    return load_profile()


def _catalogue(profile: GeneratorProfile) -> Catalogue:
    if profile not in _catalogues:
        _catalogues[profile] = build_catalogue(profile)
    return _catalogues[profile]


class EventGenerator:
    """An endless stream of events in canonical CSV text, read in any chunks."""

    def __init__(
        self,
        seed: int = 0,
        start_us: int | None = None,
        events_per_second: float = 50.0,
        profile: GeneratorProfile | None = None,
    ) -> None:
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
        if not math.isfinite(events_per_second) or events_per_second <= 0:
            raise ValueError(f"events_per_second must be positive, not {events_per_second!r}")
        self._profile = profile if profile is not None else _default_profile()
        self._catalogue = _catalogue(self._profile)
        start = DEFAULT_START_US if start_us is None else int(start_us)
        self._plan = Plan.make(seed, start, events_per_second, self._profile)
        self._position = 0
        self._window = 0
        self._window_first = 0
        self._timings: dict[int, Timing] = {}
        self._counts: dict[int, np.ndarray] = {}
        self._contents: dict[int, Content] = {}
        self._frame: tuple[int, pl.DataFrame] | None = None

    @property
    def position(self) -> int:
        """Events produced (or skipped) so far."""
        return self._position

    def take(self, n: int) -> pl.DataFrame:
        """The next `n` events: the nine schema columns, all strings."""
        if n < 0:
            raise ValueError("n must be >= 0")
        pieces = []
        while n > 0:
            self._advance()
            frame = self._window_frame()
            offset = self._position - self._window_first
            m = min(n, frame.height - offset)
            pieces.append(frame.slice(offset, m))
            self._position += m
            n -= m
        if not pieces:
            return pl.DataFrame(schema=dict.fromkeys(FIELDS, pl.String))
        return pieces[0] if len(pieces) == 1 else pl.concat(pieces)

    def skip(self, n: int) -> None:
        """Advance past `n` events without producing them."""
        if n < 0:
            raise ValueError("n must be >= 0")
        self._position += n
        self._advance()

    # -- windows -------------------------------------------------------------------

    def _blocks(self, window: int) -> range:
        """Session blocks with events in `window`."""
        return range(max(window - self._plan.reach, -self._plan.reach), window + 1)

    def _window_count(self, window: int) -> int:
        return sum(int(self._block_counts(j)[window - j]) for j in self._blocks(window))

    def _advance(self) -> None:
        """Move to the window that holds the event at `position`; drop what is behind."""
        moved = False
        while True:
            count = self._window_count(self._window)
            if self._position < self._window_first + count:
                break
            self._window_first += count
            self._window += 1
            moved = True
        if moved:
            oldest = self._window - self._plan.reach
            for cache in (self._timings, self._counts, self._contents):
                for j in [j for j in cache if j < oldest]:
                    del cache[j]

    def _timing(self, j: int) -> Timing:
        if j not in self._timings:
            self._timings[j] = make_timing(self._plan, self._profile, j)
        return self._timings[j]

    def _block_counts(self, j: int) -> np.ndarray:
        if j not in self._counts:
            self._counts[j] = self._timing(j).window_counts(self._plan, j)
        return self._counts[j]

    def _content(self, j: int) -> Content:
        if j not in self._contents:
            self._block_counts(j)
            timing = self._timings.pop(j, None) or make_timing(self._plan, self._profile, j)
            self._contents[j] = make_content(self._plan, self._profile, self._catalogue, j, timing)
        return self._contents[j]

    def _window_frame(self) -> pl.DataFrame:
        """All events of the current window, formatted (kept until the window changes)."""
        if self._frame is not None and self._frame[0] == self._window:
            return self._frame[1]
        lo_us = self._plan.window_start(self._window)
        hi_us = lo_us + self._plan.width_us
        parts: list[tuple[np.ndarray, ...]] = []
        sessions: list[pl.Series] = []
        for j in self._blocks(self._window):
            c = self._content(j)
            lo, hi = np.searchsorted(c.times, [lo_us, hi_us])
            parts.append((c.times[lo:hi], c.types[lo:hi], c.products[lo:hi], c.users[lo:hi]))
            sessions.append(c.session_ids.gather(c.session[lo:hi]))
        times, types, products, users = (np.concatenate(column) for column in zip(*parts, strict=True))
        if len(times) != self._window_count(self._window):
            raise RuntimeError(f"window {self._window}: timing and content disagree")
        order = np.argsort(times, kind="stable")
        session_text = pl.concat(sessions).gather(order)
        frame = _format(self._catalogue, times[order], types[order], products[order], users[order], session_text)
        self._frame = (self._window, frame)
        return frame


def _format(
    catalogue: Catalogue,
    times: np.ndarray,
    types: np.ndarray,
    products: np.ndarray,
    users: np.ndarray,
    sessions: pl.Series,
) -> pl.DataFrame:
    """Canonical text of the events: each distinct second is formatted once."""
    seconds = times // 1_000_000
    new_second = np.ones(len(seconds), bool)
    new_second[1:] = seconds[1:] != seconds[:-1]
    distinct = pl.Series(seconds[new_second] * 1_000_000).cast(pl.Datetime("us", "UTC"))
    time_text = distinct.dt.strftime(_TIME_FORMAT).gather(np.cumsum(new_second) - 1)
    text = catalogue.text
    columns = {
        "event_time": time_text,
        "event_type": _TYPE_TEXT.gather(types),
        "product_id": text["product_id"].gather(products),
        "category_id": text["category_id"].gather(products),
        "category_code": text["category_code"].gather(products),
        "brand": text["brand"].gather(products),
        "price": text["price"].gather(products),
        "user_id": pl.Series(users).cast(pl.String),
        "user_session": sessions,
    }
    return pl.DataFrame([series.alias(name) for name, series in columns.items()])
