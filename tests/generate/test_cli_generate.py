"""``sybilgraph generate`` through click's test runner."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from sybilgraph.cli import cli


def test_help_has_an_example_block_with_line_breaks() -> None:
    result = CliRunner().invoke(cli, ["generate", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert "sybilgraph generate --preset tiny --seed 1 -o data" in lines
    for option in ("--preset", "--seed", "-o, --out", "--quiet"):
        assert option in result.output


def test_bad_preset_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["generate", "--preset", "huge", "-o", "x"])
    assert result.exit_code == 2
    assert "huge" in result.output


def test_missing_output_is_a_usage_error() -> None:
    assert CliRunner().invoke(cli, ["generate"]).exit_code == 2


def test_writes_the_files_into_a_new_directory_with_progress_on_stderr(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "data"
    result = CliRunner().invoke(
        cli, ["generate", "--preset", "tiny", "--seed", "2", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "op-01" in result.stderr
    assert "events" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "accounts.parquet",
        "events.parquet",
        "truth.csv",
    ]
    assert pl.read_csv(out / "truth.csv").height == pl.read_parquet(out / "accounts.parquet").height


def test_quiet_writes_nothing_to_the_terminal(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", "--seed", "2", "-o", str(tmp_path), "--quiet"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == ""
    assert (tmp_path / "events.parquet").exists()


@pytest.mark.parametrize("seed", ["-1", "abc"])
def test_bad_seed_is_a_usage_error(seed: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", "--seed", seed, "-o", str(tmp_path)])
    assert result.exit_code == 2
