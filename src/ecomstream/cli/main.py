"""The `ecomstream` entry point: one command with subcommands."""

from __future__ import annotations

import sys

import click

from ecomstream import __version__
from ecomstream.cli.bench import bench_command
from ecomstream.cli.dashboard import dashboard_command, demo_command
from ecomstream.cli.kafka import process_command, produce_command
from ecomstream.cli.report import rejects_command, report_command
from ecomstream.cli.run import run_command
from ecomstream.errors import EcomstreamError
from ecomstream.profile.cli import profile_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ecomstream")
def cli() -> None:
    """Real-time analytics of e-commerce clickstream events."""


cli.add_command(run_command)
cli.add_command(report_command)
cli.add_command(rejects_command)
cli.add_command(bench_command)
cli.add_command(profile_command, "profile")
cli.add_command(dashboard_command)
cli.add_command(demo_command)
cli.add_command(produce_command)
cli.add_command(process_command)


def main() -> None:
    """Console entry point: errors of ours print as one clear line, exit 2."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except EcomstreamError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(2)
