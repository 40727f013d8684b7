"""Session blocks: a fixed number of sessions, vectorised, from RNGs seeded per block.

Block `j` holds `SESSIONS_PER_BLOCK` sessions whose start times are spread over the
time window `[t0 + j*W, t0 + (j+1)*W)`. Its *timing* (session shapes, start times, event
times) comes from one RNG and its *content* (products, order of event types, users,
session ids) from another, so counting events per window needs the timing only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from ecomstream.events.schema import TYPE_CODE
from ecomstream.sources.catalogue import Catalogue
from ecomstream.sources.profile import GeneratorProfile

SESSIONS_PER_BLOCK = 16_384
REFERENCE_RATE = 200.0
"""Above this many events/s, within-session gaps and return lags shrink in proportion,
so that the number of open sessions (and the memory they need) stays bounded."""
USER_ID_BASE = 500_000_000
"""Synthetic user ids start here (the real ones are 9-digit, around 5.1e8-5.7e8)."""
_BLOCK_BIAS = 1 << 32
"""Added to block indexes (which start below zero) before seeding."""
_TIMING, _CONTENT = 0, 1
_VIEW, _CART, _REMOVE, _PURCHASE = (TYPE_CODE[t] for t in ("view", "cart", "remove_from_cart", "purchase"))


@dataclass(frozen=True)
class Plan:
    """Geometry of the stream: window width, how far sessions and returns reach back."""

    seed: int
    start_us: int
    width_us: int
    time_scale: float
    reach: int
    """Session block `j` has events in windows `j .. j + reach`."""
    new_per_block: int
    user_reach: int
    """Returning users come from blocks down to `-user_reach`."""

    @classmethod
    def make(cls, seed: int, start_us: int, rate: float, profile: GeneratorProfile) -> Plan:
        scale = min(1.0, REFERENCE_RATE / rate)
        width = max(1, round(SESSIONS_PER_BLOCK * profile.mean_session_length * 1e6 / rate))
        reach = max(1, math.ceil(profile.max_session_s * scale * 1e6 / width))
        user_reach = reach + math.ceil(profile.long_lag_s[1] * scale * 1e6 / width) + 2
        new = max(1, round(SESSIONS_PER_BLOCK * profile.new_share))
        return cls(seed, start_us, width, scale, reach, new, user_reach)

    def window_start(self, j: int) -> int:
        return self.start_us + j * self.width_us

    def rng(self, j: int, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, stream, j + _BLOCK_BIAS])


@dataclass(frozen=True, eq=False)
class Timing:
    """Shapes and event times of one session block, events grouped by session."""

    views: np.ndarray
    carts: np.ndarray
    removes: np.ndarray
    purchases: np.ndarray
    first: np.ndarray
    """Index of each session's first event."""
    session: np.ndarray
    """Session of each event (int32)."""
    times: np.ndarray
    """Event times in epoch microseconds, non-decreasing within a session."""
    starts: np.ndarray

    def window_counts(self, plan: Plan, j: int) -> np.ndarray:
        """Events of this block per window `j .. j + plan.reach`."""
        window = (self.times - plan.window_start(j)) // plan.width_us
        return np.bincount(window, minlength=plan.reach + 1)[: plan.reach + 1]


def make_timing(plan: Plan, profile: GeneratorProfile, j: int) -> Timing:
    rng = plan.rng(j, _TIMING)
    n = SESSIONS_PER_BLOCK
    shape = np.searchsorted(np.cumsum(profile.shape_weights), rng.random(n), side="right")
    shapes = profile.shapes[np.minimum(shape, len(profile.shapes) - 1)]
    views, carts, purchases = (shapes[:, i].astype(np.int64) for i in range(3))
    removes = rng.binomial(carts, profile.remove_share_of_carts)
    length = views + carts + removes + purchases
    first = np.cumsum(length) - length
    session = np.repeat(np.arange(n, dtype=np.int32), length)
    starts = plan.window_start(j) + np.sort(rng.integers(0, plan.width_us, n))
    gaps = np.interp(rng.random(int(length.sum())), profile.gap_probs, profile.gap_quantiles_s)
    gaps *= 1e6 * plan.time_scale
    gaps[first] = 0.0
    offsets = np.cumsum(gaps)
    offsets -= np.repeat(offsets[first], length)
    duration = offsets[first + length - 1]
    limit = profile.max_session_s * 1e6 * plan.time_scale
    squeeze = np.minimum(1.0, limit / np.maximum(duration, 1.0))
    times = np.repeat(starts, length) + (offsets * squeeze[session]).astype(np.int64)
    return Timing(views, carts, removes, purchases, first, session, times, starts)


@dataclass(frozen=True, eq=False)
class Content:
    """The events of one session block, sorted by time."""

    times: np.ndarray
    types: np.ndarray
    products: np.ndarray
    users: np.ndarray
    session: np.ndarray
    session_ids: pl.Series
    """One UUID-like text per session of the block."""


def make_content(plan: Plan, profile: GeneratorProfile, catalogue: Catalogue, j: int, timing: Timing) -> Content:
    rng = plan.rng(j, _CONTENT)
    t = timing
    n_events = len(t.times)
    length = t.views + t.carts + t.removes + t.purchases
    pos = np.arange(n_events) - np.repeat(t.first, length)
    s = t.session
    bounds = [t.views[s], (t.views + t.carts)[s], (t.views + t.carts + t.removes)[s]]
    kind = np.select([pos < bounds[0], pos < bounds[1], pos < bounds[2]], [_VIEW, _CART, _REMOVE], _PURCHASE)
    kind = kind.astype(np.int8)
    product = np.zeros(n_events, np.int32)
    key = np.zeros(n_events)

    is_view = kind == _VIEW
    view_products = _view_products(rng, profile, catalogue, t)
    product[is_view] = view_products
    key[is_view] = pos[is_view] / t.views[s[is_view]]

    view_first = np.cumsum(t.views) - t.views
    is_cart = kind == _CART
    cw = np.cumsum(catalogue.cart_propensity[view_products])
    cart_view = _weighted_view(rng, cw, view_first[s[is_cart]], t.views[s[is_cart]])
    cart_at = np.flatnonzero(is_view)[cart_view]
    product[is_cart] = product[cart_at]
    key[is_cart] = key[cart_at] + (1 - key[cart_at]) * rng.random(len(cart_at)) ** 2

    cart_events = np.flatnonzero(is_cart)
    cart_first = np.cumsum(t.carts) - t.carts
    is_remove = kind == _REMOVE
    sr = s[is_remove]
    removed = cart_events[cart_first[sr] + (rng.random(len(sr)) * t.carts[sr]).astype(np.int64)]
    product[is_remove] = product[removed]
    key[is_remove] = key[removed] + (1 - key[removed]) * rng.random(len(sr))

    is_purchase = kind == _PURCHASE
    sp = s[is_purchase]
    from_cart = (t.carts[sp] > 0) & (rng.random(len(sp)) < profile.purchase_from_cart)
    pick = cart_first[sp] + (rng.random(len(sp)) * t.carts[sp]).astype(np.int64)
    some_cart = cart_events[np.where(from_cart, pick, 0)] if len(cart_events) else np.zeros(len(sp), np.int64)
    pw = np.cumsum(catalogue.purchase_propensity[view_products])
    some_view = np.flatnonzero(is_view)[_weighted_view(rng, pw, view_first[sp], t.views[sp])]
    source = np.where(from_cart, some_cart, some_view)
    product[is_purchase] = product[source]
    key[is_purchase] = key[source] + (1 - key[source]) * np.sqrt(rng.random(len(sp)))

    # Views are in order already; only sessions with other events need sorting by key.
    mixed = np.flatnonzero((length - t.views)[s] > 0)
    order = np.arange(n_events)
    order[mixed] = mixed[np.lexsort((key[mixed], s[mixed]))]
    kind, product = kind[order], product[order]
    users = _users(rng, plan, profile, j, t.starts)
    by_time = np.argsort(t.times, kind="stable")
    return Content(
        times=t.times[by_time],
        types=kind[by_time],
        products=product[by_time],
        users=users[s[by_time]],
        session=s[by_time],
        session_ids=_session_ids(rng, SESSIONS_PER_BLOCK),
    )


def _view_products(rng: np.random.Generator, profile: GeneratorProfile, catalogue: Catalogue, t: Timing) -> np.ndarray:
    """Products of the views: browsing within a category, switching now and then, and
    going back to products seen before. Sessions that will cart or buy start (and switch)
    where carts or purchases are common."""
    n = int(t.views.sum())
    view_first = np.cumsum(t.views) - t.views
    session = np.repeat(np.arange(len(t.views)), t.views)
    k = np.arange(n) - view_first[session]
    switch = (k == 0) | (rng.random(n) >= profile.category_stay)
    segment = np.cumsum(switch) - 1
    products = np.empty(n, np.int32)
    intent = np.where(t.carts > 0, 1, np.where(t.purchases > 0, 2, 0))[session]
    for which in range(3):
        starts = switch & (intent == which)
        products[starts] = catalogue.pick(rng.random(int(starts.sum())), which)
    category = catalogue.category[products[switch]]
    stay = ~switch
    products[stay] = catalogue.pick_in(category[segment[stay]], rng.random(int(stay.sum())))
    repeat = (k > 0) & (rng.random(n) < profile.repeat_view)
    ref = np.arange(n)
    ref[repeat] = view_first[session[repeat]] + (rng.random(int(repeat.sum())) * k[repeat]).astype(np.int64)
    while True:
        nxt = ref[ref]
        if np.array_equal(nxt, ref):
            break
        ref = nxt
    return products[ref]


def _weighted_view(rng: np.random.Generator, cw: np.ndarray, first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """For each request, a view index in `[first, first + count)`, by weight (cumulative `cw`)."""
    lo = np.where(first > 0, cw[np.maximum(first - 1, 0)], 0.0)
    hi = cw[first + count - 1]
    idx = np.searchsorted(cw, lo + rng.random(len(first)) * (hi - lo), side="right")
    return np.clip(idx, first, first + count - 1)


def _users(rng: np.random.Generator, plan: Plan, profile: GeneratorProfile, j: int, starts: np.ndarray) -> np.ndarray:
    """User ids: `new_per_block` first visits per block, the rest return to earlier users.

    New users of block `j` take slots `0..M-1` in start-time order. A return after lag
    `d` goes to the slot that was new around `start - d`, so lags keep their meaning.
    """
    n, m = len(starts), plan.new_per_block
    is_new = np.zeros(n, bool)
    is_new[rng.permutation(n)[:m]] = True
    short = rng.random(n) < profile.short_weight
    lag_short = np.interp(
        rng.random(n), np.linspace(0, 1, len(profile.short_lag_quantiles_s)), profile.short_lag_quantiles_s
    )
    lo, hi = np.log(profile.long_lag_s[0]), np.log(profile.long_lag_s[1])
    lag_long = np.exp(lo + rng.random(n) * (hi - lo))
    lag_us = np.where(short, lag_short, lag_long) * 1e6 * plan.time_scale
    moment = starts - lag_us.astype(np.int64) - plan.start_us
    block = np.maximum(moment // plan.width_us, -plan.user_reach)
    within = (moment - block * plan.width_us) / plan.width_us
    slot = np.clip((within * m).astype(np.int64), 0, m - 1)
    block[is_new] = j
    slot[is_new] = np.cumsum(is_new)[is_new] - 1
    return USER_ID_BASE + (block + plan.user_reach) * m + slot


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DASHES = (8, 12, 16, 20)


def _session_ids(rng: np.random.Generator, n: int) -> pl.Series:
    """UUID-like (version 4 layout) texts from the RNG, not from the OS."""
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.empty((n, 32), np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 0x0F]
    text = np.insert(digits, _DASHES, ord("-"), axis=1)
    return pl.Series("user_session", np.ascontiguousarray(text).view("S36").ravel()).cast(pl.String)
