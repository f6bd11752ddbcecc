"""``sybilgraph validate``: load inputs and report on them, without analysing anything."""

from __future__ import annotations

import json

import click

from sybilgraph.cli._common import CONTEXT_SETTINGS
from sybilgraph.load import parse_column_maps, read_accounts, read_input
from sybilgraph.load.report import build_report, render_text
from sybilgraph.settings import Settings

__all__ = ["command"]


@click.command(name="validate", context_settings=CONTEXT_SETTINGS)
# Inputs are plain strings, not click.Path(exists=True): a quoted glob such as 'logs/*.csv.gz'
# does not exist as a path, and a missing file must exit 1 (data error) like any other.
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True)
@click.option(
    "--accounts",
    "accounts_path",
    metavar="PATH",
    help="Accounts table (file, glob or directory) to validate as well.",
)
@click.option(
    "--map",
    "maps",
    metavar="THEIRS=OURS",
    multiple=True,
    help="Read column THEIRS as the contract's column OURS (repeatable), "
    "e.g. --map user=account_id.",
)
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(exists=True, dir_okay=False),
    help="TOML settings file; its [columns] table maps column names, --map adds to it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(
    inputs: tuple[str, ...],
    accounts_path: str | None,
    maps: tuple[str, ...],
    settings_path: str | None,
    as_json: bool,
) -> None:
    """Check that INPUT (events or edges) can be read, and report what it holds.

    INPUT is one or more files, quoted globs or directories (searched recursively, Hive
    'key=value' folders included) of CSV, TSV, Parquet or NDJSON, optionally gzip- or
    zstd-compressed. Prints the files read (format, compression, size, rows), rows loaded and
    rejected, distinct accounts, time range, signal columns, null rate per column, rejected rows
    by reason and values dropped, without running the analysis.

    Exit code 0 when the input loads (even with rejected rows), 1 when a file cannot be read
    or lacks an account_id column, 2 on a usage error.

    \b
    Example:
        sybilgraph validate data/events.parquet --accounts data/accounts.parquet
        sybilgraph validate 'logs/2024-*.csv.gz' --map user=account_id --map client_ip=ip
        sybilgraph validate logs/ --settings sybilgraph.toml --json
    """
    settings = Settings.from_toml(settings_path) if settings_path else Settings()
    if maps:
        settings = settings.replace(columns={**settings.columns, **parse_column_maps(maps)})
    reports = [("input", build_report(read_input(list(inputs), settings)))]
    if accounts_path is not None:
        reports.append(("accounts", build_report(read_accounts(accounts_path, settings))))
    if as_json:
        payload = {name: report.to_dict() for name, report in reports}
        click.echo(json.dumps(payload, indent=2))
    else:
        click.echo("\n\n".join(render_text(report) for _, report in reports))
