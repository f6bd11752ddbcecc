"""Compiled inner loops of the link stage.

The link stage looks at every candidate account pair and at every value the two accounts
share. In a 25,000-account operation that is well over a hundred million pairs, and any
formulation in whole-array operations materialises one row per (pair, shared value) and sorts
them all: billions of rows. These loops do the same arithmetic one account at a time, holding
nothing beyond the pairs that pass, so they are compiled with numba and run on every core.

For each account ``a`` (in the order of its rank, see below):

1. every account ``b`` of lower rank that shares one of ``a``'s small values is listed once per
   shared value, and every account at most ``k`` places away from ``a`` in the ring of one of its
   hub values is listed once; sorting the list groups each candidate partner with the small
   values the two share;
2. ``a``'s hub values are marked, and each partner's hub values are checked against the marks
   (partners have the lower rank, so the shorter hub list is the one walked);
3. per evidence family, the two strongest shared values combine as a noisy-OR, gridded tokens
   counting once at their strongest, and families add up.

Accounts are ranked by the number of their hub values (ties by id); each pair is scored once,
by its account of higher rank.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

__all__ = ["NO_VALUE", "Incidence", "candidate_bound", "score_accounts"]

#: Value id that marks a partner proposed by a hub ring (no small value shared on that row).
NO_VALUE = 0xFFFFFFFF


class Incidence(NamedTuple):
    """The account–value incidence in the compressed forms the loops walk (all int64 arrays).

    Per account, its small values (``small_ptr_by_account``/``small_values``) and its hub
    values (``hub_ptr_by_account``/``hub_values``, with ``ring_pos`` the account's position
    in each hub value's ring); per small value, its accounts (``small_ptr``/``small_acc``);
    per hub value, its accounts in ring order (``ring_ptr``/``ring_acc``). ``rank`` orders
    the accounts by their number of hub values, ties by id.
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
    rank: np.ndarray


@nb.njit(cache=True, nogil=True)
def _gather(a: int, inc: Incidence, k: int, buf: np.ndarray) -> int:
    """Fill ``buf`` with ``b << 32 | v`` for ``a``'s partners ``b`` of lower rank, sorted.

    ``v`` is a small value both share, or :data:`NO_VALUE` for a partner proposed by a hub
    ring. Returns the number of entries.
    """
    rank = inc.rank
    r_a = rank[a]
    n = 0
    for p in range(inc.small_ptr_by_account[a], inc.small_ptr_by_account[a + 1]):
        v = inc.small_values[p]
        for j in range(inc.small_ptr[v], inc.small_ptr[v + 1]):
            b = inc.small_acc[j]
            if rank[b] < r_a:
                buf[n] = (b << 32) | v
                n += 1
    for p in range(inc.hub_ptr_by_account[a], inc.hub_ptr_by_account[a + 1]):
        v = inc.hub_values[p]
        start = inc.ring_ptr[v]
        d = inc.ring_ptr[v + 1] - start
        r = inc.ring_pos[p]
        for step in range(1, min(k, d // 2) + 1):
            b = inc.ring_acc[start + (r + step) % d]
            if rank[b] < r_a:
                buf[n] = (b << 32) | NO_VALUE
                n += 1
            b = inc.ring_acc[start + (r - step) % d]
            if rank[b] < r_a:
                buf[n] = (b << 32) | NO_VALUE
                n += 1
    buf[:n].sort()
    return n


@nb.njit(cache=True, nogil=True)
def _take(
    v: int,
    weight: np.ndarray,
    family: np.ndarray,
    grid: np.ndarray,
    top: np.ndarray,
    gmax: np.ndarray,
    seen: np.ndarray,
) -> None:
    """Add shared value ``v`` to the per-family running maxima of the current pair."""
    f = family[v]
    w = weight[v]
    g = grid[v]
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
        t1 = top[f, 0]
        t2 = top[f, 1]
        for g in range(1, gmax.shape[1]):
            x = gmax[f, g]
            if x > t1:
                t2 = t1
                t1 = x
            elif x > t2:
                t2 = x
            gmax[f, g] = 0.0
        total += 1.0 - (1.0 - t1) * (1.0 - t2)
        n_families += 1
        top[f, 0] = 0.0
        top[f, 1] = 0.0
        seen[f] = False
    return total, n_families


@nb.njit(cache=True, parallel=True)
def score_accounts(
    accounts: np.ndarray,
    offsets: np.ndarray,
    inc: Incidence,
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

    Account ``accounts[i]`` writes the pairs that may pass (its partner's id, increasing) from
    ``offsets[i]`` on; ``offsets`` is the running sum of :func:`candidate_bound`. Returns
    ``(b, weight, n_families, n_passing, n_candidates)``: the first three by slot, the last two
    by account. ``weight`` includes the organisation discount and is not yet rounded, so pairs
    within 1e-6 below ``floor`` are kept for the caller's exact test. Grid codes run from 1 to
    ``n_grid_codes - 1``; 0 marks a value that is not gridded.
    """
    n_slots = offsets[-1]
    out_b = np.zeros(n_slots, dtype=np.uint32)
    out_w = np.zeros(n_slots, dtype=np.float64)
    out_f = np.zeros(n_slots, dtype=np.uint8)
    n_pass = np.zeros(accounts.size, dtype=np.int64)
    n_cand = np.zeros(accounts.size, dtype=np.int64)
    # Accounts go to the threads in blocks, each block with its own scratch space: a mark per
    # value (set for the current account's hub values) and the partner list. A few hundred
    # blocks balance the threads without clearing a mark array per handful of accounts.
    block = max(64, accounts.size // 256)
    n_blocks = (accounts.size + block - 1) // block
    for blk in nb.prange(n_blocks):
        lo = blk * block
        hi = min(accounts.size, lo + block)
        marked = np.zeros(weight.size, dtype=np.bool_)
        buf = np.empty(max(1, np.max(offsets[lo + 1 : hi + 1] - offsets[lo:hi])), dtype=np.int64)
        top = np.zeros((n_families, 2), dtype=np.float64)
        gmax = np.zeros((n_families, n_grid_codes), dtype=np.float64)
        seen = np.zeros(n_families, dtype=np.bool_)
        for i in range(lo, hi):
            start = offsets[i]
            if offsets[i + 1] == start:
                continue
            a = accounts[i]
            n = _gather(a, inc, k, buf)
            hub_ptr = inc.hub_ptr_by_account
            hub_values = inc.hub_values
            for p in range(hub_ptr[a], hub_ptr[a + 1]):
                marked[hub_values[p]] = True
            kept = 0
            m = 0
            t = 0
            while t < n:
                b = buf[t] >> 32
                while t < n and (buf[t] >> 32) == b:
                    v = buf[t] & NO_VALUE
                    if v != NO_VALUE:
                        _take(v, weight, family, grid, top, gmax, seen)
                    t += 1
                for p in range(hub_ptr[b], hub_ptr[b + 1]):
                    v = hub_values[p]
                    if marked[v]:
                        _take(v, weight, family, grid, top, gmax, seen)
                w, nf = _settle(top, gmax, seen)
                m += 1
                if org[a] >= 0 and org[a] == org[b]:
                    w = w * org_discount
                if nf >= min_types and w >= floor - 1e-6:
                    out_b[start + kept] = b
                    out_w[start + kept] = w
                    out_f[start + kept] = nf
                    kept += 1
            for p in range(hub_ptr[a], hub_ptr[a + 1]):
                marked[hub_values[p]] = False
            n_pass[i] = kept
            n_cand[i] = m
    return out_b, out_w, out_f, n_pass, n_cand


@nb.njit(cache=True)
def candidate_bound(inc: Incidence, k: int) -> np.ndarray:
    """Per account, an upper bound on the entries of its partner list (and on its partners)."""
    n_accounts = inc.small_ptr_by_account.size - 1
    bound = np.zeros(n_accounts, dtype=np.int64)
    for a in range(n_accounts):
        total = 0
        for p in range(inc.small_ptr_by_account[a], inc.small_ptr_by_account[a + 1]):
            v = inc.small_values[p]
            total += inc.small_ptr[v + 1] - inc.small_ptr[v] - 1
        for p in range(inc.hub_ptr_by_account[a], inc.hub_ptr_by_account[a + 1]):
            v = inc.hub_values[p]
            total += 2 * min(k, (inc.ring_ptr[v + 1] - inc.ring_ptr[v]) // 2)
        bound[a] = total
    return bound
