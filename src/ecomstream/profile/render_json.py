"""The profile as JSON text."""

from __future__ import annotations

import orjson


def to_json(profile: dict) -> str:
    """Indented JSON, keys in the profile's order (the contract's report keys first)."""
    return orjson.dumps(profile, option=orjson.OPT_INDENT_2).decode()
