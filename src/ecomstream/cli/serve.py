"""Serving the dashboard, alone or beside an embedded pipeline, with a clean shutdown.

The web server runs in the main thread (it owns SIGINT/SIGTERM); the pipeline runs in a
background thread. Ctrl-C stops the server, then the pipeline, which commits what it
holds and marks itself stopped in the store. If the pipeline fails, the server stops
too and the error is raised here. When the source ends, `demo` keeps serving and `run`
stops (so scripts that run a file still end).
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

import click

from ecomstream.dashboard.settings import DashboardSettings
from ecomstream.pipeline.embedded import EmbeddedPipeline

if TYPE_CHECKING:
    from ecomstream.dashboard.server import DashboardServer

JOIN_TIMEOUT_S = 30.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def open_server(settings: DashboardSettings) -> DashboardServer:
    """The dashboard server, its port bound (a busy port raises ConfigError before anything starts)."""
    from ecomstream.dashboard.server import DashboardServer  # the web stack, only when serving

    return DashboardServer(settings)


def serve(server: DashboardServer, pipeline: EmbeddedPipeline | None = None, keep_serving: bool = True) -> None:
    """Serve until Ctrl-C, the pipeline's failure or (unless `keep_serving`) the end of its source."""
    settings = server.settings
    failures: list[BaseException] = []
    stopping = threading.Event()

    def work() -> None:
        assert pipeline is not None
        try:
            stats = pipeline.run()
        except BaseException as err:  # raised again in the main thread below
            failures.append(err)
            server.stop()
            return
        if stopping.is_set():
            return
        done = f"source finished: {stats.accepted:,} accepted, {stats.rejected:,} rejected"
        if keep_serving:
            click.echo(f"{done}; the dashboard keeps serving (Ctrl-C to stop)", err=True)
        else:
            click.echo(f"{done}; stopping (ecomstream dashboard serves the store alone)", err=True)
            server.stop()

    worker = threading.Thread(target=work, name="ecomstream-pipeline", daemon=True) if pipeline else None

    def interrupted(*_: object) -> None:
        stopping.set()
        if pipeline is not None:
            pipeline.stop.set()
        server.stop()

    previous = signal.signal(signal.SIGINT, interrupted)
    gate = " (token required: open it with ?token=...)" if settings.token else ""
    if not settings.token and settings.host not in LOOPBACK:
        click.echo(f"warning: serving on {settings.host} without --token: anyone who can reach it reads it", err=True)
    click.echo(f"dashboard: {server.url}{gate}", err=False)
    click.echo(f"api: {server.url}api/report · metrics: {server.url}metrics · Ctrl-C to stop", err=True)
    try:
        if worker is not None:
            worker.start()
        server.run()
    finally:
        stopping.set()
        if pipeline is not None and worker is not None:
            pipeline.stop.set()
            worker.join(JOIN_TIMEOUT_S)
        signal.signal(signal.SIGINT, previous)
    if failures:
        raise failures[0]
    if pipeline is not None:
        stats = pipeline.stats
        click.echo(f"stopped: {stats.accepted:,} accepted, {stats.rejected:,} rejected in this run", err=True)
