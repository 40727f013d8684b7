"""A headless-Chromium screenshot of the HTML report (skipped without Chromium)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ecomstream.profile import profile_files
from ecomstream.profile.render_html import to_html

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.mark.integration
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_report_renders_in_chromium(data_files: list[Path], tmp_path: Path) -> None:
    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    to_html(profile_files(data_files[:1]), page)
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--window-size=1400,2400", "--virtual-time-budget=5000", f"--screenshot={shot}", page.as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert shot.stat().st_size > 100_000  # charts and tables drawn, not a blank page
