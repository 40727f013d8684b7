"""Session figures from the (user_session, user_id, type) tally: funnel, abandonment, users.

A session seen with two users is one session (counted once, its events and types
merged); rows without a session count for their user but for no session.
"""

from __future__ import annotations

import polars as pl

from ecomstream.events.schema import EVENT_TYPES
from ecomstream.profile.stats import buckets, ratio, weighted_summary

_BIT = {name: 1 << code for code, name in enumerate(EVENT_TYPES)}
EVENTS_PER_SESSION_BUCKETS = (1, 2, 3, 4, 5, 6, 11, 21, 51, 101)
SESSIONS_PER_USER_BUCKETS = (1, 2, 3, 4, 5, 6, 11, 21)


def session_figures(tally: pl.DataFrame) -> dict:
    """Contract figures (sessions, funnel, cart_abandonment, unique_users) and `stats`."""
    codes = list(range(len(EVENT_TYPES)))
    bit = pl.col("type").replace_strict(codes, [1 << code for code in codes], return_dtype=pl.UInt8)
    sessions = (
        tally.filter(pl.col("user_session").is_not_null())
        .group_by("user_session")
        .agg(
            pl.col("n").sum().cast(pl.Int64).alias("events"),
            bit.bitwise_or().alias("types"),
            pl.col("user_id").n_unique().alias("users"),
        )
    )

    def having(name: str) -> pl.Expr:
        return (pl.col("types") & _BIT[name]) != 0

    counts = [having(name).sum().alias(name) for name in ("view", "cart", "purchase")]
    abandoned = (having("cart") & ~having("purchase")).sum().alias("abandoned")
    with_view, with_cart, with_purchase, carts_left = (int(v) for v in sessions.select(*counts, abandoned).row(0))
    per_user = tally.group_by("user_id").agg(pl.col("user_session").drop_nulls().n_unique().alias("sessions"))
    events_per_session = sessions.group_by("events").agg(pl.len().alias("n"))
    sessions_per_user = per_user.filter(pl.col("sessions") > 0).group_by("sessions").agg(pl.len().alias("n"))
    return {
        "sessions": sessions.height,
        "funnel": {
            "sessions_with_view": with_view,
            "sessions_with_cart": with_cart,
            "sessions_with_purchase": with_purchase,
        },
        "cart_abandonment": ratio(carts_left, with_cart),
        "unique_users": per_user.height,
        "stats": {
            "session_shares": {
                "with_view": ratio(with_view, sessions.height),
                "with_cart": ratio(with_cart, sessions.height),
                "with_purchase": ratio(with_purchase, sessions.height),
            },
            "events_per_session": weighted_summary(events_per_session, "events", "n")
            | {"histogram": buckets(sessions["events"], EVENTS_PER_SESSION_BUCKETS)},
            "sessions_per_user": weighted_summary(sessions_per_user, "sessions", "n")
            | {"histogram": buckets(per_user["sessions"], (0, *SESSIONS_PER_USER_BUCKETS))},
            "events_without_session": int(tally.filter(pl.col("user_session").is_null())["n"].sum()),
            "sessions_with_several_users": int(sessions.filter(pl.col("users") > 1).height),
        },
    }
