"""Attaching lone accounts by sign-up burst and load-balanced volume."""

from __future__ import annotations

import polars as pl

from sybilgraph.cluster import Clustering
from sybilgraph.edges import EdgeTable
from sybilgraph.expand import expand
from sybilgraph.settings import Settings

U32 = pl.UInt32


def table(volumes: list[int], burst_accounts: list[int]) -> EdgeTable:
    accounts = pl.DataFrame(
        {"account": list(range(len(volumes))), "n_events": volumes},
        schema={"account": U32, "n_events": pl.Int64},
    )
    edges = pl.DataFrame(
        {"account": burst_accounts, "value": [0] * len(burst_accounts)},
        schema={"account": U32, "value": U32},
    )
    values = pl.DataFrame(
        {"value": [0], "signal_type": ["signup_burst"]},
        schema={"value": U32, "signal_type": pl.String},
    )
    return EdgeTable(edges, accounts, values)


def members(n: int) -> Clustering:
    return Clustering(
        pl.DataFrame(
            {"account": list(range(n)), "cluster": [0] * n, "subgroup": [0] * n},
            schema={"account": U32, "cluster": pl.Int64, "subgroup": pl.Int64},
        ),
        1,
    )


def attached(clustering: Clustering, n: int) -> set[int]:
    return set(clustering.membership["account"].to_list()) - set(range(n))


def test_burst_mate_with_the_clusters_volume_joins() -> None:
    # 30 members with 58-62 events; account 30 (61 events) was created with five of them.
    volumes = [58 + i % 5 for i in range(30)] + [61, 61, 7]
    out = expand(members(30), table(volumes, [0, 1, 2, 3, 4, 30, 32]), Settings())
    assert attached(out, 30) == {30}  # 31 shares no burst; 32 has an ordinary volume


def test_no_band_without_load_balancing() -> None:
    volumes = [2**i % 97 + 1 for i in range(30)] + [50]
    out = expand(members(30), table(volumes, [0, 1, 2, 3, 30]), Settings())
    assert attached(out, 30) == set()


def test_too_few_burst_mates_or_members() -> None:
    volumes = [60] * 30 + [60]
    assert attached(expand(members(30), table(volumes, [0, 1, 30]), Settings()), 30) == set()
    assert attached(expand(members(10), table([60] * 11, [0, 1, 2, 10]), Settings()), 10) == set()
