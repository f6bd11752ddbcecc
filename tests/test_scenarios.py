"""Detection quality of the real pipeline on generated scenarios.

Both tests assert all six acceptance checks of ``sybilgraph evaluate`` (docs/evaluation.md):
the bundled sample, and medium seed 1 generated afresh (slow).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sybilgraph
from sybilgraph.evaluation import Evaluation
from sybilgraph.generate import generate

ROOT = Path(__file__).resolve().parents[1]


def evaluate_run(data: Path, out: Path) -> Evaluation:
    result = sybilgraph.analyze(data / "events.parquet", data / "accounts.parquet")
    result.write(out)
    return sybilgraph.evaluate(out, data / "truth.csv")


def assert_quality(ev: Evaluation) -> None:
    checks = ev.passes()
    assert set(checks) == {
        "op_recall",
        "op_main_share",
        "precision",
        "ops_rank_above_benign",
        "lookalike_fpr",
        "ari",
    }
    failed = [name for name, ok in checks.items() if not ok]
    assert not failed, ev.to_table()


def test_sample_scenario(tmp_path: Path) -> None:
    assert_quality(evaluate_run(ROOT / "sample_data", tmp_path / "out"))


@pytest.mark.slow
def test_medium_scenario_held_out_seed(tmp_path: Path) -> None:
    data = tmp_path / "medium"
    generate("medium", 1, data)
    assert_quality(evaluate_run(data, tmp_path / "out"))
