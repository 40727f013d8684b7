"""Expected filtered counts, recomputed from the raw lines with the independent reference."""

from __future__ import annotations

import csv
from typing import Any

from tests.reference import FIELDS, check, reference_report


def accepted_rows(lines: list[bytes]) -> list[tuple[bytes, dict[str, str], int]]:
    """(line, fields, epoch second) of every line the reference accepts."""
    rows = []
    for raw in lines:
        line = raw.rstrip(b"\r")
        try:
            fields = next(csv.reader([line.decode("utf-8")], strict=True), [])
        except (UnicodeDecodeError, csv.Error):
            continue
        if len(fields) != len(FIELDS):
            continue
        fields = [x.strip() for x in fields]
        reason, _, parsed = check(fields)
        if reason is None:
            rows.append((raw, dict(zip(FIELDS, fields, strict=True)), parsed["ts"] // 1_000_000))
    return rows


def filtered_reference(
    lines: list[bytes], since: int | None = None, until: int | None = None, brand: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The reference report over the accepted lines matching the filters."""
    kept = []
    for raw, fields, second in accepted_rows(lines):
        if since is not None and second < since:
            continue
        if until is not None and second >= until:
            continue
        if brand is not None and (fields["brand"].lower() or "(unknown)") != brand:
            continue
        if category is not None and (fields["category_code"].split(".")[0] or "(unknown)") != category:
            continue
        kept.append(raw)
    return reference_report(kept)
