"""A consumer-group worker: Kafka partitions in, one store transaction per poll out.

Offsets live in the store, not in Kafka: on assignment the worker seeks every partition
to the next offset committed in the store (the beginning when there is none), and each
commit writes the new offsets with the deltas. A poll is committed in the background
while the next one is prepared; at a revocation the worker first waits for its commits,
so everything it read is committed before the partitions move (messages of a partition
revoked during a poll are left to the new owner). Offsets are also committed to Kafka,
asynchronously, for lag tools only.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from ecomstream.bus.config import consumer_settings
from ecomstream.bus.kafka import DeadLetters, ensure_topic
from ecomstream.errors import BusError, EcomstreamError, StaleCommit
from ecomstream.processor.committer import Committer
from ecomstream.processor.kafka import KafkaBatch, KafkaProcessor, offset_key
from ecomstream.processor.loop import ProcessorSettings, RunStats
from ecomstream.processor.prepared import Prepared
from ecomstream.store.base import Store

log = logging.getLogger(__name__)

POLL_MESSAGES = 50_000
"""Most messages per batch handed to the processor. Measured with a 1.25 M-event backlog:
50,000 gave 110-118 k events/s, 250,000 gave 94 k: smaller batches keep decoding and
the PostgreSQL commit overlapping, and the committer merges them while the store is busy."""
GC_YOUNG_THRESHOLD = 100_000
"""Allocations between two collections of the youngest generation while a worker runs
(Python's default is 700). Each poll creates tens of thousands of message objects that
live until the poll is decoded; with the default, the collector ran dozens of times per
poll and took 40 % of the consuming thread (py-spy --native: `gc_collect_main` under
`Message_traverse`). Messages hold no reference cycles, so nothing waits longer to be freed."""


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """What a worker reads and how it behaves."""

    topic: str
    group: str = "ecomstream"
    dlq_topic: str | None = None
    """Dead-letter topic; `<topic>.dlq` when not given."""
    exit_when_idle_s: float | None = None
    """Stop once the whole topic is committed and nothing arrived for this long."""
    session_timeout_ms: int | None = None
    figures_every_s: float = 1.0

    @property
    def dead_letter_topic(self) -> str:
        return self.dlq_topic or f"{self.topic}.dlq"


class KafkaWorker:
    """Consumes a topic in a consumer group into a store."""

    def __init__(
        self,
        store: Store,
        client: dict[str, Any],
        settings: WorkerSettings,
        processor_settings: ProcessorSettings | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.settings = settings
        self.processor_settings = processor_settings or ProcessorSettings(worker=default_worker_name())
        self.dead_letters = DeadLetters(client, settings.topic, settings.dead_letter_topic)
        self.processor = KafkaProcessor(
            store, settings.topic, self.processor_settings, lag=lambda: self._lag, dead_letters=self.dead_letters
        )
        self.consumer = Consumer(
            {**consumer_settings(client, settings.group, settings.session_timeout_ms), "error_cb": self._on_error}
        )
        self.committer: Committer[KafkaBatch] = Committer(
            lambda batch: self.processor.prepare([batch]),
            self.processor.apply,
            after=self._after_commit,
            max_events=self.processor_settings.max_coalesced_events,
        )
        self._lag: dict[int, int | None] = {}
        self._to_mirror: dict[int, int] = {}
        self._mirror_lock = threading.Lock()
        self.assigned: frozenset[int] = frozenset()
        """Replaced, never changed in place: other threads read it."""
        self.may_exit: Callable[[], bool] = lambda: True
        """Checked before an idle exit (e.g. "the in-process producer is done")."""
        self.rebalances = 0
        self._last_activity = time.monotonic()
        self._last_figures = 0.0
        self._last_error_log = 0.0

    @property
    def stats(self) -> RunStats:
        return self.processor.stats

    def run(self, stop: threading.Event | None = None) -> RunStats:
        """Consume until `stop` is set, or the topic is drained and idle (`exit_when_idle_s`)."""
        stop = stop or threading.Event()
        settings = self.settings
        ensure_topic(self.client, settings.dead_letter_topic, 1)
        self.consumer.subscribe(
            [settings.topic], on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_revoke
        )
        max_rows = min(self.processor_settings.max_rows, POLL_MESSAGES)
        wait_s = max(self.processor_settings.max_wait_ms, 1) / 1000
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], GC_YOUNG_THRESHOLD), *thresholds[1:])
        try:
            while not stop.is_set():
                messages = self.consumer.consume(num_messages=max_rows, timeout=wait_s)
                self._check_commits(wait=False)
                self._mirror_offsets()
                self._lag = self.lag()
                batch = self._batch(messages) if messages else None
                if batch is not None:
                    self._last_activity = time.monotonic()
                    self.committer.submit(batch)
                    self._last_figures = time.time()
                elif self._idle_and_drained():
                    break
                else:
                    self._publish_figures()
            self._check_commits(wait=True)
        finally:
            gc.set_threshold(*thresholds)
            self.committer.close()
            try:
                self.processor._publish_figures(running=False)
            except EcomstreamError as err:  # do not hide the error that ended the run
                log.warning("cannot record that worker %s stopped: %s", self.processor_settings.worker, err)
            self.consumer.close()
        return self.processor.stats

    def _batch(self, messages: list[Any]) -> KafkaBatch | None:
        """The messages of one poll as a batch (errors reported, revoked partitions left out)."""
        offsets = [m.offset() for m in messages]
        if offsets and min(offsets) < 0:  # error events carry no offset
            for m in messages:
                if m.error() is not None:
                    self._on_error(m.error())
            messages = [m for m in messages if m.error() is None]
            offsets = [m.offset() for m in messages]
        partitions = [m.partition() for m in messages]
        if not self.assigned.issuperset(partitions):  # revoked during the poll: the new owner reads them
            messages = [m for m, p in zip(messages, partitions, strict=True) if p in self.assigned]
            partitions = [m.partition() for m in messages]
            offsets = [m.offset() for m in messages]
        if not messages:
            return None
        topic = self.settings.topic
        return KafkaBatch(
            f"kafka:{topic}", 0, len(messages), messages=[m.value() or b"" for m in messages], topic=topic,
            partitions=partitions, offsets=offsets,
            timestamps_ms=[m.timestamp()[1] for m in messages],
        )  # fmt: skip

    def _check_commits(self, wait: bool) -> None:
        """Act on a failed background commit: re-read positions after a stale one
        (another worker moved our partitions), raise anything else."""
        failure = self.committer.wait() if wait else self.committer.failure
        if failure is None:
            return
        self.committer.wait()
        self.committer.clear_failure()
        if not isinstance(failure, StaleCommit):
            raise failure
        log.warning("worker %s: %s", self.processor_settings.worker, failure)
        self._resync()

    def _after_commit(self, prepared: Prepared) -> None:
        """Note the committed offsets, to mirror them to Kafka from the consuming thread
        (the client may block a commit made from another thread during a rebalance)."""
        commit = prepared.commit
        with self._mirror_lock:
            for key in commit.expected:
                if key in commit.positions:
                    self._to_mirror[int(key.rsplit(":", 1)[1])] = commit.positions[key].seq

    def _mirror_offsets(self) -> None:
        """Commit the stored offsets to Kafka too, asynchronously, for lag tools only."""
        with self._mirror_lock:
            offsets, self._to_mirror = self._to_mirror, {}
        if not offsets:
            return
        topic = self.settings.topic
        try:
            self.consumer.commit(
                offsets=[TopicPartition(topic, p, o) for p, o in sorted(offsets.items())], asynchronous=True
            )
        except KafkaException as err:  # the store holds the truth
            log.debug("Kafka offset commit failed: %s", err)

    def _resync(self) -> None:
        """Another writer moved our partitions' positions: read them again and seek there."""
        self.processor.reload_positions()
        for partition in sorted(self.assigned):
            offset = self.processor.next_offset(partition)
            target = TopicPartition(self.settings.topic, partition, OFFSET_BEGINNING if offset is None else offset)
            try:
                self.consumer.seek(target)
            except KafkaException as err:
                log.warning("cannot seek partition %s to %s: %s", partition, target.offset, err)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._settle_commits()
        self.processor.reload_positions()
        for tp in partitions:
            offset = self.processor.next_offset(tp.partition)
            tp.offset = OFFSET_BEGINNING if offset is None else offset
        consumer.assign(partitions)
        self.assigned = frozenset(tp.partition for tp in partitions)
        self.rebalances += 1
        self._last_activity = time.monotonic()
        log.info("worker %s assigned %s", self.processor_settings.worker, sorted(self.assigned))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._settle_commits()  # what was read is committed before the partitions move
        self.assigned = self.assigned - {tp.partition for tp in partitions}
        self._last_activity = time.monotonic()

    def _settle_commits(self) -> None:
        """Wait for the background commits; a stale one needs nothing more, since the
        positions are read again at the assignment."""
        failure = self.committer.wait()
        if isinstance(failure, StaleCommit):
            log.warning("worker %s: %s", self.processor_settings.worker, failure)
            self.committer.clear_failure()

    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            msg = f"fatal Kafka error: {error.str()}"
            raise BusError(msg)
        now = time.monotonic()
        self._last_activity = now  # a broker away is not an idle topic: its producers may be waiting too
        if now - self._last_error_log > 5:
            self._last_error_log = now
            log.warning("Kafka: %s (retrying)", error.str())

    def lag(self) -> dict[int, int | None]:
        """Per assigned partition: high watermark (as last fetched) minus the next offset
        to read; None until a fetch told the high watermark. Called from the consuming
        thread; the figures read the last result."""
        lags: dict[int, int | None] = {}
        for partition in sorted(self.assigned):
            lags[partition] = None
            try:
                low, high = self.consumer.get_watermark_offsets(
                    TopicPartition(self.settings.topic, partition), cached=True
                )
            except (KafkaException, TypeError):
                continue
            if high is None or high < 0:
                continue
            position = self.processor.next_offset(partition)
            lags[partition] = max(0, high - (position if position is not None else max(low, 0)))
        return lags

    def _publish_figures(self) -> None:
        now = time.time()
        if now - self._last_figures >= self.settings.figures_every_s:
            self._last_figures = now
            self.processor._publish_figures(running=True)

    def _idle_and_drained(self) -> bool:
        """Idle for `exit_when_idle_s` since the last message or rebalance, after joining
        the group, and every partition of the topic committed up to its end."""
        wait = self.settings.exit_when_idle_s
        if wait is None or not self.rebalances or time.monotonic() - self._last_activity < wait:
            return False
        if not self.may_exit():
            return False
        self._check_commits(wait=True)
        try:
            return self._topic_drained()
        except KafkaException as err:
            log.info("cannot check whether %s is drained yet: %s", self.settings.topic, err)
            return False

    def _topic_drained(self) -> bool:
        topic = self.settings.topic
        metadata = self.consumer.list_topics(topic, timeout=5)
        found = metadata.topics.get(topic)
        if found is None or found.error is not None:
            return False
        # One request for every partition's end offset (timestamp -1 = the end): a request per
        # partition would wait behind the fetch long-poll each time.
        ends = self.consumer.offsets_for_times([TopicPartition(topic, p, -1) for p in found.partitions], timeout=5)
        committed = self.store.positions()
        if len(ends) != len(found.partitions):
            return False
        for end in ends:
            position = committed.get(offset_key(topic, end.partition))
            known = end.error is None and end.offset >= 0  # -1: the broker could not say (e.g. just restarted)
            if not known or (end.offset > 0 and (position is None or position.seq < end.offset)):
                self._last_activity = time.monotonic() - wait_fraction(self.settings.exit_when_idle_s)
                return False
        return True


def wait_fraction(wait: float | None) -> float:
    """After a failed drain check, check again in about a second rather than a full wait."""
    return max(0.0, (wait or 0) - 1.0)
