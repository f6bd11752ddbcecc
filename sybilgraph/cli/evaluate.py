"""``sybilgraph evaluate``: score a run against the scenario generator's truth."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sybilgraph.cli._common import CONTEXT_SETTINGS
from sybilgraph.evaluation import evaluate

__all__ = ["command"]


@click.command(name="evaluate", context_settings=CONTEXT_SETTINGS)
@click.argument("out_dir", metavar="OUT", type=click.Path(path_type=Path))
@click.option(
    "--truth",
    "truth_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Truth table (CSV or Parquet): account_id, operation_id (empty = benign), kind.",
)
@click.option(
    "--json",
    "json_path",
    metavar="FILE|-",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Also write every metric as JSON to FILE; '-' writes the JSON to stdout instead of "
    "the table.",
)
@click.option(
    "--min-op-size",
    type=click.IntRange(min=1),
    default=15,
    show_default=True,
    help="Operations with fewer accounts are listed but left out of the ranking and the "
    "per-operation checks.",
)
def command(out_dir: Path, truth_path: Path, json_path: str | None, min_op_size: int) -> None:
    """Score the output directory OUT of 'sybilgraph analyze' against a truth table.

    Prints account-level precision, recall and F1 of the flagged clusters, the adjusted Rand
    index against the planted operations, one row per operation (recall, spread, main cluster,
    rank, purity), the false-positive rate of each benign look-alike kind, and the acceptance
    checks. The exit code is 0 whether or not the checks pass; it is 1 when a file is missing
    or invalid.

    \b
    Example:
        sybilgraph evaluate out --truth data/truth.csv
        sybilgraph evaluate out --truth data/truth.csv --json scores.json
        sybilgraph evaluate out --truth data/truth.csv --json - | jq .checks
    """
    # Missing or invalid inputs raise InputError, which the group turns into one line, exit 1.
    result = evaluate(out_dir, truth_path, min_op_size=min_op_size)
    if json_path is None or json_path != "-":
        click.echo(result.to_table(), nl=False)
    if json_path is not None:
        text = json.dumps(result.to_dict(), indent=2) + "\n"
        try:
            with click.open_file(json_path, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as err:
            raise click.ClickException(
                f"{json_path}: cannot write the JSON report: {err.strerror or err}"
            ) from err
