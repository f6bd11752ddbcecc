"""Scoring details that must hold whatever the data."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sybilgraph.score import _cluster_values, _corroborated
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


@settings(max_examples=40, deadline=None)
@given(
    edges=st.lists(
        st.tuples(st.integers(0, 9), st.integers(0, 6), st.integers(1, 5)),  # account, value, n
        max_size=60,
        unique_by=lambda e: (e[0], e[1]),
    ),
    clusters=st.lists(st.integers(-1, 3), min_size=10, max_size=10),
    sort=st.booleans(),
)
def test_cluster_values_equal_a_join_and_grouping(
    edges: list[tuple[int, int, int]], clusters: list[int], sort: bool
) -> None:
    """The members' edges and their (cluster, value) groups are those of joining the edges to
    the members and grouping them by two keys, whether the edges come sorted by value or not."""
    table = pl.DataFrame(
        {
            "account": [e[0] for e in edges],
            "value": [e[1] for e in edges],
            "n_events": [e[2] for e in edges],
        },
        schema={"account": pl.UInt32, "value": pl.UInt32, "n_events": pl.Int64},
    )
    if sort:
        table = table.sort("value", "account")
    member = pl.DataFrame(
        {"account": list(range(10)), "cluster": clusters},
        schema={"account": pl.UInt32, "cluster": pl.Int64},
    ).filter(pl.col("cluster") >= 0)
    member_edges, groups = _cluster_values(table, member)
    joined = table.join(member, on="account")
    expected = joined.group_by("cluster", "value").agg(
        pl.len().cast(pl.Int64).alias("accounts_in_cluster"),
        pl.col("n_events").sum().alias("value_events"),
    )
    by_key = ["cluster", "value"]
    assert groups.drop("_group").sort(by_key).equals(expected.sort(by_key))
    assert groups.get_column("_group").to_list() == list(range(groups.height))
    # Each member edge once, with the group of its own cluster and value.
    labelled = member_edges.join(groups, on="_group").select(
        "account", "value", pl.col("cluster_right").alias("group_cluster"), "cluster", "n_events"
    )
    assert labelled.get_column("group_cluster").equals(labelled.get_column("cluster"))
    assert (
        labelled.drop("group_cluster")
        .sort("account", "value")
        .equals(joined.select("account", "value", "cluster", "n_events").sort("account", "value"))
    )
