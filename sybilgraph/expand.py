"""Stage 6b: attach camouflaged members that share no rare value with their operation.

An operation's camouflaged accounts (their own card, residential IPs of their own, cover-traffic
prompts) may share no value rare enough to link them, so the cluster stage leaves them out. Two
independent kinds of evidence can still tie such an account to one specific cluster:

* **creation**: it was created in the same sign-up window as at least ``expand_min_burst``
  members of the cluster;
* **coordination**: the cluster spreads its traffic evenly over its accounts (a tight band of
  events per account, measured on at least 20 members) and the account's own volume falls in
  that band, which ordinary accounts, with their heavy-tailed volumes, rarely do.

Only accounts that are in no cluster are considered, and each joins at most one cluster (the one
with the most burst-mates), so this step cannot merge or chain clusters.
"""

from __future__ import annotations

import polars as pl

from sybilgraph.cluster import Clustering
from sybilgraph.edges import EdgeTable
from sybilgraph.settings import Settings

__all__ = ["expand"]

#: Members needed to measure a cluster's volume band.
_MIN_BAND_MEMBERS = 20


def expand(clustering: Clustering, table: EdgeTable, settings: Settings) -> Clustering:
    """Attach lone accounts created in a cluster's sign-up bursts with its per-account volume.

    Examples
    --------
    >>> import polars as pl
    >>> from sybilgraph.edges import EdgeTable
    >>> members = pl.DataFrame({"account": list(range(25)), "cluster": [0] * 25,
    ...     "subgroup": [0] * 25}, schema={"account": pl.UInt32, "cluster": pl.Int64,
    ...     "subgroup": pl.Int64})
    >>> accounts = pl.DataFrame({"account": list(range(27)), "n_events": [60] * 26 + [7]},
    ...     schema={"account": pl.UInt32, "n_events": pl.Int64})
    >>> edges = pl.DataFrame({"account": [0, 1, 2, 25, 26], "value": [9] * 5},
    ...     schema={"account": pl.UInt32, "value": pl.UInt32})
    >>> values = pl.DataFrame({"value": [9], "signal_type": ["signup_burst"]},
    ...     schema={"value": pl.UInt32, "signal_type": pl.String})
    >>> out = expand(Clustering(members, 1), EdgeTable(edges, accounts, values), Settings())
    >>> sorted(set(out.membership["account"].to_list()) - set(range(25)))
    [25]
    """
    membership = clustering.membership
    if membership.height == 0 or settings.expand_min_burst <= 0:
        return clustering
    volume = table.accounts.select("account", "n_events")
    bands = (
        membership.join(volume, on="account")
        .group_by("cluster")
        .agg(
            pl.len().alias("_n"),
            pl.col("n_events").cast(pl.Float64).quantile(0.25, "linear").alias("_q1"),
            pl.col("n_events").cast(pl.Float64).quantile(0.75, "linear").alias("_q3"),
            pl.col("n_events").cast(pl.Float64).median().alias("_median"),
        )
        .filter(
            (pl.col("_n") >= _MIN_BAND_MEMBERS)
            & (pl.col("_median") > 0)
            & ((pl.col("_q3") - pl.col("_q1")) <= settings.expand_max_spread * pl.col("_median"))
        )
        .select(
            "cluster",
            (pl.col("_q1") - (pl.col("_q3") - pl.col("_q1"))).alias("_low"),
            (pl.col("_q3") + (pl.col("_q3") - pl.col("_q1"))).alias("_high"),
        )
    )
    if bands.height == 0:
        return clustering
    bursts = table.values.filter(pl.col("signal_type") == "signup_burst").select("value")
    burst_edges = table.edges.select("account", "value").join(bursts, on="value")
    in_band_members = burst_edges.join(
        membership.select("account", "cluster").join(bands.select("cluster"), on="cluster"),
        on="account",
    )
    lone = burst_edges.join(membership.select("account"), on="account", how="anti")
    candidates = (
        lone.join(in_band_members.rename({"account": "member"}), on="value")
        # Offset grids put one burst in two tokens: count each member once per candidate.
        .group_by("account", "cluster")
        .agg(pl.col("member").n_unique().alias("_mates"))
        .filter(pl.col("_mates") >= settings.expand_min_burst)
        .join(volume, on="account")
        .join(bands, on="cluster")
        .filter(pl.col("n_events").is_between(pl.col("_low"), pl.col("_high")))
        .sort(["account", "_mates", "cluster"], descending=[False, True, False])
        .unique("account", keep="first")
    )
    if candidates.height == 0:
        return clustering
    next_subgroup = membership.select(pl.col("subgroup").max()).item() + 1
    added = candidates.select(
        "account",
        "cluster",
        (pl.int_range(pl.len()) + next_subgroup).cast(pl.Int64).alias("subgroup"),
    ).cast({"account": pl.UInt32, "cluster": pl.Int64})
    return Clustering(
        membership=pl.concat([membership, added], how="vertical").sort("account"),
        n_subgroups=clustering.n_subgroups + added.height,
    )
