"""Filters shared by the dashboard, the JSON API and `report`: a time range, a brand, a category.

Time bounds are whole UTC minutes, the grain of the store's `cube` table (counts per
minute x brand x category), so that a time range gives the same exact numbers whether a
panel reads the per-second windows or the cube. A bound given inside a minute is moved
down to the start of that minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ecomstream.errors import ConfigError
from ecomstream.metrics.deltas import CUBE_SECONDS

MAX_DIMENSION_TEXT = 200
"""Longest brand or category accepted in a filter."""


class FilterError(ConfigError):
    """A filter value is invalid (bad time, empty range, over-long name)."""


def parse_time(text: str | None, name: str = "time") -> int | None:
    """Epoch seconds from ISO 8601 (`Z` or an offset; naive means UTC) or from epoch seconds."""
    if text is None or text == "":
        return None
    text = text.strip()
    if text.lstrip("-").isdigit() and len(text) <= 12:
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace(" UTC", "+00:00").replace("Z", "+00:00"))
    except ValueError as err:
        msg = f"bad {name} {text[:40]!r}: use ISO 8601 such as 2019-10-01T00:00:00Z, or epoch seconds"
        raise FilterError(msg) from err
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def minute_floor(epoch_s: int) -> int:
    """The start of the UTC minute holding `epoch_s`."""
    return epoch_s // CUBE_SECONDS * CUBE_SECONDS


def iso(epoch_s: int | None) -> str | None:
    return None if epoch_s is None else datetime.fromtimestamp(epoch_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Filters:
    """Which events a panel counts: window start in [since, until), one brand, one category.

    `None` means no bound / any value. Build with `make_filters`, which validates.
    """

    since: int | None = None
    until: int | None = None
    brand: str | None = None
    category: str | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.since, self.until, self.brand, self.category))

    @property
    def by_dimension(self) -> bool:
        """True when a brand or category is chosen: counts then come from the cube."""
        return self.brand is not None or self.category is not None

    def describe(self) -> dict[str, Any]:
        """The filter as it appears in a filtered report."""
        return {"since": iso(self.since), "until": iso(self.until), "brand": self.brand, "category": self.category}


def _dimension(value: str | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > MAX_DIMENSION_TEXT:
        msg = f"{name} is {len(value)} characters long; at most {MAX_DIMENSION_TEXT} are accepted"
        raise FilterError(msg)
    return value


def make_filters(
    since: int | None = None, until: int | None = None, brand: str | None = None, category: str | None = None
) -> Filters:
    """Validated filters with time bounds moved down to whole minutes.

    >>> make_filters(since=90, until=200)
    Filters(since=60, until=180, brand=None, category=None)
    """
    since = None if since is None else minute_floor(since)
    until = None if until is None else minute_floor(until)
    if since is not None and until is not None and since >= until:
        msg = (
            f"empty time range: since {iso(since)} is not before until {iso(until)} "
            "(bounds are rounded down to whole minutes)"
        )
        raise FilterError(msg)
    return Filters(since, until, _dimension(brand, "brand"), _dimension(category, "category"))
