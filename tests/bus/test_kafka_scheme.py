"""The Kafka message scheme without a broker: messages spread over partitions, read in
any interleaving, in any batch sizes, some sent twice, give the embedded numbers."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import orjson
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ecomstream.bus.messages import EventEncoder, decode_messages
from ecomstream.events.schema import FIELDS
from ecomstream.pipeline.embedded import SourceSpec, source_batches
from ecomstream.processor.kafka import KafkaBatch, KafkaProcessor
from ecomstream.processor.loop import ProcessorSettings
from ecomstream.report.build import build_report
from ecomstream.store import open_store
from tests.conftest import SHARED_FILES
from tests.helpers import assert_same_report
from tests.pipeline.test_bad_input import INVALID, VALID, write
from tests.reference import data_lines, reference_report

TOPIC = "t"


def produce(paths: list[Path], partitions: int) -> list[list[tuple[bytes, bytes]]]:
    """Messages per partition, as a keyed producer would spread them."""
    encoder = EventEncoder()
    logs: list[list[tuple[bytes, bytes]]] = [[] for _ in range(partitions)]
    for batch in source_batches(SourceSpec(files=paths), {}):
        for key, value in encoder.encode(batch):
            logs[zlib.crc32(key) % partitions].append((key, value))
    return logs


def consume(store_url: str, logs: list[list[tuple[bytes, bytes]]], seed: int, max_batch: int) -> dict:
    """Read the partition logs in a random interleaving and random batch sizes."""
    rng = random.Random(seed)
    cursors = [0] * len(logs)
    with open_store(store_url) as store:
        processor = KafkaProcessor(store, TOPIC, ProcessorSettings())
        while any(c < len(log) for c, log in zip(cursors, logs, strict=True)):
            parts, offsets, values = [], [], []
            for _ in range(rng.randint(1, len(logs))):
                p = rng.randrange(len(logs))
                take = rng.randint(0, max_batch)
                for offset in range(cursors[p], min(cursors[p] + take, len(logs[p]))):
                    parts.append(p)
                    offsets.append(offset)
                    values.append(logs[p][offset][1])
                cursors[p] = min(cursors[p] + take, len(logs[p]))
            if values:
                batch = KafkaBatch(f"kafka:{TOPIC}", 0, len(values), messages=values, topic=TOPIC,
                                   partitions=parts, offsets=offsets, timestamps_ms=[0] * len(values))  # fmt: skip
                processor.process([batch])
        return build_report(store)


def test_tricky_records_through_messages_match_the_reference(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + list(INVALID.values()))
    report = consume(f"sqlite:///{tmp_path / 's.db'}", produce([path], 3), seed=1, max_batch=3)
    assert_same_report(report, reference_report(data_lines(path)))
    assert report["late_events"] >= 2


def test_a_file_with_columns_in_another_order_gives_the_same_messages(tmp_path: Path) -> None:
    lines = [line for line in VALID + list(INVALID.values()) if '"' not in line]
    canonical = write(tmp_path, lines, "canonical.csv")
    order = [FIELDS.index(name) for name in reversed(FIELDS)]
    reordered = tmp_path / "reordered.csv"
    reordered.write_text(
        "\n".join(",".join(x.split(",")[k] for k in order) if x.count(",") == 8 else x
                  for x in [",".join(FIELDS), *lines]) + "\n"
    )  # fmt: skip

    def fields_of(path: Path) -> list[dict]:
        messages = [orjson.loads(value) for log in produce([path], 1) for _, value in log]
        return [{k: v for k, v in m.items() if k not in ("event_id", "source", "raw_b64")} for m in messages]

    assert fields_of(reordered) == fields_of(canonical)


@pytest.mark.parametrize("seed", [1, 2])
def test_resent_messages_count_once(shared_data: Path, tmp_path: Path, seed: int) -> None:
    path = shared_data / SHARED_FILES[3]
    logs = produce([path], 4)
    again = produce([path], 4)
    # the producer ran twice; the first run died after part of each partition
    cut = [len(log) // (2 + p) for p, log in enumerate(logs)]
    twice = [log[:c] + rerun for log, c, rerun in zip(logs, cut, again, strict=True)]
    report = consume(f"sqlite:///{tmp_path / 's.db'}", twice, seed=seed, max_batch=400)
    assert_same_report(report, reference_report(data_lines(path)))


def test_decode_marks_poison_and_keeps_order() -> None:
    good = b'{"source":"f","seq":1,"event_time":"2019-10-01 00:00:01 UTC","event_type":"view"}'
    values = [good, b"not json", b"", b"[1]", b'{"brand":"' + b"x" * 20_000 + b'"}', b'{"price": 1.5}', good]
    frame = decode_messages(values).frame
    assert frame["pre_reason"].to_list() == [None, "malformed", "malformed", "malformed", "too_large", None, None]
    assert frame["price"].to_list()[5] == "1.5"
    assert frame["seq"].to_list() == [1, None, None, None, None, None, 1]


def test_decode_in_one_call_or_message_by_message_gives_the_same_frame() -> None:
    good = b'{"source":"f","seq":%d,"event_time":"2019-10-01 00:00:01 UTC","event_type":"view","brand":" x "}'
    plain = [good % i for i in range(1, 4)]
    spread = [plain[0], b'{"source":"f",\n"seq":2,"event_type":"view"}', plain[2]]  # JSON white space over lines
    one_call = decode_messages(plain)
    assert one_call.needs_strip
    assert one_call.frame["seq"].to_list() == [1, 2, 3]
    assert one_call.frame["pre_reason"].to_list() == [None, None, None]
    assert_frame_equal(one_call.frame, pl.concat([decode_messages([v]).frame for v in plain]))
    assert decode_messages(spread).frame["seq"].to_list() == [1, 2, 3]
    assert decode_messages([plain[0], b"{", plain[1]]).frame["pre_reason"].to_list() == [None, "malformed", None]


def test_time_shift_travels_with_the_message(tmp_path: Path) -> None:
    from dataclasses import replace

    from ecomstream.events.validate import validate

    path = write(tmp_path, VALID[:2])
    batch = next(iter(source_batches(SourceSpec(files=[path]), {})))
    shift = 3_600_000_000
    values = [v for _, v in EventEncoder().encode(replace(batch, time_shift_us=shift))]
    assert all(b'"shift_us":3600000000' in v for v in values)
    processor = KafkaProcessor(open_store(f"sqlite:///{tmp_path / 's.db'}"), TOPIC)
    part = processor._part(KafkaBatch("k", 0, 2, messages=values, topic=TOPIC, partitions=[0, 0], offsets=[0, 1],
                                      timestamps_ms=[0, 0]))  # fmt: skip
    assert part.fresh is not None
    accepted = validate(part.fresh).accepted
    assert accepted["ts_us"].to_list() == [1_569_888_001_000_000 + shift, 1_569_888_002_000_000 + shift]
