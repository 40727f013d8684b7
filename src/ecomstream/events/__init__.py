"""The event schema of ../shared/METRICS.md: decoding raw records and validating them."""

from ecomstream.events.schema import EVENT_TYPES, FIELDS, REASONS

__all__ = ["EVENT_TYPES", "FIELDS", "REASONS"]
