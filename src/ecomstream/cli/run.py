"""`ecomstream run`: the pipeline on files or the generator, with a live terminal view."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from ecomstream.cli.live_view import LiveView
from ecomstream.cli.options import dashboard_options, option, stacked, store_option
from ecomstream.cli.serve import open_server, serve
from ecomstream.dashboard.settings import DashboardSettings
from ecomstream.errors import ConfigError
from ecomstream.pipeline.embedded import EmbeddedPipeline, SourceSpec
from ecomstream.processor.loop import ProcessorSettings
from ecomstream.sources.files import check_file
from ecomstream.sources.pacing import Pace
from ecomstream.store import open_store


def source_options(command=None, *, time_default: str = "original"):
    """Options that choose and pace the source, shared by `run`, `demo` and `produce`.

    Use as `@source_options`, or `@source_options(time_default="now")` for another default.
    """
    decorators = [
        option(
            "--source",
            "sources",
            env="SOURCE",
            multiple=True,
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="CSV, gzip CSV or Parquet file; repeat for several files read in a row. "
            "Without it, the synthetic generator runs.",
        ),
        option("--rate", env="RATE", type=click.FloatRange(min=0, min_open=True), default=None,
               help="Hand events on at N events/s."),
        option("--speed", env="SPEED", type=click.FloatRange(min=0, min_open=True), default=None,
               help="Replay at X times the original gaps between event times."),
        option("--time", "time_mode", env="TIME", type=click.Choice(["original", "now"]), default=time_default,
               help="Keep event times, or shift them so the replay starts now."),
        option("--seed", env="SEED", type=int, default=0, help="Seed of the generator."),
        option("--limit", env="LIMIT", type=click.IntRange(min=0), default=None,
               help="Stop the generator after N events."),
    ]  # fmt: skip

    def decorate_all(command):
        return stacked(command, decorators)

    return decorate_all if command is None else decorate_all(command)


def processor_options(command):
    decorators = [
        option("--batch-size", env="BATCH_SIZE", type=click.IntRange(min=1), default=500_000,
               help="Largest micro-batch, in events."),
        option("--batch-wait-ms", env="BATCH_WAIT_MS", type=click.IntRange(min=0), default=200,
               help="Longest wait to fill a micro-batch."),
        option("--lateness", env="LATENESS", type=click.FloatRange(min=0), default=2.0,
               help="Allowed lateness in seconds: the watermark trails the largest event time by this."),
    ]  # fmt: skip
    return stacked(command, decorators)


def make_spec(sources, rate, speed, time_mode, seed, limit) -> SourceSpec:
    if rate and speed:
        raise click.UsageError("give --rate or --speed, not both")
    for path in sources:
        check_file(Path(path))
    return SourceSpec(
        files=list(sources),
        seed=seed,
        limit=limit,
        pace=Pace(rate=rate, speed=speed),
        time_now=time_mode == "now",
    )


def run_with_view(pipeline: EmbeddedPipeline, quiet: bool) -> None:
    """Run a pipeline in this thread, with the live view refreshed from another; Ctrl-C stops it."""
    previous = signal.signal(signal.SIGINT, lambda *_: pipeline.stop.set())
    try:
        if quiet:
            pipeline.run()
            return
        with LiveView(lambda: pipeline.stats, lambda: pipeline.bus.held) as view:
            done = threading.Event()

            def refresh() -> None:
                while not done.wait(0.5):
                    view.refresh()

            refresher = threading.Thread(target=refresh, daemon=True)
            refresher.start()
            try:
                pipeline.run()
            finally:
                done.set()
                refresher.join()
    finally:
        signal.signal(signal.SIGINT, previous)


@click.command("run")
@source_options
@processor_options
@store_option
@option("--no-dashboard", env="NO_DASHBOARD", is_flag=True, help="Run the pipeline without the web dashboard.")
@dashboard_options
@option("--quiet", env="QUIET", is_flag=True, help="No live view (for scripts).")
def run_command(sources, rate, speed, time_mode, seed, limit, batch_size, batch_wait_ms, lateness, store,
                no_dashboard, host, port, token, refresh_ms, quiet) -> None:  # fmt: skip
    """Run the embedded pipeline: sources -> memory bus -> processor -> store.

    File sources end the run once read and committed (exit 0); run the same command again
    after a crash and it resumes where it committed. The dashboard serves beside the
    pipeline while it runs (not with --no-dashboard, nor when its port is busy: a warning
    says so); `ecomstream dashboard` serves a store alone.
    """
    spec = make_spec(sources, rate, speed, time_mode, seed, limit)
    settings = ProcessorSettings(max_rows=batch_size, max_wait_ms=batch_wait_ms, lateness_s=lateness)
    with open_store(store) as opened:
        pipeline = EmbeddedPipeline(opened, spec, settings)
        server = None
        if not no_dashboard:
            try:
                server = open_server(DashboardSettings(opened.url, host, port, token, refresh_ms))
            except ConfigError as err:  # the pipeline matters more than its page
                click.echo(f"warning: running without the dashboard: {err}", err=True)
        if server is not None:
            serve(server, pipeline, keep_serving=False)
        else:
            run_with_view(pipeline, quiet)
        if not quiet:
            stats = pipeline.stats
            click.echo(
                f"done: {stats.accepted:,} accepted, {stats.rejected:,} rejected, "
                f"{stats.duplicates:,} already committed; store {opened.url}",
                err=True,
            )
