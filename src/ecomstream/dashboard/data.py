"""The dashboard's data module: the store connections, the panel cache, one snapshot per view."""

from __future__ import annotations

import time
from typing import Any

from ecomstream.dashboard.cache import PanelCache
from ecomstream.report import filtered, live, panels
from ecomstream.report.filters import FilterError
from ecomstream.store import open_store

REJECTS_SHOWN = 10


class LiveData:
    """Reads the store for the page: two connections (fast panels, slow refreshes) and a cache.

    Filtered panels (KPI counts, time series, brands, categories) are read while the page
    waits, so new events show at the next refresh. Whole-store panels (funnel, users, top
    products, price bands, quality) are refreshed in the background and may lag one refresh.
    """

    def __init__(self, store_url: str, min_age_s: float = 0.25) -> None:
        self.store = open_store(store_url, create=False)
        self.background_store = open_store(store_url, create=False)
        self.cache = PanelCache(self.store, self.background_store, min_age_s=min_age_s)

    def snapshot(self, view: live.View) -> dict[str, Any]:
        """Everything the page shows for `view`; a bad custom range gives `error` and no filtered panels."""
        get = self.cache.get
        newest = get(("newest",), filtered.newest_window)
        shared = {
            "newest": newest,
            "audience": get(("audience",), live.audience, background=True),
            "catalogue": get(("catalogue",), live.catalogue, background=True),
            "quality": get(("quality",), lambda s: panels.quality(s, REJECTS_SHOWN), background=True),
            "health": get(("health",), panels.health),
            "cube_partial": get(("cube_partial",), live.cube_partial),
            "at": time.time(),
        }
        try:
            filters = live.resolve(view, newest)
        except (FilterError, ValueError) as err:
            return {**shared, "error": str(err), "filters": None}
        return {
            **shared,
            "error": None,
            "filters": filters,
            "kpis": get(("kpis", filters), lambda s: live.kpis(s, filters)),
            "series": get(("series", filters), lambda s: filtered.series(s, filters)),
            "dimensions": get(("dimensions", filters), lambda s: live.dimensions(s, filters)),
        }

    def choices(self) -> dict[str, list[str]]:
        """Brands and categories for the filter menus."""
        return self.cache.get(("choices",), live.choices)

    def close(self) -> None:
        self.cache.close()
        self.store.close()
        self.background_store.close()
