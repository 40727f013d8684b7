"""A mergeable table of per-key aggregates that stays as small as its distinct keys.

Partial frames (already aggregated per chunk) are appended to a pending list and folded
into the merged frame once the pending rows outnumber the merged ones, so each input row
is re-aggregated a bounded number of times on average and the memory held is at most
about twice the distinct keys plus one batch of pending rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import polars as pl

Op = Literal["sum", "or", "min", "max"]

MIN_COMPACT_ROWS = 1 << 20
"""Pending rows are folded in once they are at least this many (and the merged rows)."""
_OPS: dict[str, Callable[[str], pl.Expr]] = {
    "sum": lambda c: pl.col(c).sum(),
    "or": lambda c: pl.col(c).bitwise_or(),
    "min": lambda c: pl.col(c).min(),
    "max": lambda c: pl.col(c).max(),
}


class Tally:
    """Values per key, combined with a fixed operation per value column.

    >>> t = Tally({"k": pl.String, "n": pl.Int64}, keys=["k"], values={"n": "sum"})
    >>> t.add(pl.DataFrame({"k": ["a", "b"], "n": [1, 2]}))
    >>> t.add(pl.DataFrame({"k": ["a"], "n": [5]}))
    >>> t.frame().sort("k").rows()
    [('a', 6), ('b', 2)]
    """

    def __init__(
        self,
        schema: Mapping[str, pl.DataType | type[pl.DataType]],
        keys: Sequence[str],
        values: Mapping[str, Op],
        min_compact_rows: int = MIN_COMPACT_ROWS,
    ) -> None:
        self.schema = pl.Schema(schema)
        self.keys = list(keys)
        self.values = dict(values)
        self.min_compact_rows = min_compact_rows
        self._merged: pl.DataFrame | None = None
        self._pending: list[pl.DataFrame] = []
        self._pending_rows = 0

    def add(self, part: pl.DataFrame) -> None:
        """Add a partial frame with the key and value columns (keys may repeat)."""
        if part.height == 0:
            return
        self._pending.append(part.select(self.schema.names()).cast(dict(self.schema)))
        self._pending_rows += part.height
        merged_rows = 0 if self._merged is None else self._merged.height
        if self._pending_rows >= max(merged_rows, self.min_compact_rows):
            self._compact()

    def merge(self, other: Tally) -> None:
        """Fold another tally of the same keys and values into this one."""
        if other.keys != self.keys or other.values != self.values:
            msg = f"cannot merge a tally of {other.keys}/{other.values} into one of {self.keys}/{self.values}"
            raise ValueError(msg)
        self.add(other.frame())

    def distinct(self) -> int:
        """How many distinct keys were added (counted without merging)."""
        parts = self._pending if self._merged is None else [self._merged, *self._pending]
        if not parts:
            return 0
        frame = pl.concat(parts)
        if len(self.keys) == 1:
            return frame[self.keys[0]].n_unique()
        return frame.select(pl.struct(self.keys).n_unique()).item()

    def frame(self) -> pl.DataFrame:
        """One row per distinct key with its combined values (unordered)."""
        self._compact()
        if self._merged is None:
            return pl.DataFrame(schema=self.schema)
        return self._merged

    def _compact(self) -> None:
        if not self._pending:
            return
        parts = self._pending if self._merged is None else [self._merged, *self._pending]
        self._merged = _combine(pl.concat(parts), self.keys, self.values).cast(dict(self.schema))
        self._pending, self._pending_rows = [], 0


def _combine(frame: pl.DataFrame, keys: list[str], values: dict[str, Op]) -> pl.DataFrame:
    if not values:
        return frame.unique(keys)
    return frame.group_by(keys).agg([_OPS[op](name) for name, op in values.items()])
