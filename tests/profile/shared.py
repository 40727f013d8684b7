"""Where the shared REES46 data files are (../shared/data beside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

SHARED_DATA = Path(os.environ.get("ECOMSTREAM_SHARED_DATA", Path(__file__).parents[2] / ".." / "shared" / "data"))


def shared_files() -> list[Path]:
    """The shared data files, or an empty list when the folder is absent."""
    return sorted(SHARED_DATA.glob("*.csv.gz")) if SHARED_DATA.is_dir() else []
