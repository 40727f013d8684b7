"""The profile and the streaming `report` agree on every figure they share."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomstream.profile import profile_files
from tests.conftest import SHARED_FILES
from tests.helpers import run_files

REPORT_KEYS = (
    "events", "by_type", "revenue", "avg_purchase_price", "view_to_cart", "view_to_purchase", "cart_to_purchase",
    "sessions", "funnel", "cart_abandonment", "unique_users", "unique_users_exact", "brands", "categories",
    "top_products", "price_bands", "completeness", "rejected", "late_events",
)  # fmt: skip


@pytest.mark.parametrize("names", [(name,) for name in SHARED_FILES] + [SHARED_FILES])
def test_profile_and_report_agree(shared_data: Path, tmp_path: Path, names: tuple[str, ...]) -> None:
    paths = [shared_data / name for name in names]
    report = run_files(f"sqlite:///{tmp_path / 'store.db'}", *paths)
    profile = profile_files(paths)
    for key in REPORT_KEYS:
        assert profile[key] == report[key], f"{key}: profile {profile[key]!r} != report {report[key]!r}"
