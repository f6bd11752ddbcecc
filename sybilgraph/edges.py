"""Stage 3: the bipartite account–signal table on integer ids.

From here on the engine works on integers: each account and each (signal type, value) pair is
dictionary-encoded once, and the strings are only looked up again when results are written.
Ids are assigned in sorted order of the strings, so they do not depend on how the input files
were split or ordered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from sybilgraph import schema
from sybilgraph.signals import ACCOUNT_KEY, FAMILIES, KeyedPart, Observations
from sybilgraph.sorting import sort_by_id_pair

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


def build_edges(
    obs: Observations, min_degree: int = 1, progress: Callable[[str], None] | None = None
) -> EdgeTable:
    """Encode the observation table into integer ids and collect it.

    Consumes ``obs.parts`` and ``obs.keyed`` (the lists are emptied): each type's strings are
    released as soon as it is encoded. Keyed parts (the synchrony tokens) are counted and
    joined on their integer keys, and only the values that are kept are named.

    Values used by fewer than ``min_degree`` accounts link nobody and are left out of the
    table to keep it small. ``progress`` is called with a line as each signal type is
    encoded.

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
    accounts = (
        obs.activity.sort(schema.ACCOUNT_ID)
        .with_row_index("account")
        .with_columns(pl.col("n_events").fill_null(0))
    )
    account_ids = accounts.select(ACCOUNT_KEY, "account")
    accounts = accounts.drop(ACCOUNT_KEY)
    # Types in the order of the parts (those in memory first), each part removed from ``obs``
    # as soon as it is grouped here and each type's frames dropped once encoded, so that the
    # strings of encoded types are released before the next pass over the events.
    by_type: dict[str, list[pl.LazyFrame]] = {}
    for typ, frame in obs.parts:
        by_type.setdefault(typ, []).append(frame.select(_PART_COLUMNS).cast(_PART_SCHEMA))
    obs.parts.clear()
    # A keyed type that also comes in readable parts (an edges file may name its own
    # ``ip_window`` values) is named first and grouped with them.
    keyed: list[tuple[str, KeyedPart]] = []
    for typ, part in obs.keyed:
        if typ in by_type:
            frame = part.name(part.frame)
            by_type[typ].append(frame.select(_PART_COLUMNS).cast(_PART_SCHEMA))
        else:
            keyed.append((typ, part))
    obs.keyed.clear()
    encoded: dict[str, tuple[pl.DataFrame, pl.DataFrame]] = {}
    n_observations = 0
    for typ in list(by_type):
        frames = by_type.pop(typ)
        # A part has one row per (account, value) already; only a type made of several parts
        # (IP prefixes of events and of sign-ups) is grouped again.
        observed = (
            frames[0]
            if len(frames) == 1
            else pl.concat(frames, how="vertical")
            .group_by(ACCOUNT_KEY, schema.SIGNAL_VALUE)
            .agg(
                pl.col("n_events").sum(),
                pl.col(schema.FIRST_SEEN).min(),
                pl.col(schema.LAST_SEEN).max(),
            )
        ).collect(engine="streaming")
        n_observations += observed.height
        values = (
            observed.group_by(schema.SIGNAL_VALUE)
            .agg(pl.len().cast(pl.Int64).alias("degree"))
            .filter(pl.col("degree") >= min_degree)
            .sort(schema.SIGNAL_VALUE)
            .with_row_index("value")
        )
        edges = sort_by_id_pair(
            observed.join(values.select(schema.SIGNAL_VALUE, "value"), on=schema.SIGNAL_VALUE)
            .join(account_ids, on=ACCOUNT_KEY)
            .select("account", "value", "n_events", schema.FIRST_SEEN, schema.LAST_SEEN),
            "value",
            "account",
        )
        encoded[typ] = (values, edges)
        del observed
        if progress is not None:
            progress(f"encoded {typ}: {values.height:,} values, {edges.height:,} edges")
    while keyed:
        typ, part = keyed.pop(0)
        values, edges = _encode_keyed(part, account_ids, min_degree)
        n_observations += edges.height
        encoded[typ] = (values, edges)
        if progress is not None:
            progress(f"encoded {typ}: {values.height:,} values, {edges.height:,} edges")
    # Value ids follow the sorted (signal_type, signal_value) order whatever the encoding order.
    value_parts: list[pl.DataFrame] = []
    edge_parts: list[pl.DataFrame] = []
    offset = 0
    for typ in sorted(encoded):
        values, edges = encoded.pop(typ)
        shift = (pl.col("value") + offset).cast(pl.UInt32)
        value_parts.append(
            values.select(
                shift.alias("value"),
                pl.lit(typ).alias(schema.SIGNAL_TYPE),
                schema.SIGNAL_VALUE,
                pl.lit(FAMILIES.get(typ, typ)).alias("family"),
                "degree",
            )
        )
        edge_parts.append(edges.with_columns(shift.alias("value")))
        offset += values.height
    values_all = (
        pl.concat(value_parts, how="vertical")
        if value_parts
        else pl.DataFrame(schema=_VALUES_SCHEMA)
    )
    edges = (
        pl.concat(edge_parts, how="vertical") if edge_parts else pl.DataFrame(schema=_EDGES_SCHEMA)
    )
    return EdgeTable(
        edges=edges, accounts=accounts, values=values_all, n_observations=n_observations
    )


def _encode_keyed(
    part: KeyedPart, account_ids: pl.DataFrame, min_degree: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Encode a part known by integer keys: count and filter on the keys, name the values that
    are left, and number them in the order of their names like any other type."""
    keys = list(part.keys)
    observed = part.frame.collect(engine="streaming")
    kept = (
        observed.group_by(keys)
        .agg(pl.len().cast(pl.Int64).alias("degree"))
        .filter(pl.col("degree") >= min_degree)
    )
    values = (
        part.name(kept.lazy())
        .select(*keys, schema.SIGNAL_VALUE, "degree")
        .collect()
        .sort(schema.SIGNAL_VALUE)
        .with_row_index("value")
    )
    edges = sort_by_id_pair(
        observed.join(values.select(*keys, "value"), on=keys)
        .join(account_ids, on=ACCOUNT_KEY)
        .select("account", "value", "n_events", schema.FIRST_SEEN, schema.LAST_SEEN),
        "value",
        "account",
    )
    return values.select("value", schema.SIGNAL_VALUE, "degree"), edges


_PART_SCHEMA = pl.Schema(
    {
        ACCOUNT_KEY: pl.UInt64(),
        schema.SIGNAL_VALUE: pl.String(),
        "n_events": pl.Int64(),
        schema.FIRST_SEEN: schema.DATETIME,
        schema.LAST_SEEN: schema.DATETIME,
    }
)
_PART_COLUMNS = list(_PART_SCHEMA)
_VALUES_SCHEMA = pl.Schema(
    {
        "value": pl.UInt32(),
        schema.SIGNAL_TYPE: pl.String(),
        schema.SIGNAL_VALUE: pl.String(),
        "family": pl.String(),
        "degree": pl.Int64(),
    }
)
_EDGES_SCHEMA = pl.Schema(
    {
        "account": pl.UInt32(),
        "value": pl.UInt32(),
        "n_events": pl.Int64(),
        schema.FIRST_SEEN: schema.DATETIME,
        schema.LAST_SEEN: schema.DATETIME,
    }
)
