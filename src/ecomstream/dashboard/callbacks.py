"""The page's callbacks: thin. Each reads a snapshot in a worker thread and hands it to `render`.

A refresh disables the timer while it runs (`running=`), so a slow store delays the next
refresh instead of piling requests up, and the server's event loop never waits on a query.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dash import Dash, Input, Output

from ecomstream.dashboard import render
from ecomstream.dashboard.data import LiveData
from ecomstream.report.live import View

FILTER_INPUTS = [
    Input("range", "value"),
    Input("since", "value"),
    Input("until", "value"),
    Input("brand", "value"),
    Input("category", "value"),
]

SHOW_CUSTOM_RANGE = """
function (choice) {
    return {display: choice === "custom" ? "flex" : "none"};
}
"""


def register(app: Dash, data: LiveData) -> None:
    """Attach the callbacks of the page to `app`."""
    outputs = [Output(id_, prop) for id_, prop in render.PAGE_OUTPUTS]

    @app.callback(
        outputs, Input("tick", "n_intervals"), *FILTER_INPUTS, running=[(Output("tick", "disabled"), True, False)]
    )
    async def refresh(
        _tick: int | None,
        choice: str | None,
        since: str | None,
        until: str | None,
        brand: str | None,
        category: str | None,
    ) -> list[Any]:
        view = View(choice or "all", since, until, brand, category)
        return await asyncio.to_thread(lambda: render.page(data.snapshot(view)))

    @app.callback(Output("brand", "options"), Output("category", "options"), Input("choices-tick", "n_intervals"))
    async def menus(_tick: int | None) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        found = await asyncio.to_thread(data.choices)
        return render.options(found["brands"]), render.options(found["categories"])

    app.clientside_callback(SHOW_CUSTOM_RANGE, Output("custom-range", "style"), Input("range", "value"))
