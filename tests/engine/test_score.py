"""Scoring details that must hold whatever the data."""

from __future__ import annotations

import math

import polars as pl
import pytest

from sybilgraph.score import _corroborated


@pytest.mark.parametrize(
    ("strengths", "expected"),
    [
        ([0.8], 0.0),  # one family never convicts
        ([1.0, 1.0], 1.0),  # certain families stay finite
        ([0.64, 0.25], math.sqrt(0.64 * 0.25)),
        ([0.5, 0.5, 0.5], math.sqrt(0.5 * 0.75)),
    ],
)
def test_corroboration(strengths: list[float], expected: float) -> None:
    got = pl.DataFrame({"s": strengths}).select(_corroborated(pl.col("s"))).item()
    assert math.isfinite(got)
    assert got == pytest.approx(expected, abs=1e-6)
