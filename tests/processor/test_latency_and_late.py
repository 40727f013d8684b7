"""Latency percentiles and the watermark rule."""

from __future__ import annotations

from pathlib import Path

from ecomstream.events.raw import RawBatch
from ecomstream.processor.latency import LatencyWindow
from ecomstream.processor.loop import Processor, ProcessorSettings
from ecomstream.report.build import build_report
from ecomstream.store import open_store


def test_percentiles_are_weighted_by_event_count() -> None:
    window = LatencyWindow(span_s=60)
    window.add(0.010, 98, now=100)
    window.add(1.0, 2, now=100)
    p50, p95, p99 = window.percentiles(now=100)
    assert p50 == 10 and p95 == 10 and p99 == 1000
    assert window.percentiles(now=200) is None  # slid out of the minute


def line(second: int, product: int = 1) -> bytes:
    return f"2019-10-01 00:00:{second:02d} UTC,view,{product},1,a,b,1.00,1,s".encode()


def test_late_events_follow_the_watermark_and_still_count(tmp_path: Path) -> None:
    seconds = [10, 11, 9, 8, 20, 17, 18, 21]  # lateness 2 s: 8 is late (11-2 >= 9), 17 is late (20-2>=18)
    csv = b"\n".join(line(s) for s in seconds) + b"\n"
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        Processor(store, None, ProcessorSettings(lateness_s=2)).process([RawBatch("f", 1, len(seconds), csv=csv)])
        report = build_report(store)
    assert report["late_events"] == 2
    assert report["events"] == len(seconds)


def test_resent_records_are_dropped_as_transport_duplicates(tmp_path: Path) -> None:
    csv = b"\n".join(line(s) for s in range(10)) + b"\n"
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        processor = Processor(store, None, ProcessorSettings())
        processor.process([RawBatch("f", 1, 10, csv=csv)])
        processor.process([RawBatch("f", 1, 10, csv=csv)])  # the same rows again
        again = Processor(store, None, ProcessorSettings())  # and after a restart
        again.process([RawBatch("f", 1, 10, csv=csv)])
        assert build_report(store)["events"] == 10
        assert processor.stats.duplicates == 10 and again.stats.duplicates == 10
