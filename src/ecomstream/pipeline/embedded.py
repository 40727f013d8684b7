"""The embedded pipeline: sources -> memory bus -> processor -> store, in one process.

The source runs in a thread of its own and blocks on the bounded bus when the processor
falls behind; the processor commits in the calling thread. File sources end the run
once every file is read and committed; the generator runs until stopped or `limit`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ecomstream.bus.memory import MemoryBus
from ecomstream.errors import TruncatedSource
from ecomstream.events.raw import RawBatch
from ecomstream.processor.loop import Processor, ProcessorSettings, RunStats
from ecomstream.sources.files import file_identity, first_event_us, read_file
from ecomstream.sources.generated import DEFAULT_START_US, generator_source_id, read_generator
from ecomstream.sources.pacing import Pace, paced
from ecomstream.store.base import Position, Store


@dataclass(slots=True)
class SourceSpec:
    """What to read: files in order, or the generator when `files` is empty."""

    files: list[Path] = field(default_factory=list)
    seed: int = 0
    limit: int | None = None
    pace: Pace = field(default_factory=Pace)
    time_now: bool = False
    chunk_bytes: int = 16 << 20


def source_batches(spec: SourceSpec, positions: dict[str, Position]) -> Iterator[RawBatch]:
    """Raw batches of every source in order, resuming after committed positions."""
    if spec.files:
        for path in spec.files:
            source = file_identity(path)
            done = positions.get(source, Position(0))
            if done.finished:
                continue
            shift = done.time_shift_us
            if spec.time_now and not done.seq and not shift:
                first = first_event_us(path)
                shift = round(time.time() * 1_000_000) - first if first is not None else 0
            yield from paced(read_file(path, source, done.seq, spec.chunk_bytes, shift), spec.pace)
        return
    source = generator_source_id(spec.seed)
    done = positions.get(source, Position(0))  # the generator never ends: only --limit stops a run
    shift = done.time_shift_us
    if spec.time_now and not done.seq and not shift:
        shift = round(time.time() * 1_000_000) - DEFAULT_START_US
    rate = spec.pace.rate or 50.0
    batch_rows = 100_000 if spec.pace.unlimited else max(1, int(rate * 0.05))
    batches = read_generator(spec.seed, done.seq, spec.limit, batch_rows, rate, shift)
    yield from paced(batches, spec.pace)


class EmbeddedPipeline:
    """Runs one source thread and one processor over a memory bus."""

    def __init__(self, store: Store, spec: SourceSpec, settings: ProcessorSettings | None = None) -> None:
        self.store = store
        self.spec = spec
        self.bus = MemoryBus()
        self.processor = Processor(store, self.bus, settings)
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self._feeder = threading.Thread(target=self._feed, name="ecomstream-source", daemon=True)

    @property
    def stats(self) -> RunStats:
        return self.processor.stats

    def _feed(self) -> None:
        try:
            for batch in source_batches(self.spec, dict(self.processor.positions)):
                if self.stop.is_set() or not self.bus.put(batch):
                    return
        except TruncatedSource as err:  # what came before the cut is processed, then reported
            self.error = err
        except BaseException as err:  # handed to the main thread, which reports it
            self.error = err
            self.stop.set()
        finally:
            self.bus.put_end()

    def run(self) -> RunStats:
        """Run until the sources end (and are committed) or `stop` is set."""
        self._feeder.start()
        try:
            stats = self.processor.run(self.stop)
        finally:
            self.stop.set()
            self.bus.close()
            self._feeder.join(timeout=5)
        if self.error is not None:
            raise self.error
        return stats
