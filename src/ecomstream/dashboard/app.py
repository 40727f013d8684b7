"""Building the web app: Dash on FastAPI, with the JSON API, the token gate and safe defaults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dash import Dash
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ecomstream.api import routes
from ecomstream.api.gate import Gate
from ecomstream.dashboard import callbacks
from ecomstream.dashboard.data import LiveData
from ecomstream.dashboard.layout import layout
from ecomstream.dashboard.settings import DashboardSettings
from ecomstream.store import open_store

ANY_ADDRESS = {"0.0.0.0", "::", ""}


@dataclass(slots=True)
class WebApp:
    """The Dash app, its ASGI server object, and what to close when it stops."""

    dash: Dash
    close: Callable[[], None]

    @property
    def asgi(self):  # the FastAPI app
        return self.dash.server


def allowed_hosts(host: str) -> list[str]:
    """Host headers accepted: the loopback names, plus the bound address (any, when bound to all)."""
    if host in ANY_ADDRESS:
        return ["*"]
    return sorted({"127.0.0.1", "localhost", host})


def create_app(settings: DashboardSettings) -> WebApp:
    """The dashboard page, the JSON API under /api and /metrics, on one FastAPI server."""
    app = Dash(
        __name__,
        backend="fastapi",
        title="ecomstream",
        update_title=None,
        serve_locally=True,
        assets_folder=str(Path(__file__).with_name("assets")),
    )
    app.layout = layout(settings.store_url, settings.refresh_ms)
    data = LiveData(settings.store_url)
    api_store = open_store(settings.store_url, create=False)
    callbacks.register(app, data)
    server = app.server
    routes.install(server, api_store)
    server.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings.host))
    server.add_middleware(Gate, token=settings.token)

    def close() -> None:
        data.close()
        api_store.close()

    return WebApp(app, close)
