"""A run over hostile input: values an adversary would choose, and how to write its outputs."""

from __future__ import annotations

from pathlib import Path

import polars as pl

import sybilgraph
from sybilgraph.export import write_table
from sybilgraph.export.outputs import cluster_links

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
#: Ring accounts renamed to values an adversary would choose.
HOSTILE_IDS = {
    "ring-000": FORMULA,
    "ring-001": SCRIPT,
    "ring-002": '"><img src=x onerror=alert(1)>',
    "ring-003": "ring\x1b]0;retitled\x07-003",
    "ring-004": "</style><style>body{display:none}</style>",
}


def hostile_population(
    population: tuple[pl.DataFrame, pl.DataFrame],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The shared population with ring ids, a card, a template and the client string made
    hostile, so they show up in members and evidence."""
    events, accounts = population
    rename = pl.col("account_id").replace(HOSTILE_IDS)
    events = events.with_columns(
        rename,
        pl.when(pl.col("user_agent") == "ua-ring")
        .then(pl.lit(SCRIPT))
        .otherwise(pl.col("user_agent"))
        .alias("user_agent"),
        pl.when(pl.col("prompt_fingerprint") == "tmpl-0")
        .then(pl.lit(FORMULA))
        .otherwise(pl.col("prompt_fingerprint"))
        .alias("prompt_fingerprint"),
    )
    accounts = accounts.with_columns(
        rename,
        pl.when(pl.col("payment_fingerprint") == "prepaid-0")
        .then(pl.lit(SCRIPT))
        .otherwise(pl.col("payment_fingerprint"))
        .alias("payment_fingerprint"),
    )
    return events, accounts


def write_outputs(
    analysis: sybilgraph.Analysis, path: Path, fmt: str = "csv", *, links: bool = True
) -> Path:
    """Write ``analysis`` like ``analyze`` does, plus the member–value ``links`` table."""
    analysis.write(path, fmt, overwrite=True)
    if links:
        run = analysis._run
        accounts = run.table.accounts.join(
            analysis.members.select("account_id", "cluster_id"), on="account_id"
        )
        frame = cluster_links(run.table.edges, accounts, run.table.values, analysis.evidence)
        write_table(frame, path, "links", fmt)
    return path
