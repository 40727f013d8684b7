"""Query parameters of the API: known names only, each given once, validated with clear messages."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import QueryParams

from ecomstream.errors import ConfigError
from ecomstream.report.filters import Filters, make_filters, parse_time


class ParameterError(ConfigError):
    """A query parameter is unknown, repeated or invalid (answered with 400)."""


def checked(params: QueryParams, allowed: Iterable[str]) -> dict[str, str]:
    """The parameters as a dict, refusing unknown or repeated names (`token` is the gate's)."""
    allowed = {*allowed, "token"}
    found: dict[str, str] = {}
    for name, value in params.multi_items():
        if name not in allowed:
            names = ", ".join(sorted(allowed - {"token"})) or "none"
            msg = f"unknown parameter {name[:40]!r}; this endpoint takes: {names}"
            raise ParameterError(msg)
        if name in found:
            msg = f"parameter {name!r} is given twice; give it once"
            raise ParameterError(msg)
        found[name] = value
    found.pop("token", None)
    return found


def filters_of(found: dict[str, str]) -> Filters:
    """Filters from `since`, `until` (ISO 8601 or epoch s), `brand`, `category`."""
    return make_filters(
        parse_time(found.get("since"), "since"),
        parse_time(found.get("until"), "until"),
        found.get("brand"),
        found.get("category"),
    )


def limit_of(found: dict[str, str], default: int | None, most: int) -> int | None:
    """`limit` as an integer in [1, most], or `default` when absent."""
    text = found.get("limit")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        msg = f"bad limit {text[:20]!r}: give a whole number from 1 to {most}"
        raise ParameterError(msg)
    return int(text)
