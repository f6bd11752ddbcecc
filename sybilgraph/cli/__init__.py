"""The ``sybilgraph`` command line: a thin face over the library.

Each subcommand lives in its own module and is registered on the group below. Expected failures
(:class:`~sybilgraph.errors.SybilgraphError`) become one line on stderr and exit code 1 (data) or
2 (usage); click's own usage errors exit 2.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any

import click

from sybilgraph._version import __version__
from sybilgraph.cli._common import CONTEXT_SETTINGS
from sybilgraph.errors import SybilgraphError

__all__ = ["cli", "main"]


class Terminated(BaseException):
    """Raised by the SIGTERM handler so that partial outputs are cleaned up on the way out."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


class _Group(click.Group):
    """A group that turns library errors into one readable line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SybilgraphError as err:
            click.echo(f"Error: {err}", err=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted; no output was written.", err=True)
            ctx.exit(130)
        except Terminated:
            click.echo("Terminated; no output was written.", err=True)
            ctx.exit(143)


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="sybilgraph")
def cli() -> None:
    """Find coordinated fake-account operations in request and account logs.

    sybilgraph links accounts through the values they share (IPs, payment instruments, prompt
    templates, client fingerprints, sign-up bursts, synchronized timing), groups them with
    community detection and writes ranked, explained clusters.

    \b
    Example:
        sybilgraph generate --preset tiny --seed 1 -o data
        sybilgraph analyze data/events.parquet --accounts data/accounts.parquet -o out
        sybilgraph evaluate out --truth data/truth.csv
    """


def _register() -> None:
    from sybilgraph.cli import analyze, evaluate, explain, generate, report, validate

    for module in (validate, analyze, explain, report, evaluate, generate):
        cli.add_command(module.command)


_register()


def main() -> None:
    """Entry point of the console script.

    SIGTERM (what batch schedulers send) is turned into an exception so that a run stopped
    mid-way removes its temporary output directory and leaves the previous outputs untouched.
    """
    signal.signal(signal.SIGTERM, _on_sigterm)
    sys.exit(cli.main(standalone_mode=True))
