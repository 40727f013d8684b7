"""`ecomstream profile` through click."""

from __future__ import annotations

import zlib
from pathlib import Path

import orjson
from click.testing import CliRunner

from ecomstream.profile.cli import profile_command


def test_json_to_stdout(data_files: list[Path]) -> None:
    result = CliRunner().invoke(profile_command, [str(data_files[0]), "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["rows"] > 0


def test_tables_and_html(data_files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(profile_command, [str(data_files[0]), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "Overview" in result.stdout
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(profile_command, [str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert "nope.csv" in result.output
    assert "check the path" in result.output


def test_a_cut_gzip_file_is_profiled_up_to_its_last_whole_row_with_a_warning(
    data_files: list[Path], tmp_path: Path
) -> None:
    blob = data_files[0].read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(blob[: len(blob) * 9 // 10])
    readable = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(cut.read_bytes())
    whole_rows = readable.count(b"\n") - 1  # without the header
    result = CliRunner().invoke(profile_command, [str(cut), "--json"])
    assert result.exit_code == 0, result.output
    profile = orjson.loads(result.stdout)
    assert profile["rows"] == whole_rows
    (stats,) = profile["files"]
    assert stats["truncated"] is True
    assert stats["cut_bytes"] == len(readable) - len(readable[: readable.rfind(b"\n") + 1])
    assert f"its {whole_rows:,} whole rows are profiled" in " ".join(result.stderr.split())
