"""Numbers as people read them, shared by the terminal and HTML renderers."""

from __future__ import annotations

NONE = "–"


def count(value: int | None) -> str:
    """1234567 -> '1,234,567'."""
    return NONE if value is None else f"{value:,}"


def share(value: float | None, digits: int = 1) -> str:
    """0.1234 -> '12.3 %'."""
    return NONE if value is None else f"{value * 100:.{digits}f} %"


def amount(value: float | None) -> str:
    """1234.5 -> '1,234.50'."""
    return NONE if value is None else f"{value:,.2f}"


def number(value: float | None, digits: int = 2) -> str:
    """A plain figure such as a mean: 3.14159 -> '3.14'."""
    return NONE if value is None else f"{value:,.{digits}f}"


def duration(seconds: float | None) -> str:
    """93784 -> '1 d 2 h', 3723 -> '01:02:03'."""
    if seconds is None:
        return NONE
    whole = int(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days:,} d {hours} h" if days else f"{hours:02d}:{minutes:02d}:{secs:02d}"


def plain(item: object) -> str:
    """A data value (an id, a price, a text) as is; None as a dash, floats with 2 decimals."""
    if item is None:
        return NONE
    return number(item) if isinstance(item, float) else str(item)


def value(item: object) -> str:
    """Any profile value as text (None as a dash)."""
    if item is None:
        return NONE
    if isinstance(item, bool):
        return "yes" if item else "no"
    if isinstance(item, float):
        return number(item)
    if isinstance(item, int):
        return count(item)
    return str(item)
