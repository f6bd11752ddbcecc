"""Stage 5: from weighted account–value edges to weighted account pairs.

Pairing every account with every other on a shared value is quadratic: one carrier NAT IP used
by 50,000 accounts makes 1.25 billion pairs. So candidate pairs come from two sources:

* values used by at most ``hub_degree`` accounts give all their pairs (at most
  ``hub_degree / 2`` pairs per account and value);
* larger ("hub") values give a sparse ring: their accounts are put in a seeded pseudo-random
  order and each is paired with the next ``hub_neighbours`` accounts. The ring keeps every
  account of the value connected to the others with ``d * hub_neighbours`` pairs instead of
  ``d^2 / 2``, so memory stays linear in the value's degree, and it does not discard a large value
  that a coordinated group shares among itself.

Each candidate pair is then scored on *all* the values its two accounts share, not only the one
that proposed it. Within one evidence family the two strongest shared values combine as a noisy-
OR, ``1 - (1 - w1)(1 - w2)``: values of one family are correlated (a proxy exit implies its /24
and its hourly token; a user of one public template tends to use others), so beyond the two
strongest they add little, and counting them all would let many popular values add up to strong
evidence. Families add up, so a pair's weight counts independent kinds of evidence. A pair
inside one declared organisation is multiplied by ``org_discount``. Pairs with less than
``min_pair_weight`` or fewer than ``min_pair_types`` families are dropped: most chance pairs
share one weak value, and dropping them is what keeps unrelated groups from chaining together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sybilgraph.settings import Settings
from sybilgraph.weigh import WeightedValues

__all__ = ["GRIDDED_TYPES", "Pairs", "link", "strongest_two"]

#: Signal types laid on shifted time grids (see :mod:`sybilgraph.signals`).
GRIDDED_TYPES = ("signup_burst", "ip_window", "prompt_window")


@dataclass(frozen=True)
class Pairs:
    """Strong account pairs and the counts behind them.

    Attributes
    ----------
    pairs
        ``a``, ``b`` (UInt32 account ids, ``a < b``), ``weight`` (Float64), ``n_families`` and
        ``strong`` (``weight >= min_pair_weight``; weaker pairs, down to
        ``attach_pair_weight``, only attach accounts to an existing cluster).
    n_candidates
        Distinct candidate pairs scored.
    """

    pairs: pl.DataFrame
    n_candidates: int


def strongest_two(w: pl.Expr) -> pl.Expr:
    """Noisy-OR of the two largest values of ``w`` in a group: ``1 - (1 - w1)(1 - w2)``.

    The one rule by which values of one evidence family combine, in linking and in scoring.

    Examples
    --------
    >>> pl.DataFrame({"w": [0.5, 0.5, 0.4]}).select(strongest_two(pl.col("w"))).item()
    0.75
    """
    second = pl.when(pl.len() >= 2).then(w.top_k(2).min()).otherwise(0.0)
    return 1.0 - (1.0 - w.max()) * (1.0 - second)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a fixed, version-independent integer hash."""
    z = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def _ring_pairs(hub_edges: pl.DataFrame, k: int, seed: int) -> pl.DataFrame:
    """Pairs of each hub value's accounts that are at most ``k`` apart in a seeded ring."""
    if hub_edges.height == 0:
        return pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32})
    account = hub_edges.get_column("account").to_numpy().astype(np.uint64)
    value = hub_edges.get_column("value").to_numpy().astype(np.uint64)
    with np.errstate(over="ignore"):
        key = _mix(account * np.uint64(0x9E3779B97F4A7C15) ^ _mix(value + np.uint64(seed)))
    order = np.lexsort((key, value))
    value_sorted = value[order]
    account_sorted = account[order].astype(np.uint32)
    starts = np.flatnonzero(np.r_[True, value_sorted[1:] != value_sorted[:-1]])
    sizes = np.diff(np.r_[starts, value_sorted.size])
    group_start = np.repeat(starts, sizes)
    group_size = np.repeat(sizes, sizes)
    pos = np.arange(value_sorted.size) - group_start
    a_parts, b_parts = [], []
    for step in range(1, k + 1):
        # A ring of d accounts has only d // 2 distinct distances.
        keep = step <= group_size // 2
        partner = group_start + (pos + step) % group_size
        a_parts.append(account_sorted[keep])
        b_parts.append(account_sorted[partner[keep]])
    a = np.concatenate(a_parts)
    b = np.concatenate(b_parts)
    return pl.DataFrame(
        {"a": np.minimum(a, b), "b": np.maximum(a, b)},
        schema={"a": pl.UInt32, "b": pl.UInt32},
    )


def link(weighted: WeightedValues, account_org: pl.DataFrame, settings: Settings) -> Pairs:
    """Score candidate account pairs on all the evidence they share.

    Parameters
    ----------
    weighted
        Output of :func:`sybilgraph.weigh.weigh`.
    account_org
        ``account`` (UInt32) and ``org_id`` (String, null when undeclared).
    settings
        The run's settings.

    Examples
    --------
    >>> import polars as pl
    >>> from sybilgraph.weigh import WeightedValues
    >>> e = pl.DataFrame({"account": [0, 1, 0, 1], "value": [0, 0, 1, 1],
    ...     "weight": [0.9, 0.9, 0.5, 0.5], "family": ["payment", "payment", "network", "network"],
    ...     "signal_type": ["payment_fingerprint"] * 2 + ["ip"] * 2, "hub": [False] * 4},
    ...     schema_overrides={"account": pl.UInt32, "value": pl.UInt32})
    >>> org = pl.DataFrame({"account": [0, 1], "org_id": [None, None]},
    ...     schema={"account": pl.UInt32, "org_id": pl.String})
    >>> link(WeightedValues(e, e, 0), org, Settings()).pairs.to_dicts()
    [{'a': 0, 'b': 1, 'weight': 1.4, 'n_families': 2, 'strong': True}]
    """
    edges = weighted.edges.select("account", "value", "weight", "family", "hub")
    small = edges.filter(~pl.col("hub"))
    # All pairs of the small values, with the value that links them.
    small_pairs = (
        small.select("account", "value")
        .join(small.select(pl.col("account").alias("b"), "value"), on="value")
        .filter(pl.col("account") < pl.col("b"))
        .rename({"account": "a"})
    )
    hub_edges = edges.filter(pl.col("hub")).select("account", "value")
    ring = _ring_pairs(hub_edges, settings.hub_neighbours, settings.seed)
    candidates = pl.concat([small_pairs.select("a", "b"), ring], how="vertical").unique()
    # Every hub value the two accounts of a candidate share (small ones are already known).
    # Each account's hub values as a short sorted list; a candidate's shared hub values are the
    # intersection of two lists (a few values each), far cheaper than joining the pairs
    # against every hub edge.
    hub_sets = hub_edges.group_by("account").agg(pl.col("value").sort().alias("vals"))
    hub_shared = (
        candidates.join(hub_sets.rename({"account": "a", "vals": "va"}), on="a")
        .join(hub_sets.rename({"account": "b", "vals": "vb"}), on="b")
        .select("a", "b", pl.col("va").list.set_intersection("vb").alias("value"))
        .filter(pl.col("value").list.len() > 0)
        .explode("value")
    )
    shared = pl.concat([small_pairs.select("a", "b", "value"), hub_shared], how="vertical").join(
        weighted.edges.select("value", "signal_type", "weight", "family").unique("value"),
        on="value",
    )
    # Tokens of one window laid on shifted grids are one piece of evidence, not two: per pair,
    # each gridded type (sign-up burst, value-in-hour) counts once, at its strongest.
    gridded = pl.col("signal_type").is_in(list(GRIDDED_TYPES))
    shared = pl.concat(
        [
            shared.filter(~gridded).select("a", "b", "weight", "family"),
            shared.filter(gridded)
            .group_by("a", "b", "signal_type")
            .agg(pl.col("weight").max(), pl.col("family").first())
            .select("a", "b", "weight", "family"),
        ],
        how="vertical",
    )
    per_family = shared.group_by("a", "b", "family").agg(
        strongest_two(pl.col("weight").clip(0.0, 1.0)).alias("w")
    )
    org = account_org.select("account", "org_id")
    pairs = (
        per_family.group_by("a", "b")
        .agg(pl.col("w").sum().alias("weight"), pl.len().cast(pl.Int64).alias("n_families"))
        .join(org.rename({"account": "a", "org_id": "org_a"}), on="a", how="left")
        .join(org.rename({"account": "b", "org_id": "org_b"}), on="b", how="left")
        .with_columns(
            pl.when(pl.col("org_a").is_not_null() & (pl.col("org_a") == pl.col("org_b")))
            .then(pl.col("weight") * settings.org_discount)
            .otherwise(pl.col("weight"))
            .round(9)
            .alias("weight")
        )
        .filter(
            (pl.col("weight") >= min(settings.min_pair_weight, settings.attach_pair_weight))
            & (pl.col("n_families") >= settings.min_pair_types)
        )
        .with_columns((pl.col("weight") >= settings.min_pair_weight).alias("strong"))
        .select("a", "b", "weight", "n_families", "strong")
        .sort("a", "b")
    )
    return Pairs(pairs=pairs, n_candidates=candidates.height)
