"""The sample data shipped in the repository is exactly what its documented command writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sybilgraph.generate import generate

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
FILES = ("events.parquet", "accounts.parquet", "truth.csv")


@pytest.mark.skipif(not (SAMPLE / "truth.csv").exists(), reason="sample_data/ not generated")
def test_sample_data_equals_a_fresh_generation(tmp_path: Path) -> None:
    report = generate("sample", seed=7, out_dir=tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), (
            f"sample_data/{name} is stale: run 'make sample-data'"
        )
    # The shipped sample must stay small enough to live in git.
    assert sum(report.file_sizes.values()) <= 15_000_000
