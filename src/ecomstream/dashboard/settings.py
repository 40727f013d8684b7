"""How the dashboard is served (kept apart so the command line imports no web framework)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DashboardSettings:
    """How the dashboard is served."""

    store_url: str
    host: str = "127.0.0.1"
    port: int = 8050
    token: str | None = None
    refresh_ms: int = 1_000
