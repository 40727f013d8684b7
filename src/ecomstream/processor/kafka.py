"""The processor for Kafka input: what makes a consumer-group worker exact.

Every commit writes, in the same transaction as the deltas:

- `kafka:<topic>:<partition>` = the next offset to read. A worker that gets a partition
  seeks there, so what was committed is never read again and what was not is replayed;
- `kafka:<topic>:<partition>|<source>` = the largest producer `seq` of that source
  committed from that partition. Within a partition a producer's records keep their
  order (the producer is idempotent and keys by user), so a record whose `seq` is not
  above it, or not above an earlier record of the same micro-batch, is a transport
  duplicate: a retried send, or the same file produced again;
- and it asserts that the partitions' offsets are still the ones this worker read
  (`Commit.expected`), so a worker that lost its partitions without noticing (a long
  pause, a broken network) cannot commit a stale batch over the new owner's work.

Late events and the watermark. In embedded mode a record is late when its window ended
at or before the stream's largest earlier accepted event time minus the lateness. With
several partitions and workers "earlier" is lost, so the producer, which reads the
stream in its original order, stamps each message with that largest earlier accepted
event time (`wm`, validated by the same code the worker runs). The worker compares
against the stamp, which gives the same late events as the embedded mode whatever the
partitioning, batching, crashes or replays. A message without a stamp (another
producer) is compared with the worker's own running maximum instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from ecomstream.bus.messages import decode_messages
from ecomstream.events.decode import Decoded
from ecomstream.events.raw import RawBatch
from ecomstream.events.schema import FIELDS
from ecomstream.events.validate import Validated
from ecomstream.processor.loop import Part, Processor, ProcessorSettings
from ecomstream.store.base import Position, Reject, Store, WorkerFigures

NOTHING_BEFORE = -(2**62)
"""Watermark base of a record that no accepted record preceded (null means unstamped)."""


@dataclass(frozen=True, slots=True)
class KafkaBatch(RawBatch):
    """The messages of one poll of one topic, in the order the consumer gave them."""

    topic: str = ""
    partitions: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    timestamps_ms: list[int] = field(default_factory=list)
    """When each message was handed to the producer (Kafka CreateTime)."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected message, for the dead-letter topic."""

    partition: int
    offset: int
    value: bytes
    reason: str
    source: str
    seq: int


def offset_key(topic: str, partition: int) -> str:
    """Position name holding a partition's next offset."""
    return f"kafka:{topic}:{partition}"


def source_key(topic: str, partition: int, source: str) -> str:
    """Position name holding a producer source's last committed `seq` on a partition."""
    return f"{offset_key(topic, partition)}|{source}"


class _Messages:
    """Raw lookup of a decoded poll: what to dead-letter for record `i`."""

    def __init__(self, batch: KafkaBatch, raws: list[bytes], rows: list[int]) -> None:
        self.batch, self.raws, self.rows = batch, raws, rows

    def __call__(self, i: int) -> bytes:
        return self.raws[self.rows[i]]

    def message(self, i: int) -> tuple[int, int, bytes]:
        row = self.rows[i]
        assert self.batch.messages is not None
        return self.batch.partitions[row], self.batch.offsets[row], self.batch.messages[row]


class KafkaProcessor(Processor):
    """`Processor` over Kafka polls: offsets and producer ids as positions, stamped watermarks."""

    def __init__(
        self,
        store: Store,
        topic: str,
        settings: ProcessorSettings | None = None,
        lag: Callable[[], dict[int, int | None]] | None = None,
        dead_letters: Callable[[list[DeadLetter]], None] | None = None,
    ) -> None:
        super().__init__(store, None, settings)
        self.topic = topic
        self._lag = lag
        self._dead_letters = dead_letters

    def reload_positions(self) -> None:
        """Forget what this worker believes and read the committed positions again
        (after a rebalance, or when a commit found them moved)."""
        self.positions = self.store.positions()
        self.stream_max_us = self.store.stream_max(self.settings.stream)

    def next_offset(self, partition: int) -> int | None:
        """The committed next offset of a partition, or None when none is stored."""
        found = self.positions.get(offset_key(self.topic, partition))
        return None if found is None or found.seq <= 0 else found.seq

    def _part(self, batch: RawBatch) -> Part:
        assert isinstance(batch, KafkaBatch) and batch.messages is not None
        topic = self.topic
        decoded = decode_messages(batch.messages)
        partitions = sorted(set(batch.partitions))
        next_offsets = {p: self.positions.get(offset_key(topic, p), Position(0)).seq for p in partitions}
        frame = decoded.frame.with_columns(
            pl.Series("partition", batch.partitions, pl.Int32),
            pl.Series("offset", batch.offsets, pl.Int64),
            pl.Series("handed_ms", batch.timestamps_ms, pl.Int64),
            pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"),
        )
        ends = frame.group_by("partition").agg(pl.col("offset").max() + 1).rows()
        positions = {offset_key(topic, p): Position(max(end, next_offsets[p])) for p, end in ends}
        expected = {offset_key(topic, p): next_offsets[p] for p in partitions}
        new = frame.filter(pl.col("offset") >= pl.col("partition").replace_strict(next_offsets, return_dtype=pl.Int64))
        new, source_positions = self._drop_resent(new)
        positions.update(source_positions)
        self.stats.duplicates += frame.height - new.height
        if new.height == 0:
            return Part(None, positions, expected)
        fields = new.select(
            *FIELDS,
            "pre_reason",
            pl.coalesce("seq", pl.col("offset") + 1).alias("seq"),
            pl.coalesce("source", pl.format("kafka:{}:{}", pl.lit(topic), "partition")).alias("source"),
            # Our messages with no stamp had no accepted record before them: never late.
            pl.when(pl.col("source").is_not_null()).then(pl.col("wm").fill_null(NOTHING_BEFORE)).alias("wm"),
            "shift_us",
            "handed_ms",
        )
        raw = _Messages(batch, decoded.raws, new["_row"].to_list())
        return Part(Decoded(fields, raw, decoded.needs_strip), positions, expected)  # type: ignore[arg-type]

    def _drop_resent(self, new: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Position]]:
        """Drop records whose producer `seq` was committed, or seen earlier in this poll,
        for their source on their partition; the positions that moves."""
        ours = new.filter(pl.col("source").is_not_null())
        if ours.height == 0:
            return new, {}
        pairs = ours.select("partition", "source").unique(maintain_order=True)
        committed = [self.positions.get(source_key(self.topic, p, s), Position(0)).seq for p, s in pairs.iter_rows()]
        pairs = pairs.with_columns(pl.Series("_committed", committed, pl.Int64))
        earlier = pl.col("seq").cum_max().shift(1).over("partition", "source")
        marked = new.join(pairs, on=["partition", "source"], how="left", maintain_order="left").with_columns(
            (pl.col("seq").is_null() | (pl.col("seq") > pl.max_horizontal("_committed", earlier).fill_null(0))).alias(
                "_keep"
            )
        )
        tops = ours.group_by("partition", "source").agg(pl.col("seq").max()).rows()
        positions = {}
        for p, s, top in sorted(tops):
            key = source_key(self.topic, p, s)
            positions[key] = Position(max(top, self.positions.get(key, Position(0)).seq))
        return marked.filter("_keep").drop("_keep", "_committed"), positions

    def _handed(self, batch: RawBatch, accepted: pl.DataFrame) -> list[tuple[float, int]]:
        if accepted.height == 0:
            return []
        counts = accepted.group_by("handed_ms").len().rows()
        return [(ms / 1000, int(n)) for ms, n in counts]

    def _watermark_base(self, running: pl.Expr) -> pl.Expr:
        """The producer's stamp (the source's max event time before the record), so late
        events are the same as in the embedded mode however partitions interleave."""
        return pl.coalesce(pl.col("wm"), running)

    def _rejects(self, validated: Validated, raw, now: float) -> list[Reject]:
        rejects = super()._rejects(validated, raw, now)
        if self._dead_letters is not None and rejects:
            letters = []
            for (row, *_), reject in zip(validated.rejected.iter_rows(), rejects, strict=True):
                partition, offset, value = raw.message(int(row))
                letters.append(DeadLetter(partition, offset, value, reject.reason, reject.source, reject.seq))
            self._dead_letters(letters)
        return rejects

    def _figures(self, running: bool, at: float | None = None) -> WorkerFigures:
        figures = super()._figures(running, at)
        if self._lag is not None:
            per_partition = self._lag()
            figures.lag = sum(n for n in per_partition.values() if n is not None)
            figures.detail = json.dumps(
                {"topic": self.topic, "lag": {str(p): n for p, n in sorted(per_partition.items())}}
            )
        return figures
