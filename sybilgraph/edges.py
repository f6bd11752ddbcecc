"""Stage 3: the bipartite account–signal table on integer ids.

From here on the engine works on integers: each account and each (signal type, value) pair is
dictionary-encoded once, and the strings are only looked up again when results are written.
Ids are assigned in sorted order of the strings, so they do not depend on how the input files
were split or ordered.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sybilgraph import schema
from sybilgraph.signals import FAMILIES, Observations

__all__ = ["EdgeTable", "build_edges"]


@dataclass(frozen=True)
class EdgeTable:
    """Integer-coded bipartite graph of accounts and the values they use.

    Attributes
    ----------
    edges
        ``account`` (UInt32), ``value`` (UInt32), ``n_events``, ``first_seen``, ``last_seen``:
        one row per (account, value) pair.
    accounts
        ``account`` (UInt32), ``account_id`` and the per-account activity columns
        (``n_events``, ``first_seen``, ``last_seen``, ``created_at``, ``org_id``).
    values
        ``value`` (UInt32), ``signal_type``, ``signal_value``, ``family`` and ``degree`` (the
        number of distinct accounts using the value).
    """

    edges: pl.DataFrame
    accounts: pl.DataFrame
    values: pl.DataFrame
    n_observations: int = 0

    @property
    def n_accounts(self) -> int:
        """Number of accounts in the population."""
        return self.accounts.height


def build_edges(obs: Observations, min_degree: int = 1) -> EdgeTable:
    """Encode the observation table into integer ids and collect it.

    Values used by fewer than ``min_degree`` accounts link nobody; they are counted in
    ``n_unshared_values`` and left out of the table to keep it small.

    Examples
    --------
    >>> import polars as pl
    >>> from sybilgraph.settings import Settings
    >>> from sybilgraph.signals import build_observations
    >>> ev = pl.LazyFrame({"account_id": ["b", "a", "a"], "device_id": ["d1", "d1", "d2"]})
    >>> table = build_edges(build_observations(ev, None, None, Settings()))
    >>> table.accounts["account_id"].to_list(), table.values["degree"].to_list()
    (['a', 'b'], [2])
    """
    observed = (
        obs.table.group_by(schema.ACCOUNT_ID, schema.SIGNAL_TYPE, schema.SIGNAL_VALUE)
        .agg(
            pl.col("n_events").sum(),
            pl.col(schema.FIRST_SEEN).min(),
            pl.col(schema.LAST_SEEN).max(),
        )
        .collect(engine="streaming")
    )
    activity = obs.activity.collect(engine="streaming")
    account_ids = (
        pl.concat([activity.get_column(schema.ACCOUNT_ID), observed.get_column(schema.ACCOUNT_ID)])
        .unique()
        .sort()
    )
    accounts = (
        pl.DataFrame({schema.ACCOUNT_ID: account_ids})
        .with_row_index("account")
        .join(activity, on=schema.ACCOUNT_ID, how="left")
        .with_columns(pl.col("n_events").fill_null(0))
    )
    values = (
        observed.group_by(schema.SIGNAL_TYPE, schema.SIGNAL_VALUE)
        .agg(pl.len().cast(pl.Int64).alias("degree"))
        .filter(pl.col("degree") >= min_degree)
        .sort(schema.SIGNAL_TYPE, schema.SIGNAL_VALUE)
        .with_row_index("value")
        .with_columns(
            pl.col(schema.SIGNAL_TYPE)
            .replace_strict(FAMILIES, default=pl.col(schema.SIGNAL_TYPE), return_dtype=pl.String)
            .alias("family")
        )
        .select("value", schema.SIGNAL_TYPE, schema.SIGNAL_VALUE, "family", "degree")
    )
    edges = (
        observed.join(
            accounts.select(schema.ACCOUNT_ID, "account"), on=schema.ACCOUNT_ID, how="inner"
        )
        .join(
            values.select("value", schema.SIGNAL_TYPE, schema.SIGNAL_VALUE),
            on=[schema.SIGNAL_TYPE, schema.SIGNAL_VALUE],
            how="inner",
        )
        .select("account", "value", "n_events", schema.FIRST_SEEN, schema.LAST_SEEN)
        .sort("value", "account")
    )
    return EdgeTable(edges=edges, accounts=accounts, values=values, n_observations=observed.height)
