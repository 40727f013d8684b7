"""The micro-batch loop.

Take raw batches from the bus until `max_rows` events or `max_wait_ms` have gone by,
decode and validate them, drop transport duplicates, mark late events, aggregate, and
commit deltas, rejects and source positions in one transaction. Whatever was committed
is counted once; whatever was not is read again after a restart.

Transport duplicates are found by position: every source numbers its records, and a
record whose number is not above the committed position of its source was counted
already. That needs no set of seen ids, so memory stays flat however long the stream.

Late events: the watermark of a stream is the largest event time seen before a record
(in source order) minus the allowed lateness. A record whose 1-second window ends at or
before the watermark is late. It still counts everywhere, in its own window too.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import polars as pl
import psutil

from ecomstream.bus.memory import END
from ecomstream.events.decode import Decoded, decode
from ecomstream.events.raw import RawBatch
from ecomstream.events.validate import Validated, validate
from ecomstream.metrics import aggregate, empty_deltas, quality_counters
from ecomstream.metrics.deltas import Deltas
from ecomstream.processor.known_users import KnownUsers
from ecomstream.processor.latency import LatencyWindow
from ecomstream.processor.prepared import CommitSlot, Prepared
from ecomstream.store.base import Commit, Position, Reject, Store, WorkerFigures

MICROS = 1_000_000


@dataclass(slots=True)
class ProcessorSettings:
    """Knobs of the micro-batch loop."""

    max_rows: int = 500_000
    max_wait_ms: int = 200
    lateness_s: float = 2.0
    stream: str = "main"
    worker: str = "embedded"
    max_coalesced_events: int = 2_000_000
    """Most events merged into one waiting commit while the store is busy."""


@dataclass(slots=True)
class RunStats:
    """What a processor did, for the terminal view and the pipeline figures."""

    started_at: float = field(default_factory=time.time)
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    late: int = 0
    commits: int = 0
    last_commit_at: float | None = None
    watermark_us: int | None = None
    latency: LatencyWindow = field(default_factory=LatencyWindow)
    rates: list[tuple[float, int]] = field(default_factory=list)

    def events_per_s(self, span_s: float = 5.0) -> float:
        """Accepted events per second over the last few seconds of commits."""
        now = time.time()
        recent = [(t, n) for t, n in self.rates if t >= now - span_s]
        if not recent:
            return 0.0
        elapsed = max(now - min(t for t, _ in recent), 1e-3) if len(recent) > 1 else span_s
        return sum(n for _, n in recent) / max(elapsed, 1e-3)


@dataclass(slots=True)
class Part:
    """What one raw batch contributes to a commit (see `Processor._part`)."""

    fresh: Decoded | None
    """Its records above the committed positions, decoded; None when there are none."""
    positions: dict[str, Position]
    """Positions to commit with it."""
    expected: dict[str, int] = field(default_factory=dict)
    """Positions that must be unchanged in the store for the commit to apply."""


class Processor:
    """Consumes a bus into a store, one atomic commit per micro-batch."""

    def __init__(self, store: Store, bus: object, settings: ProcessorSettings | None = None) -> None:
        self.store = store
        self.bus = bus
        self.settings = settings or ProcessorSettings()
        self.stats = RunStats()
        self.positions: dict[str, Position] = store.positions()
        self.stream_max_us: int | None = store.stream_max(self.settings.stream)
        self.stats.watermark_us = self._watermark(self.stream_max_us)
        self._process = psutil.Process(os.getpid())
        self._slot: CommitSlot | None = None
        self._commit_error: BaseException | None = None
        self._committer: threading.Thread | None = None
        self._known_users = KnownUsers()

    def run(self, stop: threading.Event | None = None) -> RunStats:
        """Process until the bus says END (finite sources) or `stop` is set."""
        stop = stop or threading.Event()
        ended = False
        last_figures = 0.0
        try:
            while not ended and not stop.is_set():
                batches, ended = self._collect(stop)
                if batches:
                    self.process(batches, wait=False)
                elif not ended and time.monotonic() - last_figures >= 1.0:
                    self.flush()
                    self._publish_figures(running=True)
                    last_figures = time.monotonic()
        finally:
            self.flush()
        self._publish_figures(running=False)
        return self.stats

    def flush(self) -> None:
        """Wait until every submitted commit is in the store; raise its error if one failed."""
        if self._committer is not None and self._slot is not None:
            self._slot.close()
            self._committer.join()
            self._committer, self._slot = None, None
        if self._commit_error is not None:
            error, self._commit_error = self._commit_error, None
            raise error

    def _submit(self, prepared: Prepared, wait: bool) -> None:
        """Commit in the background so the next micro-batch is prepared meanwhile.

        While the store is busy, the next prepared commits wait in one slot and are merged
        there (deltas add up, later positions win): the batch written grows with the
        backlog, so a full-speed replay writes each key once per large commit instead of
        once per micro-batch, and a live stream still commits every micro-batch at once.
        """
        if self._commit_error is not None:
            self.flush()
        if wait:
            self.flush()
            self.apply(prepared)
            return
        if self._committer is None or self._slot is None:
            self._slot = CommitSlot(self.settings.max_coalesced_events)
            self._committer = threading.Thread(
                target=self._commit_loop, args=(self._slot,), name="ecomstream-commit", daemon=True
            )
            self._committer.start()
        self._slot.put(prepared)

    def _commit_loop(self, slot: CommitSlot) -> None:
        while (taken := slot.take()) is not None:
            prepared, _ = taken
            if self._commit_error is None:
                try:
                    self.apply(prepared)
                except BaseException as err:  # raised again in the processor thread by flush()
                    self._commit_error = err

    def _collect(self, stop: threading.Event) -> tuple[list[RawBatch], bool]:
        settings = self.settings
        first = self.bus.get(timeout=0.25)
        if first is None:
            return [], False
        if first is END:
            return [], True
        batches, rows = [first], first.count
        deadline = time.monotonic() + settings.max_wait_ms / 1000
        while rows < settings.max_rows and not stop.is_set():
            item = self.bus.get(timeout=max(0.0, deadline - time.monotonic()))
            if item is None:
                break
            if item is END:
                return batches, True
            batches.append(item)
            rows += item.count
        return batches, False

    def process(self, batches: list[RawBatch], wait: bool = True) -> None:
        """Validate, aggregate and commit one micro-batch of raw batches.

        With `wait=False` the commit happens in the background (see `flush`)."""
        self._submit(self.prepare(batches), wait)

    def prepare(self, batches: list[RawBatch]) -> Prepared:
        """Validate and aggregate a micro-batch into the commit that `apply` writes.

        Commits must be applied in the order they were prepared: each one moves the
        positions the next one starts from."""
        accepted_parts: list[pl.DataFrame] = []
        rejects: list[Reject] = []
        counters: Counter[str] = Counter()
        positions: dict[str, Position] = {}
        expected: dict[str, int] = {}
        handed: list[tuple[float, int]] = []
        now = time.time()
        for batch in batches:
            part = self._part(batch)
            if part.fresh is not None:
                validated = validate(part.fresh)
                counters += quality_counters(validated)
                accepted_parts.append(validated.accepted)
                rejects.extend(self._rejects(validated, part.fresh.raw, now))
                handed.extend(self._handed(batch, validated.accepted))
            positions.update(part.positions)
            self.positions.update(part.positions)
            expected.update(part.expected)
        accepted = pl.concat(accepted_parts) if accepted_parts else None
        deltas: Deltas | None = None
        if accepted is not None and accepted.height:
            accepted = self._mark_late(accepted)
            deltas = aggregate(accepted)
            deltas.users = self._known_users.unknown(deltas.users)
            deltas.counters += counters
        elif counters:
            deltas = empty_deltas()
            deltas.counters += counters
        streams = {self.settings.stream: self.stream_max_us} if self.stream_max_us is not None else {}
        self._account(deltas, counters, len(rejects))
        figures = self._figures(running=True)
        return Prepared(Commit(deltas, rejects, positions, streams, figures, expected), handed)

    def apply(self, prepared: Prepared) -> None:
        """Write a prepared commit; its events' latency ends now."""
        self.store.commit(prepared.commit)
        if prepared.commit.deltas is not None:
            self._known_users.committed(prepared.commit.deltas.users)
        done = time.time()
        for handed_at, count in prepared.handed:
            self.stats.latency.add(done - handed_at, count, now=done)
        self.stats.commits += 1
        self.stats.last_commit_at = done

    def _part(self, batch: RawBatch) -> Part:
        """What one raw batch adds to the commit: its records not committed yet, and
        the positions it moves. Subclasses for other transports override this."""
        committed = self.positions.get(batch.source, Position(0))
        fresh = self._fresh_part(batch, committed.seq)
        positions = {}
        if batch.count or batch.last_in_source:
            last = max(committed.seq, batch.last_seq)
            positions[batch.source] = Position(last, batch.last_in_source, batch.time_shift_us)
        return Part(fresh, positions)

    def _handed(self, batch: RawBatch, accepted: pl.DataFrame) -> list[tuple[float, int]]:
        """(hand-off time, events) pairs of a batch's accepted events, for the latency figure."""
        return [(batch.handed_at, accepted.height)]

    def _fresh_part(self, batch: RawBatch, committed_seq: int) -> Decoded | None:
        """The decoded records of `batch` numbered above the committed position."""
        if batch.count == 0 or batch.last_seq <= committed_seq:
            self.stats.duplicates += batch.count
            return None
        decoded = decode(batch)
        if batch.first_seq <= committed_seq or batch.seqs is not None:
            keep = decoded.fields["seq"] > committed_seq
            dropped = int((~keep).sum())
            if dropped:
                self.stats.duplicates += dropped
                rows = keep.arg_true()
                raw = decoded.raw
                decoded = Decoded(
                    decoded.fields.filter(keep), lambda i: raw(int(rows[i])), decoded.needs_strip,
                    decoded.time_shift_us, decoded.typed,
                )  # fmt: skip
        return decoded

    def _mark_late(self, accepted: pl.DataFrame) -> pl.DataFrame:
        """Add the `late` column and advance the stream's max event time."""
        lateness_us = round(self.settings.lateness_s * MICROS)
        carried = self.stream_max_us
        running = pl.col("ts_us").cum_max().shift(1)
        if carried is not None:
            running = pl.max_horizontal(running.fill_null(carried), pl.lit(carried))
        before = self._watermark_base(running)
        marked = accepted.with_columns(
            (((pl.col("window") + 1) * MICROS) <= (before - lateness_us)).fill_null(False).alias("late")
        )
        batch_max = int(accepted["ts_us"].max())
        self.stream_max_us = batch_max if carried is None else max(carried, batch_max)
        self.stats.watermark_us = self._watermark(self.stream_max_us)
        return marked

    def _watermark_base(self, running: pl.Expr) -> pl.Expr:
        """Largest event time before each record: here the running max in batch order;
        a transport whose producer stamps it on each record overrides this."""
        return running

    def _watermark(self, max_us: int | None) -> int | None:
        return None if max_us is None else max_us - round(self.settings.lateness_s * MICROS)

    def _rejects(self, validated: Validated, raw, now: float) -> list[Reject]:
        return [
            Reject(source, int(seq), reason, raw(int(row)), now)
            for row, seq, source, reason in validated.rejected.iter_rows()
        ]

    def _account(self, deltas: Deltas | None, counters: Counter[str], rejected: int) -> None:
        stats = self.stats
        accepted = counters["received"] - rejected
        stats.received += counters["received"]
        stats.accepted += accepted
        stats.rejected += rejected
        if deltas is not None:
            stats.late += deltas.counters.get("late_events", 0)
        stats.rates.append((time.time(), accepted))
        cutoff = time.time() - 60
        while stats.rates and stats.rates[0][0] < cutoff:
            stats.rates.pop(0)

    def _figures(self, running: bool, at: float | None = None) -> WorkerFigures:
        stats = self.stats
        at = time.time() if at is None else at
        percentiles = stats.latency.percentiles(now=at)
        p50, p95, p99 = percentiles if percentiles else (None, None, None)
        lag = getattr(self.bus, "held", None)
        return WorkerFigures(
            worker=self.settings.worker,
            started_at=stats.started_at,
            updated_at=at,
            running=running,
            events=stats.accepted,
            events_per_s=stats.events_per_s(),
            latency_p50_ms=p50,
            latency_p95_ms=p95,
            latency_p99_ms=p99,
            lag=lag if isinstance(lag, int) else None,
            rss_bytes=self._process.memory_info().rss,
            watermark_us=stats.watermark_us,
            last_commit_at=stats.last_commit_at,
        )

    def _publish_figures(self, running: bool) -> None:
        self.store.commit(Commit(figures=self._figures(running)))
