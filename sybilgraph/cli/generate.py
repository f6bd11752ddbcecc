"""``sybilgraph generate``: write a synthetic scenario with planted operations and its truth."""

from __future__ import annotations

from pathlib import Path

import click

from sybilgraph.cli._common import CONTEXT_SETTINGS
from sybilgraph.generate import PRESETS, generate

__all__ = ["command"]


@click.command(name="generate", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--preset",
    type=click.Choice(list(PRESETS)),
    default="tiny",
    show_default=True,
    help="Scenario size: tiny (~3k accounts, tests), sample (~20k, ships in sample_data/), "
    "medium (~200k), article (2M accounts and the 25,000-account, 28.8M-request operation).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of every random draw; the same preset and seed give byte-identical files.",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory (created if missing); existing files of the same names are replaced.",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not report progress on stderr.")
def command(preset: str, seed: int, out_dir: Path, quiet: bool) -> None:
    """Write a synthetic scenario: a benign population, look-alikes and planted operations.

    Writes events.parquet (one row per request), accounts.parquet (one row per account) and
    truth.csv (account_id, operation_id, kind for every account) to the output directory.
    The presets and every parameter are described in docs/scenarios.md.

    \b
    Example:
        sybilgraph generate --preset tiny --seed 1 -o data
        sybilgraph generate --preset sample --seed 7 -o sample_data
    """

    def progress(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    report = generate(preset, seed, out_dir, progress=progress)
    for line in report.lines():
        progress(line)
