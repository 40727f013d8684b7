"""Renderers: a self-contained, escaped HTML page; terminal tables; JSON."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from rich.console import Console

from ecomstream.profile import profile_files
from ecomstream.profile.render_html import to_html
from ecomstream.profile.render_json import to_json
from ecomstream.profile.render_terminal import to_terminal

HOSTILE = "<script>alert(1)</script>"
MARKUP = "[bold red]boom[/bold red]"


@pytest.fixture(scope="module")
def hostile_profile(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("hostile") / "hostile.csv"
    path.write_text(
        "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
        f"2019-10-01 00:00:00 UTC,view,1,2,{HOSTILE}.x,{HOSTILE},10.00,7,{HOSTILE}\n"
        f"2019-10-01 00:00:01 UTC,purchase,1,2,{HOSTILE}.x,{HOSTILE},10.00,7,{HOSTILE}\n"
        f"2019-10-01 00:00:02 UTC,view,2,,,{MARKUP},5.00,8,s2\n"
        "not a time,view,2,,,x,5.00,8,s2\n",
        encoding="utf-8",
    )
    return profile_files([path])


def test_html_is_self_contained_and_escaped(hostile_profile: dict, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    to_html(hostile_profile, out)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]*href\s*=\s*[\"']?https?:", page, re.IGNORECASE)
    assert "Plotly.newPlot" in page
    assert len(re.findall(r"<script\b", page)) == 2  # plotly.js inline, then the figures


def test_html_of_real_data(data_files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    to_html(profile_files(data_files[:1]), out)
    assert out.stat().st_size > 3_000_000  # plotly.js is inline


def test_terminal_shows_values_literally(hostile_profile: dict) -> None:
    console = Console(record=True, width=160, color_system=None)
    to_terminal(hostile_profile, console)
    text = console.export_text()
    for title in ("Overview", "Fields", "Rejected rows by reason", "Funnel", "Brands", "Top products"):
        assert title in text
    assert MARKUP.lower() in text  # brand dimension: lower-cased, shown as text, not markup
    assert "bad_type:event_time" in text


def test_json_round_trips(hostile_profile: dict) -> None:
    assert orjson.loads(to_json(hostile_profile)) == hostile_profile
