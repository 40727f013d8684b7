"""Helpers for tests: run the CLI, read its JSON report, compare with the reference."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ecomstream.cli.main import cli


def run_cli(*args: str) -> str:
    """Run `ecomstream ARGS` in-process; fail the test with its output if it fails."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def report_of(store_url: str) -> dict[str, Any]:
    return json.loads(run_cli("report", "--store", store_url, "--json"))


def run_files(store_url: str, *files: Path, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    args = ["run", "--store", store_url, "--no-dashboard", "--quiet", *extra]
    for path in files:
        args += ["--source", str(path)]
    run_cli(*args)
    return report_of(store_url)


def assert_same_report(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Field by field, so a failure names the metric that differs."""
    expected = {k: v for k, v in expected.items() if not k.startswith("_")}
    for key, value in expected.items():
        assert key in actual, f"report lacks {key}"
        assert actual[key] == value, f"{key}: pipeline {actual[key]!r} != reference {value!r}"


def ecomstream_command(*args: str) -> list[str]:
    """argv that runs the CLI in a child process (for crash tests)."""
    return [sys.executable, "-m", "ecomstream", *args]


def spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(ecomstream_command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
