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

The stage works on integers only (a pair is one 64-bit key), runs in partitions sized by
``memory_limit_mb``, and drops candidates whose weight cannot reach the floor (an exact upper
bound) before intersecting their hub lists; see docs/method.md.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
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
    n_partitions
        Partitions the scoring was split into to stay within ``memory_limit_mb``.
    n_hub_values
        Values linked through the sparse ring instead of all their pairs.
    """

    pairs: pl.DataFrame
    n_candidates: int
    n_partitions: int = 1
    n_hub_values: int = 0


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


@dataclass(frozen=True)
class _ValueTable:
    """Per-value attributes as arrays indexed by value id: weight, family code, grid code."""

    weight: np.ndarray
    family: np.ndarray
    grid: np.ndarray

    @classmethod
    def of(cls, edges: pl.DataFrame) -> _ValueTable:
        attrs = edges.select("value", "weight", "family", "signal_type").unique("value")
        size = _max_id(attrs.get_column("value")) + 1
        ids = attrs.get_column("value").to_numpy()
        families = attrs.get_column("family").unique().sort().to_list()
        weight = np.zeros(size, dtype=np.float64)
        family = np.zeros(size, dtype=np.uint16)
        grid = np.zeros(size, dtype=np.uint8)
        weight[ids] = np.clip(attrs.get_column("weight").to_numpy(), 0.0, 1.0)
        family[ids] = (
            attrs.get_column("family")
            .replace_strict(families, list(range(len(families))), return_dtype=pl.UInt16)
            .to_numpy()
        )
        grid[ids] = (
            attrs.get_column("signal_type")
            .replace_strict(
                list(GRIDDED_TYPES),
                list(range(1, len(GRIDDED_TYPES) + 1)),
                default=0,
                return_dtype=pl.UInt8,
            )
            .to_numpy()
        )
        return cls(weight=weight, family=family, grid=grid)


def _max_id(ids: pl.Series) -> int:
    """Largest id of an integer column, 0 when it is empty."""
    return int(ids.to_numpy().max()) if ids.len() else 0


#: The pair key as a polars expression over columns ``a`` and ``b``.
_KEY = (pl.col("a").cast(pl.UInt64) * (1 << 32) + pl.col("b")).alias("key")


def _key(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One 64-bit key per account pair: ``a`` in the high half, ``b`` in the low half."""
    return (a.astype(np.uint64) << np.uint64(32)) | b.astype(np.uint64)


@dataclass(frozen=True)
class _HubLists:
    """Each account's hub values, sorted, in compressed-row form, for pair intersections."""

    indptr: np.ndarray
    values: np.ndarray
    codes: pl.Series  # account << 32 | value of every hub edge, as Int64

    @classmethod
    def of(cls, hub_edges: pl.DataFrame, n_accounts: int) -> _HubLists:
        hub = hub_edges.sort("account", "value")
        account = hub.get_column("account").to_numpy().astype(np.int64)
        values = hub.get_column("value").to_numpy().astype(np.int64)
        degree = np.bincount(account, minlength=n_accounts)
        indptr = np.zeros(n_accounts + 1, dtype=np.int64)
        np.cumsum(degree, out=indptr[1:])
        return cls(indptr=indptr, values=values, codes=pl.Series((account << 32) | values))

    def shared(self, keys: np.ndarray, chunk_rows: int) -> tuple[np.ndarray, np.ndarray]:
        """``(index, value)`` for every hub value both accounts of the pair ``keys[index]`` use.

        The shorter of the two lists is walked and each of its values looked up among the
        other account's hub edges (a hash membership test), in chunks of about ``chunk_rows``
        probes so that memory stays bounded whatever the lists' lengths.
        """
        empty = np.zeros(0, np.int64), np.zeros(0, np.int64)
        if self.values.size == 0 or keys.size == 0:
            return empty
        a = (keys >> np.uint64(32)).astype(np.int64)
        b = (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)
        deg_a = self.indptr[a + 1] - self.indptr[a]
        deg_b = self.indptr[b + 1] - self.indptr[b]
        a_shorter = deg_a <= deg_b
        walk = np.where(a_shorter, a, b)
        other = np.where(a_shorter, b, a)
        lens = np.minimum(deg_a, deg_b)
        keep = np.flatnonzero(lens > 0)
        if keep.size == 0:
            return empty
        ends = np.cumsum(lens[keep])
        cuts = [
            0,
            *np.searchsorted(ends, np.arange(chunk_rows, int(ends[-1]), chunk_rows)),
            keep.size,
        ]
        # Positions and ids fit 32 bits unless the table is huge; halving the width of the
        # largest arrays of the stage halves their memory traffic.
        narrow = np.int32 if max(self.values.size, keys.size) < 2**31 else np.int64
        values_narrow = self.values.astype(narrow)
        start = self.indptr[walk]
        out_pairs: list[np.ndarray] = []
        out_values: list[np.ndarray] = []
        codes = self.codes.implode()
        for lo, hi in itertools.pairwise(cuts):
            idx = keep[lo:hi]
            n = lens[idx].astype(narrow)
            row = np.repeat(idx.astype(narrow), n)
            first = np.cumsum(n, dtype=np.int64) - n
            pos = np.repeat((start[idx] - first).astype(narrow), n)
            pos += np.arange(pos.size, dtype=narrow)
            values = values_narrow[pos]
            probe = other[row] << 32
            probe |= values
            hit = pl.Series(probe).is_in(codes).to_numpy()
            out_pairs.append(row[hit].astype(np.int64))
            out_values.append(values[hit].astype(np.int64))
        return np.concatenate(out_pairs), np.concatenate(out_values)


def _family_top2(
    pair: np.ndarray, values: np.ndarray, table: _ValueTable
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(pair, family, w1, w2)``: per pair and family, the weights of its two strongest values.

    ``pair[i]`` holds ``values[i]`` (``w2`` is 0 when the family has one value). Rows are
    sorted once by (pair, family, weight descending), so the two strongest of each family
    are the first two rows of its run; the output is in (pair, family) order.
    """
    n_fam = int(table.family.max()) + 1
    rows = pl.DataFrame(
        {
            "g": pair.astype(np.uint64) * np.uint64(n_fam) + table.family[values],
            "w": table.weight[values],
            "grid": table.grid[values],
        }
    ).sort(["g", "w"], descending=[False, True])
    g = rows.get_column("g").to_numpy()
    w = rows.get_column("w").to_numpy()
    grid = rows.get_column("grid").to_numpy()
    # Tokens of one window laid on shifted grids are one piece of evidence, not two: per pair,
    # each gridded type (sign-up burst, value-in-hour) counts once, at its strongest (its
    # first row, as each run is sorted by weight).
    gridded = np.flatnonzero(grid > 0)
    if gridded.size:
        piece = g[gridded] * np.uint64(len(GRIDDED_TYPES) + 1) + grid[gridded]
        _, first_of_piece = np.unique(piece, return_index=True)
        keep = np.ones(g.size, dtype=bool)
        keep[gridded] = False
        keep[gridded[first_of_piece]] = True
        g, w = g[keep], w[keep]
    first = np.empty(g.size, dtype=bool)
    first[:1] = True
    np.not_equal(g[1:], g[:-1], out=first[1:])
    second = np.zeros(g.size, dtype=bool)
    second[1:] = ~first[1:] & first[:-1]
    w2 = np.zeros(g.size)
    w2[:-1] = np.where(second[1:], w[1:], 0.0)
    starts = np.flatnonzero(first)
    owner = (g[starts] // np.uint64(n_fam)).astype(np.int64)
    family = (g[starts] % np.uint64(n_fam)).astype(np.int64)
    return owner, family, w[starts], w2[starts]


def _family_strengths(
    pair: np.ndarray, values: np.ndarray, table: _ValueTable
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(pair, family, strength)``: the noisy-OR of each family's two strongest values."""
    owner, family, w1, w2 = _family_top2(pair, values, table)
    return owner, family, 1.0 - (1.0 - w1) * (1.0 - w2)


def _score_pairs(
    pair: np.ndarray, values: np.ndarray, n_pairs: int, table: _ValueTable
) -> tuple[np.ndarray, np.ndarray]:
    """Weight and number of families of each pair, from the values each shares.

    A pair's weight is the sum over its families of :func:`_family_strengths`, summed in
    family order so that the result does not depend on row order.
    """
    owner, _, noisy = _family_strengths(pair, values, table)
    weight = np.bincount(owner, weights=noisy, minlength=n_pairs)
    n_families = np.bincount(owner, minlength=n_pairs)
    return weight, n_families


def _hub_ceiling(hub_edges: pl.DataFrame, table: _ValueTable, n_accounts: int) -> np.ndarray:
    """Per family and account, the weights of its two strongest hub values (0 when none).

    Shape ``(2, n_families, n_accounts)``. The hub values two accounts share are a subset of
    each one's, so the strongest and second-strongest shared value of a family are at most
    the smaller of the two accounts' first and second ceilings. This bounds what hub values
    can add to a pair before any intersection.
    """
    n_fam = int(table.family.max()) + 1
    ceiling = np.zeros((2, n_fam, n_accounts), dtype=np.float64)
    if hub_edges.height:
        account, family, w1, w2 = _family_top2(
            hub_edges.get_column("account").to_numpy(),
            hub_edges.get_column("value").to_numpy(),
            table,
        )
        ceiling[0, family, account] = w1
        ceiling[1, family, account] = w2
    return ceiling


def _could_pass(
    candidates: np.ndarray,
    small_pair: np.ndarray,
    small_values: np.ndarray,
    ceiling: np.ndarray,
    table: _ValueTable,
    floor: float,
    min_types: int,
) -> np.ndarray:
    """Candidates whose weight could still reach ``floor`` with ``min_types`` families.

    Per family, the two strongest small values a pair shares are known exactly and its two
    strongest shared hub values are bounded by the accounts' ceilings (see
    :func:`_hub_ceiling`); the noisy-OR of the two largest of these four bounds the family's
    strength. Pairs whose summed bound is below ``floor`` are dropped before their hub lists
    are intersected, which is where most of the stage's work goes. The bound never drops a pair
    that would pass, so the result is the same as scoring every candidate.
    """
    owner, family, w1, w2 = _family_top2(small_pair, small_values, table)
    a = (candidates >> np.uint64(32)).astype(np.int64)
    b = (candidates & np.uint64(0xFFFFFFFF)).astype(np.int64)
    bound = np.zeros(candidates.size)
    n_families = np.zeros(candidates.size, dtype=np.int64)
    for f in range(ceiling.shape[1]):
        s1 = np.zeros(candidates.size)
        s2 = np.zeros(candidates.size)
        mine = family == f
        s1[owner[mine]] = w1[mine]
        s2[owner[mine]] = w2[mine]
        h1 = np.minimum(ceiling[0, f, a], ceiling[0, f, b])
        h2 = np.minimum(ceiling[1, f, a], ceiling[1, f, b])
        top = np.maximum(s1, h1)
        second = np.maximum(np.minimum(s1, h1), np.maximum(s2, h2))
        bound += 1.0 - (1.0 - top) * (1.0 - second)
        n_families += top > 0
    return (bound >= floor - 1e-9) & (n_families >= min_types)


def link(
    weighted: WeightedValues,
    account_org: pl.DataFrame,
    settings: Settings,
    *,
    partition_rows: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Pairs:
    """Score candidate account pairs on all the evidence they share.

    The work is split into partitions by the smaller account of each pair (``a mod P``), each
    scored and filtered on its own, so that the intermediate tables never hold more than about
    ``partition_rows`` shared-value rows (by default derived from ``settings.memory_limit_mb``).

    Parameters
    ----------
    weighted
        Output of :func:`sybilgraph.weigh.weigh`.
    account_org
        ``account`` (UInt32) and ``org_id`` (String, null when undeclared).
    settings
        The run's settings.
    partition_rows
        Override of the partition size, in shared-value rows.
    progress
        Called with a short line about every tenth of the partitions (long runs only).

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
    edges = weighted.edges
    table = _ValueTable.of(edges)
    n_accounts = (
        max(_max_id(edges.get_column("account")), _max_id(account_org.get_column("account"))) + 1
    )
    small = edges.filter(~pl.col("hub")).select("account", "value")
    hub_edges = edges.filter(pl.col("hub")).select("account", "value")
    ring = _ring_pairs(hub_edges, settings.hub_neighbours, settings.seed)
    hubs = _HubLists.of(hub_edges, n_accounts)
    org = _org_codes(account_org, n_accounts)
    ceiling = _hub_ceiling(hub_edges, table, n_accounts)
    # Rows the partitions will hold: pairs of small values, ring pairs and their hub shares.
    degrees = small.group_by("value").len().get_column("len").cast(pl.Int64)
    n_small = int((degrees * (degrees - 1) // 2).sum())
    mean_hub = hub_edges.height / max(1, hub_edges.get_column("account").n_unique())
    budget = partition_rows or settings.link_partition_rows()
    n_parts = max(1, math.ceil((n_small + ring.height) * (1.0 + mean_hub) / budget))
    floor = min(settings.min_pair_weight, settings.attach_pair_weight)
    kept: list[pl.DataFrame] = []
    n_candidates = 0
    started = time.perf_counter()
    report_every = max(1, n_parts // 10)
    lefts = _split(small, "account", n_parts)
    rings = _split(ring, "a", n_parts)
    del ring
    for part in range(n_parts):
        if progress is not None and part and part % report_every == 0:
            progress(
                f"link: partition {part:,}/{n_parts:,}, {n_candidates:,} candidate pairs "
                f"scored, {time.perf_counter() - started:,.0f}s"
            )
        left = lefts.pop(part, small.clear())
        pairs = (
            left.join(small.rename({"account": "b"}), on="value")
            .filter(pl.col("account") < pl.col("b"))
            .rename({"account": "a"})
            .select(_KEY, "value")
        )
        ring_keys = rings.pop(part, _EMPTY_RING).select(_KEY).get_column("key")
        candidates = pl.concat([pairs.get_column("key"), ring_keys]).unique().sort().to_numpy()
        n_candidates += candidates.size
        small_pair = np.searchsorted(candidates, pairs.get_column("key").to_numpy())
        small_values = pairs.get_column("value").to_numpy()
        del pairs
        alive = _could_pass(
            candidates, small_pair, small_values, ceiling, table, floor, settings.min_pair_types
        )
        # Renumber the surviving candidates and keep only their rows.
        new_index = np.cumsum(alive) - 1
        candidates = candidates[alive]
        keep_row = alive[small_pair]
        small_pair, small_values = new_index[small_pair[keep_row]], small_values[keep_row]
        hub_pair, hub_values = hubs.shared(candidates, budget)
        weight, n_families = _score_pairs(
            np.concatenate([small_pair, hub_pair]),
            np.concatenate([small_values, hub_values]),
            candidates.size,
            table,
        )
        del small_pair, small_values, hub_pair, hub_values
        a = (candidates >> np.uint64(32)).astype(np.uint32)
        b = (candidates & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        same_org = (org[a] >= 0) & (org[a] == org[b])
        weight = np.round(np.where(same_org, weight * settings.org_discount, weight), 9)
        keep = (weight >= floor) & (n_families >= settings.min_pair_types)
        kept.append(
            pl.DataFrame(
                {
                    "a": a[keep],
                    "b": b[keep],
                    "weight": weight[keep],
                    "n_families": n_families[keep],
                },
                schema={
                    "a": pl.UInt32,
                    "b": pl.UInt32,
                    "weight": pl.Float64,
                    "n_families": pl.Int64,
                },
            )
        )
    pairs_out = (
        pl.concat(kept, how="vertical")
        .with_columns((pl.col("weight") >= settings.min_pair_weight).alias("strong"))
        .sort("a", "b")
    )
    return Pairs(
        pairs=pairs_out,
        n_candidates=n_candidates,
        n_partitions=n_parts,
        n_hub_values=hub_edges.get_column("value").n_unique(),
    )


_EMPTY_RING = pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32})


def _split(frame: pl.DataFrame, column: str, n_parts: int) -> dict[int, pl.DataFrame]:
    """Rows of ``frame`` by ``column mod n_parts``, split in one pass."""
    if n_parts == 1:
        return {0: frame}
    parts = frame.with_columns((pl.col(column) % n_parts).alias("_part")).partition_by(
        "_part", as_dict=True
    )
    return {int(key[0]): rows.drop("_part") for key, rows in parts.items()}


def _org_codes(account_org: pl.DataFrame, n_accounts: int) -> np.ndarray:
    """Integer code of each account's declared organisation, -1 when it declares none."""
    codes = np.full(n_accounts, -1, dtype=np.int64)
    declared = account_org.drop_nulls("org_id")
    if declared.height:
        coded = declared.with_columns(pl.col("org_id").rank("dense").cast(pl.Int64).alias("code"))
        codes[coded.get_column("account").to_numpy()] = coded.get_column("code").to_numpy()
    return codes
