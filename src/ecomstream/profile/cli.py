"""`ecomstream profile FILE... [--html report.html] [--json]`.

Terminal tables by default, JSON on stdout with `--json`, and a self-contained HTML page
with `--html`. Progress goes to stderr while large inputs are read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

from ecomstream.errors import EcomstreamError
from ecomstream.profile.render_html import to_html
from ecomstream.profile.render_json import to_json
from ecomstream.profile.render_terminal import to_terminal
from ecomstream.profile.run import profile_files

LARGE_INPUT_BYTES = 16 << 20
"""Inputs at least this large (on disk) show a progress bar."""


@click.command("profile")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write a self-contained HTML report (charts and tables, opens offline) to this path.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the profile as JSON on stdout instead of tables.")
def profile_command(files: tuple[Path, ...], html_path: Path | None, as_json: bool) -> None:
    """Profile whole CSV, gzip CSV or Parquet FILES (read one after another): rows, rejects,
    duplicates, per-field figures, prices, events, funnel, brands, categories, products."""
    errors = Console(stderr=True)
    try:
        profile = _run(list(files), errors)
    except EcomstreamError as err:
        raise click.ClickException(str(err)) from err
    for cut in truncated_files(profile):
        errors.print(f"warning: {cut}", highlight=False, markup=False)
    if html_path is not None:
        try:
            to_html(profile, html_path)
        except OSError as err:
            msg = f"cannot write the HTML report to {html_path}: {err.strerror}; choose another path"
            raise click.ClickException(msg) from err
        errors.print(f"Wrote {html_path}", highlight=False)
    if as_json:
        click.echo(to_json(profile))
    else:
        to_terminal(profile, Console())


def truncated_files(profile: dict) -> list[str]:
    """A sentence per profiled file that ends early."""
    return [
        f"{f['path']} ends early (its gzip stream is cut: a partial download?): its {f['rows']:,} whole rows "
        f"are profiled, the {f['cut_bytes']:,} bytes of an incomplete last row are not"
        for f in profile["files"]
        if f.get("truncated")
    ]


def _run(files: list[Path], errors: Console) -> dict:
    total = sum(path.stat().st_size for path in files if path.is_file())
    if not errors.is_terminal or total < LARGE_INPUT_BYTES:
        return profile_files(files)
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=errors, transient=True) as progress:
        task = progress.add_task("profiling", total=total)
        return profile_files(files, lambda done, _total: progress.update(task, completed=done))


if __name__ == "__main__":
    sys.exit(profile_command())
