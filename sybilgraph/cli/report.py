"""``sybilgraph report``: rebuild ``report.html`` from an output directory."""

from __future__ import annotations

from pathlib import Path

import click

from sybilgraph.cli._common import CONTEXT_SETTINGS
from sybilgraph.export.report import write_report

__all__ = ["command"]


@click.command(name="report", context_settings=CONTEXT_SETTINGS)
@click.argument(
    "out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    "dest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the page. Default: OUT/report.html.",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Highest-ranked clusters that get a detailed section.",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not say where the page was written.")
def command(out_dir: Path, dest: Path | None, top: int, quiet: bool) -> None:
    """Build the HTML report of the output directory OUT of 'sybilgraph analyze'.

    One self-contained page that opens offline and runs no script: the run's inputs, counts,
    rejects and stage timings; the ranked clusters; a chart of cluster scores; and for each
    top cluster its summary, evidence, members, a timeline of sign-ups and first activity, and
    how exclusive its shared values are. Works from CSV or Parquet outputs, without rerunning.

    \b
    Example:
        sybilgraph report out
        sybilgraph report out -o share/cases-2025-06-05.html --top 25
    """
    # A directory that is not an analyze output raises InputError: one line, exit code 1.
    try:
        path = write_report(out_dir, dest, top=top)
    except OSError as err:
        target = dest or out_dir / "report.html"
        raise click.ClickException(
            f"{target}: cannot write the report: {err.strerror or err}"
        ) from err
    if not quiet:
        click.echo(f"Wrote {path}", err=True)
