"""Compiled inner loops of the link stage.

The link stage looks at every candidate account pair and at every value the two accounts
share. In a 25,000-account operation that is well over a hundred million pairs, and any
formulation in whole-array operations materialises one row per (pair, shared value) and sorts
them all: billions of rows. These loops do the same arithmetic one account at a time, holding
nothing beyond the pairs that pass, so they are compiled with numba and run on every core.

Accounts are numbered by rank: by the number of their hub values, ties by their widest small
value (:func:`widest_small_value`), then by id (the caller renumbers them). Each pair is scored
once, by its account of higher rank. For each account ``a``:

1. every account ``b`` of lower rank that shares one of ``a``'s small values, or that is at most
   ``k`` places away from ``a`` in the ring of one of its hub values (unless the two accounts'
   hub values alone could not make a passing pair: :class:`RingGate`), gets a slot the first
   time it is met, and each small value the two share is listed with the slot. A small
   value's accounts are listed in rank order, so its partners of lower rank are a prefix of
   the list and the walk stops at ``a`` itself. A scratch array over all accounts holds the
   slot of each partner met, tagged with the current account, so it never needs clearing
   between accounts. A counting sort by slot then groups the small values by partner in two
   linear passes (sorting the list instead cost a logarithmic factor per entry); a value is
   listed by its place among ``a``'s own values, whose weights are copied to a short array
   first, so scoring reads them from there instead of from the table of all values;
2. ``a``'s hub values are marked, and each partner's hub values are checked against the marks
   (partners have the lower rank, so the shorter hub list is the one walked). This check is
   most of the work: active accounts have hundreds of hub values, and so do their partners.
   The hub lists are ordered by family and grid code, strongest value first
   (:class:`HubTable`), so the walk skips the rest of a group as soon as nothing left in it
   could change the pair's weight;
3. per evidence family, the two strongest shared values combine as a noisy-OR, gridded tokens
   counting once at their strongest, and families add up.

Partners are scored in the order they were met (the caller sorts the pairs); a pair's weight
depends on the values it shares, not on the order they are met in, since only maxima are kept
and families are summed in a fixed order.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

__all__ = [
    "NARROW_HUBS",
    "VALUE_LIMIT",
    "HubTable",
    "Incidence",
    "RingGate",
    "build_incidence",
    "candidate_bound",
    "edges_in_value_order",
    "family_strength",
    "hub_table",
    "ring_gate",
    "score_accounts",
    "take_value",
    "widest_small_value",
]

#: Value ids must stay below this: the loops pack a value id in the low 32 bits of a word.
VALUE_LIMIT = 0xFFFFFFFF

#: Up to this many hub values, their dense ids are 16-bit (:class:`HubTable`).
NARROW_HUBS = 1 << 16

# The two halves of a 64-bit word that packs two 32-bit fields.
_LOW = 0xFFFFFFFF
_HIGH = ~0xFFFFFFFF


class Incidence(NamedTuple):
    """The account–value incidence in the compressed forms the loops walk.

    Accounts are numbered by rank (their number of hub values first). Per account, its small
    values (``small_ptr_by_account``/``small_values``) and its hub
    values (``hub_ptr_by_account``/``hub_values``, with ``ring_pos`` the account's position
    in each hub value's ring); per small value, its accounts (``small_ptr``/``small_acc``);
    per hub value, its accounts in ring order (``ring_ptr``/``ring_acc``). ``small_acc`` is
    increasing within each value. Row pointers and ``ring_pos`` are int64; accounts
    (``small_acc``, ``ring_acc``) and values (``small_values``, ``hub_values``) are uint32,
    since the loops' time goes mostly to reading these lists.
    """

    small_ptr_by_account: np.ndarray
    small_values: np.ndarray
    hub_ptr_by_account: np.ndarray
    hub_values: np.ndarray
    ring_pos: np.ndarray
    small_ptr: np.ndarray
    small_acc: np.ndarray
    ring_ptr: np.ndarray
    ring_acc: np.ndarray


class HubTable(NamedTuple):
    """The hub values as the scoring loop walks them.

    The hub values get dense ids ordered by family, grid code and decreasing weight (ties by
    value id), so each (family, grid code) group is a run of ids, strongest first. ``ids``
    holds each account's hub values as dense ids, increasing, with the row pointers of
    :attr:`Incidence.hub_ptr_by_account`: uint16 when there are at most :data:`NARROW_HUBS`
    hub values (the partners' hub lists are most of what the scoring loop reads), int32
    otherwise. Per dense id: ``weight`` (float64), ``family`` and ``grid`` (int64), and
    ``group_end`` (int64), the first id of the next group.
    """

    ids: np.ndarray
    weight: np.ndarray
    family: np.ndarray
    grid: np.ndarray
    group_end: np.ndarray


class RingGate(NamedTuple):
    """What the hub values alone can add to a pair, to rule out ring neighbours unscored.

    A partner proposed by a hub ring only shares no small value with the account, so the
    pair's weight comes from the hub values the two share: in each family at most the
    noisy-OR of either account's two strongest hub values of that family. ``reach`` holds it
    per account (by rank) and family, -1 where the account has no hub value of the family;
    an account's ring is ``open`` when its own reach sums to ``floor`` (less the loops'
    1e-6 of slack) over at least ``min_types`` families, and a pair of open accounts is
    scored when the smaller of the two reaches, summed over the families both have, does
    too. A pair ruled out could not have passed, so the pairs are the same; on the article
    preset two thirds of the 84.5M ring-only candidates are ruled out.
    """

    open: np.ndarray
    reach: np.ndarray
    floor: float
    min_types: int


def ring_gate(
    inc: Incidence,
    weight: np.ndarray,
    family: np.ndarray,
    n_families: int,
    floor: float,
    min_types: int,
) -> RingGate:
    """The :class:`RingGate` of an incidence, given the weight and family of each value id.

    Examples
    --------
    Account 0 uses two hub values of two families, account 1 one of them:

    >>> hub = np.ones(3, dtype=np.bool_)
    >>> inc = build_incidence(np.array([0, 0, 1]), np.array([0, 1, 1]), hub, np.arange(2), 2, 0)
    >>> g = ring_gate(inc, np.array([0.5, 0.6]), np.array([0, 1]), 2, 1.0, 2)
    >>> g.reach.tolist(), g.open.tolist()
    ([[0.5, 0.6], [-1.0, 0.6]], [True, False])
    """
    reach = _hub_reach(inc, weight, family, n_families)
    present = reach >= 0.0
    total = np.where(present, reach, 0.0).sum(axis=1)
    ring_open = (total >= floor - 1e-6) & (present.sum(axis=1) >= min_types)
    return RingGate(open=ring_open, reach=reach, floor=float(floor), min_types=int(min_types))


@nb.njit(cache=True)
def _hub_reach(
    inc: Incidence, weight: np.ndarray, family: np.ndarray, n_families: int
) -> np.ndarray:
    """Per account and family, the noisy-OR of the account's two strongest hub values of the
    family (as :func:`family_strength` combines them), -1 where it has none."""
    n_accounts = inc.hub_ptr_by_account.size - 1
    reach = np.full((n_accounts, n_families), -1.0)
    top = np.zeros((n_families, 2), dtype=np.float64)
    for a in range(n_accounts):
        lo = inc.hub_ptr_by_account[a]
        hi = inc.hub_ptr_by_account[a + 1]
        for p in range(lo, hi):
            f = family[inc.hub_values[p]]
            top[f, 0] = 0.0
            top[f, 1] = 0.0
        for p in range(lo, hi):
            v = inc.hub_values[p]
            f = family[v]
            w = weight[v]
            if w > top[f, 0]:
                top[f, 1] = top[f, 0]
                top[f, 0] = w
            elif w > top[f, 1]:
                top[f, 1] = w
        for p in range(lo, hi):
            f = family[inc.hub_values[p]]
            reach[a, f] = 1.0 - (1.0 - top[f, 0]) * (1.0 - top[f, 1])
    return reach


def hub_table(inc: Incidence, weight: np.ndarray, family: np.ndarray, grid: np.ndarray) -> HubTable:
    """The :class:`HubTable` of an incidence, given the per-value attributes.

    Examples
    --------
    >>> e = np.array([0, 2, 3], dtype=np.int64)
    >>> inc = Incidence(
    ...     small_ptr_by_account=np.zeros(3, dtype=np.int64), small_values=e[:0],
    ...     hub_ptr_by_account=np.array([0, 2, 3]), hub_values=np.array([0, 1, 1]),
    ...     ring_pos=np.array([0, 0, 1]), small_ptr=np.zeros(3, dtype=np.int64),
    ...     small_acc=e[:0], ring_ptr=np.array([0, 1, 3]), ring_acc=np.array([0, 0, 1]))
    >>> t = hub_table(inc, np.array([0.2, 0.5]), np.zeros(2, np.uint16), np.zeros(2, np.uint8))
    >>> t.ids.tolist(), t.weight.tolist(), t.group_end.tolist()
    ([0, 1, 0], [0.5, 0.2], [2, 2])
    """
    hub = np.flatnonzero(np.diff(inc.ring_ptr))
    hub = hub[np.lexsort((hub, -weight[hub], grid[hub], family[hub]))]
    hub_family = family[hub].astype(np.int64)
    hub_grid = grid[hub].astype(np.int64)
    # A group ends where the (family, grid code) pair changes.
    starts = np.flatnonzero(
        np.concatenate(([True], (np.diff(hub_family) != 0) | (np.diff(hub_grid) != 0)))
    )
    sizes = np.diff(np.append(starts, hub.size))
    id_type = np.uint16 if hub.size <= NARROW_HUBS else np.int32
    # Only hub values are looked up.
    dense = np.zeros(inc.ring_ptr.size - 1, dtype=id_type)
    dense[hub] = np.arange(hub.size, dtype=id_type)
    ids = dense[inc.hub_values]
    _sort_rows(inc.hub_ptr_by_account, ids)
    return HubTable(
        ids=ids,
        weight=weight[hub].astype(np.float64),
        family=hub_family,
        grid=hub_grid,
        group_end=np.repeat(starts + sizes, sizes).astype(np.int64),
    )


@nb.njit(cache=True, parallel=True)
def _sort_rows(ptr: np.ndarray, x: np.ndarray) -> None:
    """Sort each row ``x[ptr[i]:ptr[i + 1]]`` of a compressed-row table in place."""
    for i in nb.prange(ptr.size - 1):
        x[ptr[i] : ptr[i + 1]].sort()


class _Partners(NamedTuple):
    """The current account's partners by slot (int64 arrays, one entry per slot).

    ``account``: the partner's id; ``tally``: how many small values the two share, then, once
    grouped (:func:`_group`), where they end in the grouped list; ``hub_start``/``hub_end``:
    the partner's row in :attr:`HubTable.ids`, and ``first_hub`` its first entry.
    """

    account: np.ndarray
    tally: np.ndarray
    hub_start: np.ndarray
    hub_end: np.ndarray
    first_hub: np.ndarray


@nb.njit(cache=True, nogil=True)
def _meet(b: int, s: int, inc: Incidence, hubs: HubTable, partners: _Partners) -> None:
    """Give partner ``b`` slot ``s``.

    The partner's first hub id is read here, while the listing has many reads in flight,
    rather than when its hub values are walked, where the read would stall the walk.
    """
    partners.account[s] = b
    partners.tally[s] = 0
    start = inc.hub_ptr_by_account[b]
    end = inc.hub_ptr_by_account[b + 1]
    partners.hub_start[s] = start
    partners.hub_end[s] = end
    if end > start:
        partners.first_hub[s] = hubs.ids[start]


@nb.njit(cache=True, nogil=True)
def _gather(
    a: int,
    stamp: int,
    inc: Incidence,
    hubs: HubTable,
    k: int,
    slot_of: np.ndarray,
    partners: _Partners,
    entry: np.ndarray,
    gate: RingGate,
) -> tuple[int, int]:
    """List ``a``'s partners of lower rank, each once, and the small values each shares.

    A partner takes the next free slot ``s`` when first met, and ``slot_of[b]`` of partner
    ``b`` becomes ``stamp | s``. ``stamp`` (in the high 32 bits) is unique to the current
    account, so ``slot_of`` tells a partner already met from one met for an earlier account and
    never needs clearing. Each small value shared with the partner in slot ``s`` is written to
    ``entry`` as ``s << 32 | i``, ``i`` its place among ``a``'s small values, and counted; a
    partner proposed by a hub ring only takes its slot, unless ``gate`` rules the pair out
    (its slot is then ``_LOW``, so it is not looked at again). Returns the numbers of partners
    and of entries.
    """
    m = 0
    n = 0
    first = inc.small_ptr_by_account[a]
    for p in range(first, inc.small_ptr_by_account[a + 1]):
        v = inc.small_values[p]
        for j in range(inc.small_ptr[v], inc.small_ptr[v + 1]):
            b = inc.small_acc[j]
            if b >= a:
                break
            tag = slot_of[b]
            if (tag & _HIGH) == stamp:
                s = tag & _LOW
            else:
                s = m
                slot_of[b] = stamp | s
                _meet(b, s, inc, hubs, partners)
                m += 1
            partners.tally[s] += 1
            entry[n] = (s << 32) | (p - first)
            n += 1
    if not gate.open[a]:
        return m, n
    for p in range(inc.hub_ptr_by_account[a], inc.hub_ptr_by_account[a + 1]):
        v = inc.hub_values[p]
        start = inc.ring_ptr[v]
        d = inc.ring_ptr[v + 1] - start
        r = inc.ring_pos[p]
        for step in range(1, min(k, d // 2) + 1):
            for offset in (step, -step):
                b = inc.ring_acc[start + (r + offset) % d]
                # A partner not met through a small value shares none with ``a``: only the
                # hub values can link the two, and the gate tells when they cannot.
                if b < a and gate.open[b] and (slot_of[b] & _HIGH) != stamp:
                    if _may_pass(gate, a, b):
                        slot_of[b] = stamp | m
                        _meet(b, m, inc, hubs, partners)
                        m += 1
                    else:
                        slot_of[b] = stamp | _LOW
    return m, n


@nb.njit(cache=True, nogil=True)
def _may_pass(gate: RingGate, a: int, b: int) -> bool:
    """Whether the hub values of ``a`` and ``b`` alone could make a pair that passes."""
    total = 0.0
    kinds = 0
    for f in range(gate.reach.shape[1]):
        x = gate.reach[a, f]
        y = gate.reach[b, f]
        if x >= 0.0 and y >= 0.0:
            total += min(x, y)
            kinds += 1
    return kinds >= gate.min_types and total >= gate.floor - 1e-6


@nb.njit(cache=True, nogil=True)
def _group(m: int, n: int, tally: np.ndarray, entry: np.ndarray, values: np.ndarray) -> None:
    """Counting sort of the first ``n`` entries by slot, keeping their values.

    ``tally`` holds the number of entries of each of the ``m`` slots. On return it holds where
    they end: the small values of slot ``s`` (as places among the current account's values)
    are ``values[tally[s - 1]:tally[s]]`` (from 0 for slot 0).
    """
    total = 0
    for s in range(m):
        c = tally[s]
        tally[s] = total
        total += c
    for q in range(n):
        s = entry[q] >> 32
        values[tally[s]] = entry[q] & _LOW
        tally[s] += 1


@nb.njit(cache=True, nogil=True)
def take_value(
    w: float, f: int, g: int, top: np.ndarray, gmax: np.ndarray, seen: np.ndarray
) -> None:
    """Add a value (weight ``w``, family ``f``, grid code ``g``) to a set of shared values.

    ``top[f]`` holds family ``f``'s two strongest ungridded values, ``gmax[f, g]`` the
    strongest value of gridded type ``g`` and ``seen[f]`` whether the family has any; the
    score stage keeps one such set per cluster member, this stage one per candidate pair.
    """
    seen[f] = True
    if g == 0:
        if w > top[f, 0]:
            top[f, 1] = top[f, 0]
            top[f, 0] = w
        elif w > top[f, 1]:
            top[f, 1] = w
    elif w > gmax[f, g]:
        gmax[f, g] = w


@nb.njit(cache=True, nogil=True)
def _take_hubs(
    s: int,
    partners: _Partners,
    hubs: HubTable,
    marked: np.ndarray,
    top: np.ndarray,
    gmax: np.ndarray,
    seen: np.ndarray,
) -> None:
    """Add the hub values the partner in slot ``s`` shares with the current account.

    The current account's hub values are ``marked``. The partner's come by group (family and
    grid code), strongest first, so the rest of a group is skipped once it could not change
    the pair: when the group's second strongest ungridded value (the strongest gridded one)
    so far is at least as strong as the value at hand. That bar is only used once positive,
    when the family has been seen already.
    """
    ids = hubs.ids
    p = partners.hub_start[s]
    end = partners.hub_end[s]
    if p == end:
        return
    h = partners.first_hub[s]
    while True:
        f = hubs.family[h]
        g = hubs.grid[h]
        group_end = hubs.group_end[h]
        bar = top[f, 1] if g == 0 else gmax[f, g]
        full = bar > 0.0 and hubs.weight[h] <= bar
        while not full:
            if marked[h]:
                w = hubs.weight[h]
                take_value(w, f, g, top, gmax, seen)
                full = g != 0 or top[f, 1] >= w
                if full:
                    break
            p += 1
            if p == end:
                return
            h = ids[p]
            if h >= group_end:
                break
        if full:
            p += 1
            while p < end and ids[p] < group_end:
                p += 1
            if p == end:
                return
            h = ids[p]


@nb.njit(cache=True, nogil=True)
def _settle(top: np.ndarray, gmax: np.ndarray, seen: np.ndarray) -> tuple[float, int]:
    """Summed family strengths and number of families of the current pair; resets the scratch.

    Within a family the two strongest values combine as ``1 - (1 - w1)(1 - w2)``; each gridded
    type (one window laid on shifted grids) offers only its strongest token. Families are
    summed in increasing order, so the result does not depend on the order values were met in.
    """
    total = 0.0
    n_families = 0
    for f in range(seen.size):
        if not seen[f]:
            continue
        total += family_strength(top, gmax, f)
        n_families += 1
        for g in range(1, gmax.shape[1]):
            gmax[f, g] = 0.0
        top[f, 0] = 0.0
        top[f, 1] = 0.0
        seen[f] = False
    return total, n_families


@nb.njit(cache=True, nogil=True)
def family_strength(top: np.ndarray, gmax: np.ndarray, f: int) -> float:
    """Strength of family ``f`` in a set of values made by :func:`take_value`: its two
    strongest values, each gridded type offering only its strongest, as
    ``1 - (1 - w1)(1 - w2)``."""
    t1: float = top[f, 0]
    t2: float = top[f, 1]
    for g in range(1, gmax.shape[1]):
        x = gmax[f, g]
        if x > t1:
            t2 = t1
            t1 = x
        elif x > t2:
            t2 = x
    return 1.0 - (1.0 - t1) * (1.0 - t2)


@nb.njit(cache=True, parallel=True)
def score_accounts(
    accounts: np.ndarray,
    offsets: np.ndarray,
    inc: Incidence,
    hubs: HubTable,
    gate: RingGate,
    k: int,
    weight: np.ndarray,
    family: np.ndarray,
    grid: np.ndarray,
    n_families: int,
    n_grid_codes: int,
    org: np.ndarray,
    org_discount: float,
    floor: float,
    min_types: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Score the candidate pairs of the given accounts with their partners of lower rank.

    Account ``accounts[i]`` writes the pairs that may pass (its partners' ids, in the order
    they were met) from ``offsets[i]`` on; ``offsets`` is the running sum of
    :func:`candidate_bound`. Returns ``(b, weight, n_families, n_passing, n_candidates)``: the
    first three by slot (only the first ``n_passing[i]`` slots of account ``i`` are set), the
    last two by account. ``weight`` includes the organisation discount
    and is not yet rounded, so pairs within 1e-6 below ``floor`` are kept for the caller's exact
    test. ``hubs`` is :func:`hub_table` of ``inc``, ``gate`` :func:`ring_gate` of it with the
    same ``floor`` and ``min_types``; ``weight``, ``family`` and ``grid`` are by value id.
    Grid codes run from 1 to ``n_grid_codes - 1``; 0 marks a value that is not gridded.
    """
    n_slots = offsets[-1]
    # Only the slots of passing pairs are written and read, a few percent of the bound: left
    # unset, the others are never touched, so their memory is never faulted in or cleared.
    out_b = np.empty(n_slots, dtype=np.uint32)
    out_w = np.empty(n_slots, dtype=np.float64)
    out_f = np.empty(n_slots, dtype=np.uint8)
    n_pass = np.zeros(accounts.size, dtype=np.int64)
    n_cand = np.zeros(accounts.size, dtype=np.int64)
    n_accounts = inc.small_ptr_by_account.size - 1
    hub_ptr = inc.hub_ptr_by_account
    # Accounts go to the threads in blocks, each block with its own scratch space: a partner
    # slot per account and a mark per hub value (both left clean for the next account), and
    # the partner lists. A few hundred blocks balance the threads.
    block = max(64, accounts.size // 256)
    n_blocks = (accounts.size + block - 1) // block
    for blk in nb.prange(n_blocks):
        lo = blk * block
        hi = min(accounts.size, lo + block)
        slot_of = np.zeros(n_accounts, dtype=np.int64)
        marked = np.zeros(hubs.weight.size, dtype=np.bool_)
        longest = max(1, np.max(offsets[lo + 1 : hi + 1] - offsets[lo:hi]))
        entry = np.empty(longest, dtype=np.int64)
        values = np.empty(longest, dtype=np.int64)
        most = min(longest, n_accounts)
        own = 1
        for i in range(lo, hi):
            a = accounts[i]
            own = max(own, inc.small_ptr_by_account[a + 1] - inc.small_ptr_by_account[a])
        own_w = np.empty(own, dtype=np.float64)
        own_f = np.empty(own, dtype=np.int64)
        own_g = np.empty(own, dtype=np.int64)
        partners = _Partners(
            account=np.empty(most, dtype=np.int64),
            tally=np.empty(most, dtype=np.int64),
            hub_start=np.empty(most, dtype=np.int64),
            hub_end=np.empty(most, dtype=np.int64),
            first_hub=np.empty(most, dtype=np.int64),
        )
        top = np.zeros((n_families, 2), dtype=np.float64)
        gmax = np.zeros((n_families, n_grid_codes), dtype=np.float64)
        seen = np.zeros(n_families, dtype=np.bool_)
        for i in range(lo, hi):
            start = offsets[i]
            if offsets[i + 1] == start:
                continue
            a = accounts[i]
            m, n = _gather(a, (i + 1) << 32, inc, hubs, k, slot_of, partners, entry, gate)
            _group(m, n, partners.tally, entry, values)
            first_small = inc.small_ptr_by_account[a]
            for p in range(first_small, inc.small_ptr_by_account[a + 1]):
                v = inc.small_values[p]
                own_w[p - first_small] = weight[v]
                own_f[p - first_small] = family[v]
                own_g[p - first_small] = grid[v]
            for p in range(hub_ptr[a], hub_ptr[a + 1]):
                marked[hubs.ids[p]] = True
            kept = 0
            first = 0
            for s in range(m):
                for t in range(first, partners.tally[s]):
                    q = values[t]
                    take_value(own_w[q], own_f[q], own_g[q], top, gmax, seen)
                first = partners.tally[s]
                _take_hubs(s, partners, hubs, marked, top, gmax, seen)
                w, nf = _settle(top, gmax, seen)
                b = partners.account[s]
                if org[a] >= 0 and org[a] == org[b]:
                    w = w * org_discount
                if nf >= min_types and w >= floor - 1e-6:
                    out_b[start + kept] = b
                    out_w[start + kept] = w
                    out_f[start + kept] = nf
                    kept += 1
            for p in range(hub_ptr[a], hub_ptr[a + 1]):
                marked[hubs.ids[p]] = False
            n_pass[i] = kept
            n_cand[i] = m
    return out_b, out_w, out_f, n_pass, n_cand


@nb.njit(cache=True)
def candidate_bound(inc: Incidence, k: int, ring_open: np.ndarray) -> np.ndarray:
    """Per account, an upper bound on the entries of its partner list (and on its partners of
    lower rank). An account whose ring is not open (:attr:`RingGate.open`) lists no ring
    neighbours."""
    n_accounts = inc.small_ptr_by_account.size - 1
    bound = np.zeros(n_accounts, dtype=np.int64)
    # A small value's accounts are listed in rank order, so each has as many of lower rank as
    # its place in the list: one pass over the lists, where looking each account up in each
    # of its values' lists took a binary search per entry (1.6-1.7 s against 0.1 s on the
    # article preset's 19 million small-value entries).
    for v in range(inc.small_ptr.size - 1):
        start = inc.small_ptr[v]
        for j in range(start, inc.small_ptr[v + 1]):
            bound[inc.small_acc[j]] += j - start
    for a in range(n_accounts):
        if not ring_open[a]:
            continue
        total = 0
        for p in range(inc.hub_ptr_by_account[a], inc.hub_ptr_by_account[a + 1]):
            v = inc.hub_values[p]
            total += 2 * min(k, (inc.ring_ptr[v + 1] - inc.ring_ptr[v]) // 2)
        bound[a] += total
    return bound


@nb.njit(cache=True)
def widest_small_value(
    account: np.ndarray, value: np.ndarray, is_hub: np.ndarray, n_accounts: int, n_values: int
) -> np.ndarray:
    """Per account, its small value used by the most accounts (ties by the lower value id),
    or ``n_values`` when it has none; the edges in any order.

    Examples
    --------
    Value 1 has three accounts, value 0 one, value 2 is a hub; account 3 has no value:

    >>> hub = np.array([False, False, False, False, True])
    >>> widest_small_value(
    ...     np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 1, 2]), hub, 4, 3).tolist()
    [1, 1, 1, 3]
    """
    degree = np.zeros(n_values, dtype=np.int64)
    for i in range(account.size):
        if not is_hub[i]:
            degree[value[i]] += 1
    widest = np.full(n_accounts, n_values, dtype=np.int64)
    for i in range(account.size):
        if is_hub[i]:
            continue
        a = account[i]
        v = value[i]
        w = widest[a]
        if w == n_values or degree[v] > degree[w] or (degree[v] == degree[w] and v < w):
            widest[a] = v
    return widest


@nb.njit(cache=True)
def _stable_by(keys: np.ndarray, n_keys: int, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``order`` (an order of all the rows of ``keys``) stably sorted by ``keys[order]``, keys
    in ``range(n_keys)``, and the row pointers of the result (:func:`_runs`).

    A counting sort: two linear passes where a comparison sort of millions of rows takes a
    logarithmic factor more.
    """
    ptr = _runs(keys, n_keys)
    fill = ptr[:-1].copy()
    out = np.empty(order.size, dtype=np.int64)
    for i in order:
        k = keys[i]
        out[fill[k]] = i
        fill[k] += 1
    return out, ptr


@nb.njit(cache=True)
def _splitmix(x: np.uint64) -> np.uint64:
    """SplitMix64 finaliser: a fixed, version-independent integer hash."""
    z = x
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


@nb.njit(cache=True)
def ring_keys(account: np.ndarray, value: np.ndarray, seed: int) -> np.ndarray:
    """The seeded pseudo-random keys that order each hub value's accounts around its ring:
    ``mix(account * golden ^ mix(value + seed))``, of the account's id (not its rank), so that
    the ring does not depend on how accounts are numbered."""
    out = np.empty(account.size, dtype=np.uint64)
    golden = np.uint64(0x9E3779B97F4A7C15)
    s = np.uint64(seed)
    for i in range(account.size):
        a = np.uint64(account[i])
        v = np.uint64(value[i])
        out[i] = _splitmix((a * golden) ^ _splitmix(v + s))
    return out


@nb.njit(cache=True)
def edges_in_value_order(account: np.ndarray, value: np.ndarray) -> bool:
    """Whether the edges are sorted by value, then account, each pair once."""
    for i in range(1, account.size):
        if value[i] < value[i - 1] or (value[i] == value[i - 1] and account[i] <= account[i - 1]):
            return False
    return True


@nb.njit(cache=True)
def build_incidence(
    account: np.ndarray,
    value: np.ndarray,
    is_hub: np.ndarray,
    rank: np.ndarray,
    n_values: int,
    seed: int,
) -> Incidence:
    """The :class:`Incidence` of the linking edges (``account`` ids, ``value`` ids, whether the
    value is a hub), with each account numbered by ``rank[account]``.

    The edges must be sorted by value, then account, each pair once
    (:func:`edges_in_value_order`), as the encoded edge table comes. Each value's accounts
    are then a run already: a small value's (at most ``hub_degree``) are put in rank order
    within their run, and a hub value's in the order of :func:`ring_keys` (ties, which take
    two equal 64-bit keys, by account id). The per-account tables are made by a counting sort
    by rank. On the article preset's 31.7M edges: 3.4-3.6 s, where counting sorts by rank
    and by value (the edges in any order) took 4.3-4.7 s.
    """
    n_accounts = rank.size
    n = account.size
    n_hub = 0
    for i in range(n):
        if is_hub[i]:
            n_hub += 1
    small = np.empty(n - n_hub, dtype=np.int64)
    hub = np.empty(n_hub, dtype=np.int64)
    s = 0
    h = 0
    for i in range(n):
        if is_hub[i]:
            hub[h] = i
            h += 1
        else:
            small[s] = i
            s += 1
    # Small values: by value then rank, and by rank then value.
    s_rank = rank[account[small]]
    s_value = value[small].astype(np.int64)
    small_ptr = _runs(s_value, n_values)
    by_value = np.arange(small.size)
    for v in range(n_values):
        _order_run(by_value, small_ptr[v], small_ptr[v + 1], s_rank)
    by_account, small_ptr_by_account = _stable_by(s_rank, n_accounts, by_value)
    small_acc = s_rank[by_value]
    small_values = s_value[by_account]
    # Hub values: each value's accounts in ring order, then the edges by rank then value, each
    # with its position in its value's ring.
    h_id = account[hub]
    h_value = value[hub].astype(np.int64)
    h_rank = rank[h_id]
    key = ring_keys(h_id, h_value, seed)
    ring_ptr = _runs(h_value, n_values)
    ring = np.arange(hub.size)
    for v in range(n_values):
        _order_run(ring, ring_ptr[v], ring_ptr[v + 1], key)
    pos = np.empty(hub.size, dtype=np.int64)
    for j in range(hub.size):
        pos[ring[j]] = j - ring_ptr[h_value[ring[j]]]
    hub_order, hub_ptr_by_account = _stable_by(h_rank, n_accounts, ring)
    return Incidence(
        small_ptr_by_account=small_ptr_by_account,
        small_values=small_values.astype(np.uint32),
        hub_ptr_by_account=hub_ptr_by_account,
        hub_values=h_value[hub_order].astype(np.uint32),
        ring_pos=pos[hub_order],
        small_ptr=small_ptr,
        small_acc=small_acc.astype(np.uint32),
        ring_ptr=ring_ptr,
        ring_acc=h_rank[ring].astype(np.uint32),
    )


@nb.njit(cache=True)
def _runs(keys: np.ndarray, n_keys: int) -> np.ndarray:
    """Row pointers of ``keys`` in ``range(n_keys)`` grouped by key: once the rows are in key
    order, key ``k``'s are ``ptr[k]:ptr[k + 1]``."""
    ptr = np.zeros(n_keys + 1, dtype=np.int64)
    for k in keys:
        ptr[k + 1] += 1
    for k in range(n_keys):
        ptr[k + 1] += ptr[k]
    return ptr


@nb.njit(cache=True)
def _order_run(rows: np.ndarray, lo: int, hi: int, by: np.ndarray) -> None:
    """Sort ``rows[lo:hi]`` stably by ``by[rows]``: by insertion for short runs (a small
    value's), by a merge sort beyond 32 rows."""
    if hi - lo > 32:
        part = rows[lo:hi].copy()
        rows[lo:hi] = part[np.argsort(by[part], kind="mergesort")]
        return
    for i in range(lo + 1, hi):
        r = rows[i]
        k = by[r]
        j = i - 1
        while j >= lo and by[rows[j]] > k:
            rows[j + 1] = rows[j]
            j -= 1
        rows[j + 1] = r
