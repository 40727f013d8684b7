"""`ecomstream profile` through click."""

from __future__ import annotations

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
