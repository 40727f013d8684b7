"""Serving the web app with uvicorn on a socket we bind ourselves, so errors are clear."""

from __future__ import annotations

import socket

import uvicorn

from ecomstream.dashboard.app import WebApp, create_app
from ecomstream.dashboard.settings import DashboardSettings
from ecomstream.errors import ConfigError


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on host:port (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they
    # are TCP; with Nagle on, every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        msg = f"cannot listen on {host}:{port}: {err.strerror}; pass another --port (0 picks a free one) or --host"
        raise ConfigError(msg) from err
    return sock


class DashboardServer:
    """The dashboard and API on one uvicorn server; `run` blocks, `stop` ends it from any thread."""

    def __init__(self, settings: DashboardSettings) -> None:
        self.settings = settings
        self.socket = bind(settings.host, settings.port)
        host, port = self.socket.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}/"
        self.web: WebApp = create_app(settings)
        config = uvicorn.Config(
            self.web.asgi,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=3,
            server_header=False,
        )
        self.server = uvicorn.Server(config)

    def run(self) -> None:
        """Serve until `stop` (or SIGINT/SIGTERM when run in the main thread)."""
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()
            self.web.close()

    def stop(self) -> None:
        self.server.should_exit = True
