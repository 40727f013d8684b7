"""Bad input is dead-lettered with a reason; tricky valid input is read right."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest

from ecomstream.errors import SourceError, TruncatedSource
from tests.helpers import assert_same_report, report_of, run_cli, run_files
from tests.reference import data_lines, reference_report

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
T = "2019-10-01 00:00:{:02d} UTC"

VALID = [
    f'{T.format(1)},view,1,2,electronics.smartphone,"Sam,sung",10.00,7,s1',  # quoted comma
    "2019-10-01T00:00:02Z,cart,1,2,electronics.smartphone,samsung,10.00,7,s1",  # ISO with Z
    "2019-10-01T02:00:03+02:00,purchase,1,2,electronics.smartphone,samsung,10.00,7,s1",  # offset
    f"{T.format(4)},view,2,,appliances.kitchen.washer,Café Ünïcode,0.00,8,s2",  # unicode, zero price
    f"  {T.format(5)} , view , 3 , 4 , computers.notebook ,  ACER  , 99.99 , 9 ,  ",  # spaces, no session
    f"{T.format(6)},remove_from_cart,1,2,,,,7,s1".replace(",,7", ",5.5,7"),
    f"{T.format(0)},view,4,,,,250,10,s3",  # out of order: earlier than the ones before
    f"{T.format(20)},view,5,,,,50,11,s4",
    f"{T.format(1)},view,6,,,,100,12,s5",  # late: its window ended before the watermark
    f"{T.format(21)},purchase,6,,.x,BrandX,200,12,s5",
]
INVALID = {
    "malformed": "2019-10-01 00:00:01 UTC,view,1,2",
    "too_large": f"{T.format(1)},view,1,2,a,b,1.00,7,{'x' * 20_000}",
    "missing:event_time": ",view,1,2,a,b,1.00,7,s",
    "bad_type:event_time": "yesterday,view,1,2,a,b,1.00,7,s",
    "bad_value:event_time": "1969-12-31T23:59:59Z,view,1,2,a,b,1.00,7,s",
    "missing:event_type": f"{T.format(1)},,1,2,a,b,1.00,7,s",
    "unknown_event_type": f"{T.format(1)},wishlist,1,2,a,b,1.00,7,s",
    "missing:product_id": f"{T.format(1)},view,,2,a,b,1.00,7,s",
    "bad_type:product_id": f"{T.format(1)},view,1.5,2,a,b,1.00,7,s",
    "bad_value:product_id": f"{T.format(1)},view,99999999999999999999,2,a,b,1.00,7,s",
    "bad_type:category_id": f"{T.format(1)},view,1,abc,a,b,1.00,7,s",
    "bad_value:category_id": f"{T.format(1)},view,1,-99999999999999999999,a,b,1.00,7,s",
    "missing:price": f"{T.format(1)},view,1,2,a,b,,7,s",
    "bad_type:price": f"{T.format(1)},view,1,2,a,b,ten,7,s",
    "bad_value:price": f"{T.format(1)},view,1,2,a,b,-1.00,7,s",
    "missing:user_id": f"{T.format(1)},view,1,2,a,b,1.00,,s",
    "bad_type:user_id": f"{T.format(1)},view,1,2,a,b,1.00,u7,s",
    "bad_value:user_id": f"{T.format(1)},view,1,2,a,b,1.00,18446744073709551616,s",
}


def write(tmp_path: Path, lines: list[str], name: str = "tricky.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_every_reason_is_dead_lettered_and_counted(tmp_path: Path, store_url: str) -> None:
    path = write(tmp_path, VALID + list(INVALID.values()))
    report = run_files(store_url, path)
    for reason in INVALID:
        assert report["rejected"][reason] == 1, reason
    assert report["events"] == len(VALID)
    rejects = [json.loads(line) for line in run_cli("rejects", "--store", store_url, "--json", "--limit", "100")
               .splitlines()]  # fmt: skip
    by_reason = {r["reason"]: r for r in rejects}
    assert set(by_reason) == set(INVALID)
    assert by_reason["unknown_event_type"]["raw"] == INVALID["unknown_event_type"]
    assert by_reason["malformed"]["seq"] == len(VALID) + 1


def test_tricky_valid_records_match_the_reference(tmp_path: Path, store_url: str) -> None:
    path = write(tmp_path, VALID + list(INVALID.values()))
    report = run_files(store_url, path)
    assert_same_report(report, reference_report(data_lines(path)))
    brands = {b["brand"] for b in report["brands"]}
    assert {"sam,sung", "café ünïcode", "acer", "(unknown)", "brandx"} <= brands
    assert report["late_events"] >= 2
    assert report["by_type"]["remove_from_cart"] == 1
    assert report["price_bands"] == {"0-50": 5, "50-100": 2, "100-200": 1, "200+": 2}


def test_same_numbers_without_quotes_and_crlf(tmp_path: Path, store_url: str) -> None:
    """No quote in the file takes the vectorised path; CRLF line ends are read the same."""
    lines = [line for line in VALID if '"' not in line]
    path = tmp_path / "crlf.csv"
    path.write_bytes(("\r\n".join([HEADER, *lines]) + "\r\n").encode())
    report = run_files(store_url, path)
    assert_same_report(report, reference_report(data_lines(path)))


def test_invalid_utf8_rejects_only_its_line(tmp_path: Path, store_url: str) -> None:
    path = tmp_path / "latin1.csv"
    good = f"{T.format(1)},view,1,2,a,b,1.00,7,s".encode()
    path.write_bytes(
        HEADER.encode() + b"\n" + good + b"\n" + good.replace(b",b,", b",\xe9t\xe9,") + b"\n" + good + b"\n"
    )
    report = run_files(store_url, path)
    assert report["events"] == 2
    assert report["rejected"]["malformed"] == 1


def _reordered(line: str, order: list[int]) -> str:
    fields = line.split(",")
    return ",".join(fields[k] for k in order) if len(fields) == len(order) else line


def test_columns_in_another_order_are_matched_by_their_header_names(tmp_path: Path, store_url: str) -> None:
    """A header with the nine names in another order, quoted, in capitals, after a UTF-8
    byte-order mark, with CRLF line ends: the same numbers as the canonical file."""
    lines = [line for line in [*VALID, *INVALID.values()] if '"' not in line]
    canonical = write(tmp_path, lines, "canonical.csv")
    names = HEADER.split(",")
    order = [names.index(name) for name in reversed(names)]
    header = ",".join(f'"{names[k].upper()}"' if k % 2 else names[k] for k in order)
    reordered = tmp_path / "reordered.csv"
    reordered.write_bytes(
        b"\xef\xbb\xbf" + "\r\n".join([header, *(_reordered(x, order) for x in lines)]).encode() + b"\r\n"
    )
    report = run_files(store_url, reordered)
    assert report["events"] > 0
    assert_same_report(report, reference_report(data_lines(canonical)))
    raw = {
        r["reason"]: r["raw"] for r in map(json.loads, run_cli("rejects", "--store", store_url, "--json").splitlines())
    }
    assert raw["unknown_event_type"] == _reordered(INVALID["unknown_event_type"], order)  # as it was in the file


def test_a_header_without_the_nine_columns_is_refused_with_what_is_wrong(tmp_path: Path, store_url: str) -> None:
    path = tmp_path / "other.csv"
    path.write_text(HEADER.replace("brand", "maker").replace(",price", "") + "\n" + VALID[1] + "\n")
    with pytest.raises(SourceError, match=r"missing: brand, price; unknown: maker"):
        run_cli("run", "--store", store_url, "--no-dashboard", "--quiet", "--source", str(path))


def test_a_cut_gzip_file_is_counted_up_to_its_last_whole_row(shared_data: Path, tmp_path: Path, store_url: str) -> None:
    """A partial download: every whole row is committed, then the run fails saying so;
    run again, it fails the same way and counts nothing twice."""
    blob = (shared_data / "rees46_2019oct_tail_100000rows.csv.gz").read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(blob[: len(blob) * 9 // 10])
    readable = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(cut.read_bytes())  # all before the cut
    lines = readable.split(b"\n")[1:-1]  # without the header and the incomplete last line
    args = ("run", "--store", store_url, "--no-dashboard", "--quiet", "--source", str(cut))
    for _ in range(2):
        with pytest.raises(TruncatedSource, match=r"cut\.csv\.gz ends early"):
            run_cli(*args)
        assert_same_report(report_of(store_url), reference_report(lines))
    assert len(lines) > 80_000


def test_a_bad_header_in_a_later_file_stops_the_run_before_anything_is_read(tmp_path: Path, store_url: str) -> None:
    good = write(tmp_path, VALID[:3], "good.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER.replace("price", "cost") + "\n" + VALID[1] + "\n")
    with pytest.raises(SourceError, match=r"bad\.csv: its header names other columns"):
        run_cli("run", "--store", store_url, "--no-dashboard", "--quiet", "--source", str(good), "--source", str(bad))
    assert not Path(store_url.removeprefix("sqlite:///")).exists()
