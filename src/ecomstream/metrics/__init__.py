"""The metric set of ../shared/METRICS.md as mergeable aggregates."""

from ecomstream.metrics.aggregate import aggregate, empty_deltas, quality_counters
from ecomstream.metrics.deltas import FLAG, Deltas

__all__ = ["FLAG", "Deltas", "aggregate", "empty_deltas", "quality_counters"]
