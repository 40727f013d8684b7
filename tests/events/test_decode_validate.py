"""Decoding and validation on small hand-made batches."""

from __future__ import annotations

import orjson
import polars as pl

from ecomstream.events.decode import decode
from ecomstream.events.raw import RawBatch
from ecomstream.events.validate import validate

GOOD = b"2019-10-01 00:00:01 UTC,view,1,2,electronics.smartphone,Samsung,10.50,7,s1"


def run(csv: bytes):
    return validate(decode(RawBatch("t", 1, csv.count(b"\n"), csv=csv)))


def test_fast_path_accepts_and_types_a_clean_record() -> None:
    result = run(GOOD + b"\n")
    row = result.accepted.row(0, named=True)
    assert row["ts_us"] == 1_569_888_001_000_000
    assert row["window"] == 1_569_888_001
    assert (row["type"], row["product_id"], row["category_id"], row["user_id"]) == (0, 1, 2, 7)
    assert row["price_micros"] == 10_500_000
    assert (row["brand"], row["category_code"], row["user_session"]) == ("Samsung", "electronics.smartphone", "s1")
    assert result.present == dict.fromkeys(result.present, 1)


def test_quoted_newline_is_one_record() -> None:
    csv = b'2019-10-01 00:00:01 UTC,view,1,2,"a\nb",brand,1.00,7,s\n' + GOOD + b"\n"
    result = run(csv)
    assert result.accepted.height == 2
    assert result.accepted["category_code"][0] == "a\nb"
    assert result.accepted["seq"].to_list() == [1, 2]


def test_rejects_keep_their_row_and_sequence_in_a_mixed_batch() -> None:
    lines = [GOOD, b"x,view,1,2,a,b,1,7,s", GOOD, b"1,2,3", GOOD.replace(b"7,s1", b"seven,s1")]
    result = run(b"\n".join(lines) + b"\n")
    assert result.accepted["seq"].to_list() == [1, 3]
    reasons = dict(zip(result.rejected["seq"].to_list(), result.rejected["reason"].to_list(), strict=True))
    assert reasons == {2: "bad_type:event_time", 4: "malformed", 5: "bad_type:user_id"}
    assert result.received == 5
    assert result.present["event_time"] == 3  # the bad-user row still has a valid time
    assert result.present["user_id"] == 3


def test_suspect_rows_keep_record_order_for_late_marking() -> None:
    iso = b"2019-10-01T00:00:00Z,view,1,2,a,b,1.00,7,s"
    result = run(GOOD + b"\n" + iso + b"\n" + GOOD + b"\n")
    assert result.accepted["seq"].to_list() == [1, 2, 3]


def test_json_messages_decode_numbers_and_strings() -> None:
    messages = [
        orjson.dumps(
            {
                "event_time": "2019-10-01T00:00:01Z",
                "event_type": "purchase",
                "product_id": 5,
                "category_id": None,
                "category_code": None,
                "brand": "x",
                "price": 12.3,
                "user_id": "9",
                "user_session": "s",
            }
        ),
        b"not json",
        orjson.dumps(
            {"event_time": "2019-10-01T00:00:01Z", "event_type": "view", "product_id": True, "price": 1, "user_id": 1}
        ),
    ]
    batch = RawBatch("k", 1, 3, messages=messages, seqs=[10, 11, 12], sources=["a", "a", "b"])
    result = validate(decode(batch))
    assert result.accepted.height == 1
    assert result.accepted.row(0, named=True)["price_micros"] == 12_300_000
    assert result.rejected["reason"].to_list() == ["malformed", "bad_type:product_id"]
    assert result.rejected["seq"].to_list() == [11, 12]


def test_frame_payload_goes_through_the_string_rules() -> None:
    frame = pl.DataFrame({name: [value] for name, value in zip(
        ["event_time", "event_type", "product_id", "category_id", "category_code", "brand", "price", "user_id",
         "user_session"],
        ["2019-10-01 00:00:01 UTC", "cart", " 3 ", "", "", "", "0", "4", ""], strict=True)})  # fmt: skip
    result = validate(decode(RawBatch("g", 1, 1, frame=frame)))
    row = result.accepted.row(0, named=True)
    assert (row["type"], row["product_id"], row["category_id"], row["user_session"]) == (1, 3, None, None)


def test_time_shift_moves_event_times() -> None:
    batch = RawBatch("t", 1, 1, csv=GOOD + b"\n", time_shift_us=5_000_000)
    assert validate(decode(batch)).accepted["window"][0] == 1_569_888_006


def test_a_long_and_a_short_line_whose_commas_add_up_are_both_malformed() -> None:
    # 9 + 7 commas = 2 lines x 8: the byte-level proof of a plain chunk must not pass it.
    long_line, short_line = GOOD + b",extra", GOOD.rsplit(b",", 1)[0]
    result = run(long_line + b"\n" + short_line + b"\n")
    assert result.accepted.height == 0
    assert result.rejected["reason"].to_list() == ["malformed", "malformed"]


def test_a_line_over_the_size_limit_in_an_otherwise_plain_chunk_is_too_large() -> None:
    huge = GOOD.replace(b"Samsung", b"S" * 20_000)
    result = run(GOOD + b"\n" + huge + b"\n" + GOOD + b"\n")
    assert result.accepted.height == 2
    assert result.rejected.select("row", "reason").rows() == [(1, "too_large")]


def test_crlf_lines_take_the_fast_path_with_the_same_outcome_as_lf() -> None:
    lines = [GOOD, b"x,view,1,2,a,b,1,7,s", GOOD.replace(b"Samsung,10.50,7,s1", b",0.00,7,"), b"1,2,3"]
    lf, crlf = b"\n".join(lines) + b"\n", b"\r\n".join(lines) + b"\r\n"
    decoded = decode(RawBatch("t", 1, 4, csv=crlf))
    assert decoded.typed
    assert [decoded.raw(i) for i in range(4)] == lines
    by_lf, by_crlf = run(lf), run(crlf)
    assert by_crlf.accepted.equals(by_lf.accepted)
    assert by_crlf.accepted["user_session"].to_list() == ["s1", None]
    assert by_crlf.rejected.equals(by_lf.rejected)
    assert by_crlf.present == by_lf.present


def test_a_carriage_return_inside_a_line_stays_in_its_field() -> None:
    inside = GOOD.replace(b"Samsung", b"Sam\rsung")
    for ends in (b"\n", b"\r\n"):
        result = run(GOOD + ends + inside + ends)
        assert result.accepted["brand"].to_list() == ["Samsung", "Sam\rsung"]
