"""The first line of a CSV file: a header naming the nine columns (in any order), or data.

Files of the REES46 family start with `event_time,event_type,...,user_session`. A file
exported by another tool may list the same columns in another order, quote the names,
write them in capitals or start with a UTF-8 byte-order mark; its columns are then
matched by name, as Parquet columns are. A header that does not name exactly the nine
columns, or that separates them with something else than a comma, is refused with what
is wrong: guessing would put values in the wrong fields. A first line naming fewer than
two columns is data.
"""

from __future__ import annotations

from collections.abc import Sequence

from ecomstream.errors import SourceError
from ecomstream.events.schema import FIELDS

BOM = b"\xef\xbb\xbf"
OTHER_SEPARATORS = (b";", b"\t", b"|")
"""Separators of other CSV dialects, recognised in a header only to say so."""


def split_header(first_line: bytes, where: str) -> tuple[tuple[str, ...], bytes]:
    """The file's column order and what of `first_line` is data (empty for a header).

    >>> columns, data = split_header(b'"Event_Type",event_time,product_id,category_id,'
    ...     b"category_code,brand,price,user_id,user_session\\r\\n", "f.csv")
    >>> columns[:2], data
    (('event_type', 'event_time'), b'')
    >>> split_header(b"2019-10-01 00:00:00 UTC,view,1,2,,,1.00,3,s\\n", "f.csv")[1]
    b'2019-10-01 00:00:00 UTC,view,1,2,,,1.00,3,s\\n'
    """
    line = first_line.removeprefix(BOM)
    names = _names(line, b",")
    if len(set(names) & set(FIELDS)) < 2:
        for separator in OTHER_SEPARATORS:
            if len(set(_names(line, separator)) & set(FIELDS)) >= 2:
                msg = (
                    f"{where}: its header separates the columns with {separator.decode()!r}; ecomstream reads "
                    "comma-separated files: convert it (e.g. polars read_csv(separator=...).write_csv())"
                )
                raise SourceError(msg)
        return FIELDS, line
    if sorted(names) == sorted(FIELDS):
        return tuple(names), b""
    missing = [name for name in FIELDS if name not in names]
    unknown = [name or "(a column without a name)" for name in names if name not in FIELDS]
    twice = sorted({name for name in names if names.count(name) > 1})
    problems = [f"{label}: {', '.join(found)}" for label, found in
                (("missing", missing), ("unknown", unknown), ("named twice", twice)) if found]  # fmt: skip
    msg = (
        f"{where}: its header names other columns than the nine of the schema ({'; '.join(problems)}); "
        f"give a CSV with the columns {','.join(FIELDS)} (in any order)"
    )
    raise SourceError(msg)


def match_columns(names: Sequence[str], where: str) -> dict[str, str]:
    """Each schema field -> the column of a Parquet file that holds it, matched by name
    (case and surrounding spaces ignored; other columns are left out). A file without
    one of the nine is refused, as a CSV header would be.

    >>> match_columns(["Event_Time", *FIELDS[1:], "extra"], "f.parquet")["event_time"]
    'Event_Time'
    """
    found: dict[str, str] = {}
    for name in names:
        key = name.strip().lower()
        if key in FIELDS and key not in found:
            found[key] = name
    missing = [name for name in FIELDS if name not in found]
    if missing:
        msg = (
            f"{where}: it has no column {', '.join(missing)} (its columns: {', '.join(names) or 'none'}); "
            f"give a file with the columns {','.join(FIELDS)}"
        )
        raise SourceError(msg)
    return found


def _names(line: bytes, separator: bytes) -> list[str]:
    tokens = line.rstrip(b"\r\n").split(separator)
    return [token.decode("utf-8", errors="replace").strip().strip('"').strip().lower() for token in tokens]
