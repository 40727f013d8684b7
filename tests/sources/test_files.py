"""File sources: chunking, resuming after a committed row, formats."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from ecomstream.errors import SourceError, TruncatedSource
from ecomstream.sources.files import file_identity, first_event_us, read_file
from ecomstream.sources.pacing import split

HEADER = b"event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"


def rows(n: int) -> bytes:
    return b"".join(f"2019-10-01 00:00:{i % 60:02d} UTC,view,{i},1,a.b,br,1.00,{i},s{i}\n".encode() for i in range(n))


def test_small_chunks_cover_every_row_once_and_in_order(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(HEADER + rows(1000))
    batches = list(read_file(path, "f", chunk_bytes=777))
    assert sum(b.count for b in batches) == 1000
    seqs = [b.first_seq for b in batches]
    assert seqs == sorted(seqs) and seqs[0] == 1
    assert all(b.csv.endswith(b"\n") for b in batches)
    assert b"".join(b.csv for b in batches) == rows(1000)
    assert batches[-1].last_in_source and not any(b.last_in_source for b in batches[:-1])


def test_resume_skips_committed_rows(tmp_path: Path) -> None:
    path = tmp_path / "f.csv.gz"
    path.write_bytes(gzip.compress(HEADER + rows(500)))
    batches = list(read_file(path, "f", after_seq=123, chunk_bytes=1000))
    assert batches[0].first_seq == 124
    assert b"".join(b.csv for b in batches) == b"".join(rows(500).splitlines(keepends=True)[123:])


def test_resume_after_the_end_yields_one_empty_last_batch(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(HEADER + rows(10))
    (batch,) = read_file(path, "f", after_seq=10)
    assert batch.count == 0 and batch.last_in_source and batch.first_seq == 11


def test_missing_final_newline_and_headerless_files(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(rows(3).rstrip(b"\n"))
    batches = list(read_file(path, "f"))
    assert sum(b.count for b in batches) == 3


def test_parquet_is_read_as_text_in_the_csv_form(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    csv = tmp_path / "f.csv"
    csv.write_bytes(HEADER + rows(5))
    frame = pl.read_csv(csv, try_parse_dates=False).with_columns(
        pl.col("event_time").str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%d %H:%M:%S UTC")
    )
    frame.write_parquet(path)
    (batch,) = read_file(path, "p")
    assert batch.frame["event_time"][0] == "2019-10-01 00:00:00 UTC"
    assert batch.frame["price"][0] == "1.0"
    assert first_event_us(path) == first_event_us(csv)


def test_identity_depends_on_content(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b" / "a.csv"
    b.parent.mkdir()
    a.write_bytes(HEADER + rows(3))
    b.write_bytes(HEADER + rows(4))
    assert file_identity(a) != file_identity(b)
    assert file_identity(a).startswith("a.csv#")


def test_split_keeps_numbering_and_the_last_flag(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(HEADER + rows(10))
    (batch,) = read_file(path, "f")
    pieces = list(split(batch, 3))
    assert [p.count for p in pieces] == [3, 3, 3, 1]
    assert [p.first_seq for p in pieces] == [1, 4, 7, 10]
    assert [p.last_in_source for p in pieces] == [False, False, False, True]


def test_a_header_in_another_order_gives_the_column_order_and_the_first_time(tmp_path: Path) -> None:
    names = HEADER.decode().strip().split(",")
    order = [names.index(name) for name in reversed(names)]
    lines = [b",".join(line.split(b",")[k] for k in order) for line in rows(3).splitlines()]
    path = tmp_path / "f.csv"
    path.write_bytes(b",".join(names[k].encode() for k in order) + b"\n" + b"\n".join(lines) + b"\n")
    (batch,) = read_file(path, "f")
    assert batch.columns == tuple(reversed(names))
    assert batch.count == 3 and batch.csv.startswith(lines[0])
    assert first_event_us(path) == 1_569_888_000_000_000


def test_parquet_columns_are_matched_by_name_and_a_missing_one_is_refused(tmp_path: Path) -> None:
    csv = tmp_path / "f.csv"
    csv.write_bytes(HEADER + rows(5))
    frame = pl.read_csv(csv, try_parse_dates=False)
    shuffled = tmp_path / "shuffled.parquet"
    frame.select(reversed(frame.columns)).rename(str.upper).with_columns(pl.lit(1).alias("extra")).write_parquet(
        shuffled
    )
    plain = tmp_path / "plain.parquet"
    frame.write_parquet(plain)
    (expected,) = read_file(plain, "p")
    (batch,) = read_file(shuffled, "p")
    assert batch.frame.equals(expected.frame)
    assert first_event_us(shuffled) == first_event_us(csv)
    lacking = tmp_path / "lacking.parquet"
    frame.drop("price", "brand").write_parquet(lacking)
    with pytest.raises(SourceError, match=r"lacking\.parquet: it has no column brand, price"):
        list(read_file(lacking, "p"))


def test_a_cut_gzip_file_gives_its_whole_rows_then_says_where_it_ends(tmp_path: Path) -> None:
    blob = gzip.compress(HEADER + rows(5000))
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(blob[: len(blob) * 3 // 4])
    with pytest.raises(EOFError):  # Python's gzip gives nothing of it
        gzip.decompress(path.read_bytes())
    batches = []
    ends_early = r"cut\.csv\.gz ends early, inside row \d+, whose \d+ bytes were left out"
    with pytest.raises(TruncatedSource, match=ends_early):
        batches.extend(read_file(path, "f", chunk_bytes=20_000))
    read = b"".join(b.csv for b in batches)
    assert read and rows(5000).startswith(read) and read.endswith(b"\n")
    assert sum(b.count for b in batches) == read.count(b"\n")
    assert not any(b.last_in_source for b in batches)
