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

The stage works on integer ids only. Its inner loops (listing each account's candidate
partners with the small values they share, and checking each partner's hub values against the
account's own) are compiled (:mod:`sybilgraph.link_kernel`), run on all cores, and hold nothing
but the pairs that pass; accounts are processed in chunks sized by ``memory_limit_mb``. See
docs/method.md.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import polars as pl

from sybilgraph.link_kernel import (
    VALUE_LIMIT,
    HubTable,
    Incidence,
    RingGate,
    build_incidence,
    candidate_bound,
    edges_in_value_order,
    hub_table,
    ring_gate,
    score_accounts,
    widest_small_value,
)
from sybilgraph.settings import Settings
from sybilgraph.sorting import sort_by_id_pair
from sybilgraph.weigh import WeightedValues

__all__ = ["GRIDDED_TYPES", "Pairs", "link"]

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
        Chunks of accounts the scoring was split into to stay within ``memory_limit_mb``.
    n_hub_values
        Values linked through the sparse ring instead of all their pairs.
    """

    pairs: pl.DataFrame
    n_candidates: int
    n_partitions: int = 1
    n_hub_values: int = 0


def _rank_order(edges: pl.DataFrame, n_accounts: int, n_values: int) -> np.ndarray:
    """Accounts in the order the loops number them: by number of hub values, ties by their
    widest small value (:func:`widest_small_value`), then by id.

    ``order[r]`` is the account of rank ``r``. The ties' order changes no pair, only where
    in memory the loops find each account's rows: accounts that share their widest small
    value, and so are each other's partners, get neighbouring ranks, and a partner's rows
    are then often in cache already. Most accounts tie (1.9M of the article preset's 2.0M
    have at most ten hub values), and scoring their pairs is mostly waiting on such reads.
    """
    account = edges.get_column("account").to_numpy()
    is_hub = edges.get_column("hub").to_numpy()
    n_hub = np.bincount(account[is_hub], minlength=n_accounts)
    widest = widest_small_value(
        account, edges.get_column("value").to_numpy(), is_hub, n_accounts, n_values
    )
    # A stable sort: ties on both keys stay in id order.
    return np.lexsort((widest, n_hub))


def _incidence(edges: pl.DataFrame, order: np.ndarray, n_values: int, seed: int) -> Incidence:
    """The linking edges as the compiled loops walk them (see :class:`Incidence`), with each
    account numbered by its rank (``order[r]`` is the account of rank ``r``).

    :func:`build_incidence` takes the edges sorted by value, then account, as the encoded
    edge table holds them; they are sorted here when they are not.
    """
    if n_values >= VALUE_LIMIT:
        raise ValueError(f"too many distinct values to link ({n_values:,})")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    account = edges.get_column("account").to_numpy()
    value = edges.get_column("value").to_numpy()
    if not edges_in_value_order(account, value):
        edges = sort_by_id_pair(edges, "value", "account")
        account = edges.get_column("account").to_numpy()
        value = edges.get_column("value").to_numpy()
    return build_incidence(account, value, edges.get_column("hub").to_numpy(), rank, n_values, seed)


@dataclass(frozen=True)
class _ValueTable:
    """Per-value attributes as arrays indexed by value id: weight, family code, grid code."""

    weight: np.ndarray
    family: np.ndarray
    grid: np.ndarray

    @classmethod
    def of(cls, values: pl.DataFrame) -> _ValueTable:
        attrs = (
            values.filter(pl.col("weight") > 0)
            .select("value", "weight", "family", "signal_type")
            .unique("value")
        )
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


def _chunks(bound: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Contiguous account ranges whose summed candidate bound stays within ``budget`` slots.

    An account whose own bound exceeds the budget gets a range of its own.
    """
    ends = np.cumsum(bound)
    cuts = [0]
    while cuts[-1] < bound.size:
        base = int(ends[cuts[-1] - 1]) if cuts[-1] else 0
        fits = int(np.searchsorted(ends, base + budget, side="right"))
        cuts.append(max(fits, cuts[-1] + 1))
    return list(itertools.pairwise(cuts))


def _interleaved(lo: int, hi: int, stride: int = 64, run: int = 16) -> np.ndarray:
    """The ranks ``lo`` to ``hi`` in runs of ``run`` consecutive ranks, the runs taken every
    ``stride``-th, then from the next offset, and so on.

    The threads split the list they are given into contiguous parts, and ranks grow with the
    work an account costs: in rank order one thread would get every heavy account. Taken
    with a stride, every part of the list spans the whole range of ranks. Within a run,
    neighbouring ranks (which often share partners, see :func:`_rank_order`) are scored one
    after the other, while their partners' rows are in cache.

    Examples
    --------
    >>> _interleaved(0, 11, stride=2, run=3).tolist()
    [0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10]
    """
    starts = np.arange(lo, hi, run, dtype=np.int64)
    if not starts.size:
        return starts
    firsts = np.concatenate([starts[r::stride] for r in range(min(stride, starts.size))])
    ranks = (firsts[:, None] + np.arange(run, dtype=np.int64)).ravel()
    return ranks[ranks < hi]


def link(
    weighted: WeightedValues,
    account_org: pl.DataFrame,
    settings: Settings,
    *,
    partition_rows: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Pairs:
    """Score candidate account pairs on all the evidence they share.

    Accounts are processed in contiguous chunks; each chunk's output holds at most about
    ``partition_rows`` candidate slots (by default derived from ``settings.memory_limit_mb``).

    Parameters
    ----------
    weighted
        Output of :func:`sybilgraph.weigh.weigh`.
    account_org
        ``account`` (UInt32) and ``org_id`` (String, null when undeclared).
    settings
        The run's settings.
    partition_rows
        Override of the chunk size, in candidate slots.
    progress
        Called with a short line about every tenth of the chunks (long runs only).

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
    plan = _plan(weighted, account_org, settings)
    budget = partition_rows or settings.link_partition_rows()
    ranges = _chunks(plan.bound, budget)
    kept: list[pl.DataFrame] = []
    n_candidates = 0
    started = time.perf_counter()
    report_every = max(1, len(ranges) // 10)
    for part, (lo, hi) in enumerate(ranges):
        if progress is not None and part and part % report_every == 0:
            progress(
                f"link: chunk {part:,}/{len(ranges):,}, {n_candidates:,} candidate pairs "
                f"scored, {time.perf_counter() - started:,.0f}s"
            )
        accounts, offsets, out_b, out_w, out_f, n_pass, n_cand = _score_chunk(
            plan, lo, hi, settings
        )
        n_candidates += int(n_cand.sum())
        # The passing pairs of account i fill the first n_pass[i] slots from offsets[i].
        first_out = np.cumsum(n_pass) - n_pass
        slot = np.repeat(offsets[:-1] - first_out, n_pass) + np.arange(int(n_pass.sum()))
        weight = np.round(out_w[slot], 9)
        keep = weight >= plan.floor
        a = plan.order[np.repeat(accounts, n_pass)[keep]]
        b = plan.order[out_b[slot][keep]]
        kept.append(
            pl.DataFrame(
                {
                    "a": np.minimum(a, b),
                    "b": np.maximum(a, b),
                    "weight": weight[keep],
                    "n_families": out_f[slot][keep],
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
        if kept
        else pl.DataFrame(
            schema={"a": pl.UInt32, "b": pl.UInt32, "weight": pl.Float64, "n_families": pl.Int64}
        )
    ).with_columns((pl.col("weight") >= settings.min_pair_weight).alias("strong"))
    pairs_out = sort_by_id_pair(pairs_out, "a", "b")
    return Pairs(
        pairs=pairs_out,
        n_candidates=n_candidates,
        n_partitions=len(ranges),
        n_hub_values=int(np.count_nonzero(np.diff(plan.inc.ring_ptr))),
    )


class _Plan(NamedTuple):
    """What the scoring loop reads, built once per :func:`link` call: the accounts' ranks
    (``order[r]`` is the account of rank ``r``), the incidence, hub table and ring gate, the
    per-value attributes, each rank's organisation code and candidate bound, the pairs' floor
    and the number of evidence families."""

    order: np.ndarray
    inc: Incidence
    hubs: HubTable
    gate: RingGate
    table: _ValueTable
    org: np.ndarray
    bound: np.ndarray
    floor: float
    n_families: int


def _plan(
    weighted: WeightedValues,
    account_org: pl.DataFrame,
    settings: Settings,
    step: Callable[[str], None] | None = None,
) -> _Plan:
    """The :class:`_Plan` of a link stage. ``step`` is called with the name of each step as it
    ends (``rank``, ``incidence``, ``hub_table``, ``ring_gate``, ``candidate_bound``), so that
    a profiler can time them."""
    done = step or (lambda _: None)
    edges = weighted.edges
    table = _ValueTable.of(weighted.values)
    n_accounts = (
        max(_max_id(edges.get_column("account")), _max_id(account_org.get_column("account"))) + 1
    )
    # The loops number accounts by rank; ``order`` maps a rank back to its account.
    order = _rank_order(edges, n_accounts, table.weight.size)
    done("rank")
    inc = _incidence(edges, order, table.weight.size, settings.seed)
    done("incidence")
    hubs = hub_table(inc, table.weight, table.family, table.grid)
    done("hub_table")
    floor = min(settings.min_pair_weight, settings.attach_pair_weight)
    n_families = int(table.family.max()) + 1 if table.family.size else 1
    gate = ring_gate(inc, table.weight, table.family, n_families, floor, settings.min_pair_types)
    done("ring_gate")
    bound = candidate_bound(inc, settings.hub_neighbours, gate.open)
    done("candidate_bound")
    return _Plan(
        order=order,
        inc=inc,
        hubs=hubs,
        gate=gate,
        table=table,
        org=_org_codes(account_org, n_accounts)[order],
        bound=bound,
        floor=floor,
        n_families=n_families,
    )


class _Chunk(NamedTuple):
    """One chunk's accounts (by rank), their slot offsets and :func:`score_accounts`'s output."""

    accounts: np.ndarray
    offsets: np.ndarray
    b: np.ndarray
    weight: np.ndarray
    n_families: np.ndarray
    n_pass: np.ndarray
    n_candidates: np.ndarray


def _score_chunk(plan: _Plan, lo: int, hi: int, settings: Settings) -> _Chunk:
    """Score the candidate pairs of the accounts of rank ``lo`` to ``hi``."""
    accounts = _interleaved(lo, hi)
    offsets = np.zeros(accounts.size + 1, dtype=np.int64)
    np.cumsum(plan.bound[accounts], out=offsets[1:])
    table = plan.table
    return _Chunk(
        accounts,
        offsets,
        *score_accounts(
            accounts,
            offsets,
            plan.inc,
            plan.hubs,
            plan.gate,
            settings.hub_neighbours,
            table.weight,
            table.family,
            table.grid,
            plan.n_families,
            len(GRIDDED_TYPES) + 1,
            plan.org,
            settings.org_discount,
            plan.floor,
            settings.min_pair_types,
        ),
    )


def _org_codes(account_org: pl.DataFrame, n_accounts: int) -> np.ndarray:
    """Integer code of each account's declared organisation, -1 when it declares none."""
    codes = np.full(n_accounts, -1, dtype=np.int64)
    declared = account_org.drop_nulls("org_id")
    if declared.height:
        coded = declared.with_columns(pl.col("org_id").rank("dense").cast(pl.Int64).alias("code"))
        codes[coded.get_column("account").to_numpy()] = coded.get_column("code").to_numpy()
    return codes
