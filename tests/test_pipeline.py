"""End-to-end properties of the pipeline on a small hand-built population."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

import sybilgraph
from sybilgraph import pipeline
from sybilgraph.pipeline import run
from sybilgraph.settings import Settings

#: The manifest and the report record how long each stage took and how much memory it used;
#: every table is byte-identical.
TIMED = {"summary.json", "report.html"}


def digest(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.name not in TIMED
    }


def test_ring_is_found_whole_and_ranked_first(
    population: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    events, accounts = population
    result = sybilgraph.analyze(events, accounts)
    top = result.clusters.row(0, named=True)
    assert top["flagged"]
    members = set(result.members.filter(pl.col("cluster_id") == top["cluster_id"])["account_id"])
    ring = {f"ring-{i:03d}" for i in range(30)}
    assert members == ring
    flagged = result.clusters.filter(pl.col("flagged"))
    assert flagged.height == 1


def test_every_account_in_at_most_one_cluster(
    population: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    result = sybilgraph.analyze(*population)
    assert result.members["account_id"].is_unique().all()


def test_same_inputs_and_seed_give_byte_identical_outputs(
    population: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    events, accounts = population
    sybilgraph.analyze(events, accounts, Settings(seed=3)).write(tmp_path / "one")
    # Shuffled input rows must not change the result either.
    shuffled = events.sample(fraction=1.0, shuffle=True, seed=1)
    sybilgraph.analyze(shuffled, accounts, Settings(seed=3)).write(tmp_path / "two")
    one, two = digest(tmp_path / "one"), digest(tmp_path / "two")
    assert set(one) == {"clusters.csv", "members.csv", "evidence.csv", "links.csv", "rejects.csv"}
    assert one == two


@pytest.mark.parametrize("share", [1.0, 0.7])
def test_a_value_shared_by_most_accounts_does_not_weld_the_population(
    population: tuple[pl.DataFrame, pl.DataFrame], share: float
) -> None:
    events, accounts = population
    ids = events["account_id"].unique().sort()
    hub_accounts = set(ids.head(int(share * ids.len())).to_list())
    hubbed = events.with_columns(
        pl.when(pl.col("account_id").is_in(list(hub_accounts)))
        .then(pl.lit("everyone-device"))
        .otherwise(None)
        .alias("device_id")
    )
    result = sybilgraph.analyze(hubbed, accounts)
    assert result.clusters["n_accounts"].max() < 100
    top = result.clusters.row(0, named=True)
    assert top["n_accounts"] == 30
    assert top["flagged"]
    # The hub value stays visible as evidence where it is shared inside a cluster.
    assert result.summary["counts"]["values_capped"] >= 1


def test_manifest_records_settings_counts_and_stage_timings(
    population: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    result = sybilgraph.analyze(*population, settings={"seed": 9})
    summary = result.summary
    assert summary["settings"]["seed"] == 9
    assert [s["stage"] for s in summary["stages"]] == [
        "load",
        "signals",
        "weigh",
        "link",
        "cluster",
        "expand",
        "score",
    ]
    assert summary["peak_memory_mb"] > 0
    assert summary["counts"]["accounts"] == 630


def test_padded_and_clean_spellings_of_a_value_are_one_value() -> None:
    events = pl.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "device_id": [" d1", "d1\t", "d1", "d2"],
            "user_agent": ["curl", " curl ", "wget", "wget"],
        }
    )
    values = run(events).table.values
    shared = sorted(values.select("signal_type", "signal_value", "degree").rows())
    assert shared == [("device_id", "d1", 3), ("user_agent", "curl", 2), ("user_agent", "wget", 2)]


def test_spool_in_memory_and_on_disk_give_byte_identical_outputs(
    population: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small event files are spooled in memory, larger ones to Parquet; the results agree."""
    events, accounts = population
    events.write_parquet(tmp_path / "events.parquet")
    accounts.write_parquet(tmp_path / "accounts.parquet")
    paths = (tmp_path / "events.parquet", tmp_path / "accounts.parquet")
    lines: list[str] = []
    assert pipeline._small(paths[0])
    sybilgraph.analyze(*paths, Settings(seed=3), progress=lines.append).write(tmp_path / "memory")
    monkeypatch.setattr(pipeline, "MEMORY_SPOOL_BYTES", 0)
    assert not pipeline._small(paths[0])
    sybilgraph.analyze(*paths, Settings(seed=3), progress=lines.append).write(tmp_path / "disk")
    assert digest(tmp_path / "memory") == digest(tmp_path / "disk")
    # Both runs used the spool written while loading, not a second pass over the input.
    assert any("activity of" in line for line in lines)
    assert not any("events spooled" in line for line in lines)
