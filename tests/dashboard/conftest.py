"""Headless Chromium for the browser tests, installed by scripts/install-browser.sh when missing.

With CI=true these tests never skip: a missing browser fails them with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Besides --headless and a fresh --user-data-dir, which every launch gets."""

ARTIFACTS = REPO / "artifacts"


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def chromium_path() -> str | None:
    configured = os.environ.get("ECOMSTREAM_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the Chromium binary, installing it with the project's script when missing."""
    found = chromium_path()
    if found is None:
        script = REPO / "scripts" / "install-browser.sh"
        done = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=900, check=False)
        found = chromium_path()
        if found is None:
            _unavailable(f"Chromium is missing and {script} could not install it:\n{done.stdout}\n{done.stderr}")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is missing: pip install -e '.[dev]'")
        raise
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def page(playwright: Any, chromium: str, tmp_path: Path) -> Iterator[Any]:
    """A fresh headless Chromium page; `page.dialogs` collects any alert() the page opens."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1440, "height": 1000},
    )
    opened = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    opened.on("dialog", on_dialog)
    opened.on("pageerror", lambda err: errors.append(str(err)))
    opened.dialogs = dialogs
    opened.errors = errors
    opened.set_default_timeout(20_000)
    yield opened
    context.close()
