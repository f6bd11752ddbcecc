"""``sybilgraph analyze``: the main job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import polars as pl

from sybilgraph.api import analyze
from sybilgraph.cli._common import CONTEXT_SETTINGS
from sybilgraph.errors import InputError
from sybilgraph.export.pseudonymize import key_from_env
from sybilgraph.load import parse_column_maps
from sybilgraph.settings import Settings


def resolve_settings(
    settings_file: str | None,
    maps: tuple[str, ...],
    signals: tuple[str, ...],
    overrides: dict[str, Any],
) -> Settings:
    """Settings from a TOML file, then ``--map``/``--signal``, then explicit options."""
    base = Settings.from_toml(settings_file) if settings_file else Settings()
    changes: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    if maps:
        changes["columns"] = {**base.columns, **parse_column_maps(maps)}
    if signals:
        changes["extra_signals"] = tuple(dict.fromkeys((*base.extra_signals, *signals)))
    return base.replace(**changes) if changes else base


def top_table(clusters: pl.DataFrame, limit: int = 10) -> str:
    """A plain-text table of the highest-ranked clusters."""
    if clusters.height == 0:
        return "No clusters found."
    rows = [("rank", "cluster", "score", "flag", "accounts", "events", "summary")]
    for r in clusters.head(limit).iter_rows(named=True):
        summary = r["summary"] if len(r["summary"]) <= 90 else r["summary"][:87] + "..."
        rows.append(
            (
                str(r["rank"]),
                r["cluster_id"],
                f"{r['score']:.3f}",
                "yes" if r["flagged"] else "",
                f"{r['n_accounts']:,}",
                f"{r['n_events']:,}",
                summary,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if i in (0, 2, 4, 5) else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row[:-1], widths, strict=True))
        ]
        lines.append("  ".join([*cells, row[-1]]))
    more = clusters.height - limit
    if more > 0:
        lines.append(f"... and {more:,} more clusters in clusters.csv")
    return "\n".join(lines)


@click.command(name="analyze", context_settings=CONTEXT_SETTINGS)
@click.argument("events", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--accounts",
    "accounts",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Account table(s): created_at, email, payment_fingerprint, signup_ip, ...",
)
@click.option(
    "--edges",
    "edges",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Pre-aggregated account_id, signal_type, signal_value edges.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Output directory (written atomically).",
)
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(exists=True, dir_okay=False),
    help="TOML settings file (see docs/settings.md).",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="THEIRS=OURS",
    help="Map an input column to a contract column, e.g. --map client_ip=ip.",
)
@click.option(
    "--signal",
    "signals",
    multiple=True,
    metavar="COLUMN",
    help="Treat this string column as an extra signal type.",
)
@click.option("--seed", type=int, default=None, help="Seed of every random step.")
@click.option(
    "--memory-limit",
    "memory_limit_mb",
    type=click.IntRange(min=0),
    default=None,
    metavar="MIB",
    help="Memory budget of the pair-scoring stage in MiB (the memory_limit_mb setting).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="Format of the output tables.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
@click.option(
    "--unsafe-csv",
    is_flag=True,
    help="Write cells verbatim, without neutralising spreadsheet formulas.",
)
@click.option(
    "--top", type=int, default=10, show_default=True, help="Clusters shown in the closing table."
)
@click.option(
    "--pseudonymize",
    is_flag=True,
    help="Replace account ids, org ids and signal values by keyed HMAC-SHA256 pseudonyms.",
)
@click.option(
    "--key-env",
    default="SYBILGRAPH_KEY",
    show_default=True,
    metavar="VAR",
    help="Environment variable holding the pseudonymisation key (never pass keys as options).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or table; errors only.")
def command(
    events: tuple[Path, ...],
    accounts: tuple[Path, ...],
    edges: tuple[Path, ...],
    output: Path,
    settings_file: str | None,
    maps: tuple[str, ...],
    signals: tuple[str, ...],
    seed: int | None,
    memory_limit_mb: int | None,
    fmt: str,
    overwrite: bool,
    unsafe_csv: bool,
    pseudonymize: bool,
    key_env: str,
    top: int,
    quiet: bool,
) -> None:
    """Find, rank and explain clusters of coordinated accounts.

    EVENTS are request logs (CSV, TSV, Parquet, NDJSON; gzip/zstd; files, globs or
    directories). Writes clusters, members, evidence, rejects and summary.json to OUTPUT.

    \b
    Example:
        sybilgraph analyze sample_data/events.parquet \\
            --accounts sample_data/accounts.parquet -o out
        sybilgraph analyze logs/ --map client_ip=ip --signal tenant -o out --overwrite
        SYBILGRAPH_KEY=... sybilgraph analyze logs/ -o shareable --pseudonymize
    """
    if not events and not edges and not accounts:
        raise click.UsageError("give at least one EVENTS path, --edges or --accounts")
    if output.exists() and not overwrite and (not output.is_dir() or any(output.iterdir())):
        # Refuse before the analysis, not after a long run.
        raise InputError(
            f"{output}: output directory exists and is not empty; pass --overwrite to replace it"
        )
    settings = resolve_settings(
        settings_file, maps, signals, {"seed": seed, "memory_limit_mb": memory_limit_mb}
    )
    key = key_from_env(key_env) if pseudonymize else None

    def progress(line: str) -> None:
        click.echo(line, err=True)

    result = analyze(
        list(events) or None,
        list(accounts) or None,
        settings,
        edges=list(edges) or None,
        progress=None if quiet else progress,
    )
    result.write(output, fmt, overwrite=overwrite, safe=not unsafe_csv, pseudonymize_key=key)
    if not quiet:
        counts = result.summary["counts"]
        click.echo(
            f"Wrote {output}: {counts['clusters']:,} clusters, {counts['flagged_clusters']:,} "
            f"flagged ({counts['flagged_accounts']:,} accounts); "
            f"{result.summary['rows_rejected']:,} rows rejected.",
            err=True,
        )
        click.echo(top_table(result.clusters, top))
