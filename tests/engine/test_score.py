"""Scoring details that must hold whatever the data."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sybilgraph.score import _corroborated
from sybilgraph.score_kernel import member_strength


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


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 5),  # member
            st.integers(0, 3),  # family
            st.integers(0, 3),  # grid code (0: not gridded)
            st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5, 0.9, 1.0]),
        ),
        max_size=60,
    )
)
def test_member_strength_equals_grouping_by_piece(
    rows: list[tuple[int, int, int, float]],
) -> None:
    """The compiled strength is the table formulation: the maximum per piece (a gridded type
    is one piece; any other row is a piece of its own), then the two strongest pieces of a
    (member, family) as ``1 - (1 - w1)(1 - w2)``, bit for bit."""
    frame = pl.DataFrame(
        {
            "m": [r[0] for r in rows],
            "f": [r[1] for r in rows],
            "g": [r[2] for r in rows],
            "w": [r[3] for r in rows],
        },
        schema={"m": pl.Int64, "f": pl.Int64, "g": pl.Int64, "w": pl.Float64},
    ).with_row_index("row")
    w = pl.col("w")
    second = pl.when(pl.len() >= 2).then(w.top_k(2).min()).otherwise(0.0)
    expected = (
        frame.with_columns(
            pl.when(pl.col("g") > 0).then(-pl.col("g")).otherwise(pl.col("row")).alias("piece")
        )
        .group_by("m", "f", "piece")
        .agg(w.max())
        .group_by("m", "f")
        .agg((1.0 - (1.0 - w.max()) * (1.0 - second)).alias("s"))
        .sort("m", "f")
    )
    m, f, s = member_strength(
        frame["m"].to_numpy(),
        frame["f"].to_numpy(),
        frame["g"].to_numpy(),
        frame["w"].to_numpy(),
        6,
        4,
        4,
    )
    assert m.tolist() == expected["m"].to_list()
    assert f.tolist() == expected["f"].to_list()
    assert s.tolist() == expected["s"].to_list()
