"""Fixtures of the export tests: a run over hostile input and its output directory."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from _hostile import hostile_population, write_outputs

import sybilgraph


@pytest.fixture(scope="session")
def hostile_analysis(population: tuple[pl.DataFrame, pl.DataFrame]) -> sybilgraph.Analysis:
    events, accounts = hostile_population(population)
    return sybilgraph.analyze(events, accounts)


@pytest.fixture(scope="session")
def hostile_out(
    hostile_analysis: sybilgraph.Analysis, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return write_outputs(hostile_analysis, tmp_path_factory.mktemp("hostile") / "out")
