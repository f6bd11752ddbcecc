"""Compiled inner loop of the cluster stage: each account's strongest pairs.

Leiden is given, for every account, only its ``k`` heaviest strong pairs (the union over
accounts: a pair stays when it is among the ``k`` heaviest of either of its accounts). The
selection groups the pairs by account in two linear passes (a counting sort that keeps each
account's pairs in input order) and sorts only the lists of accounts with more than ``k``
pairs, by weight with ties in input order. Sorting all pairs of all accounts at once in
whole-array operations took 4.1 s for the article preset's 9.5 million pairs.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["strongest"]


@nb.njit(cache=True, parallel=True)
def _strongest(a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int, k: int) -> np.ndarray:
    m = a.size
    ptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        ptr[a[e] + 1] += 1
        ptr[b[e] + 1] += 1
    for v in range(n):
        ptr[v + 1] += ptr[v]
    fill = ptr[:-1].copy()
    ids = np.empty(2 * m, dtype=np.int64)
    for e in range(m):
        ids[fill[a[e]]] = e
        fill[a[e]] += 1
        ids[fill[b[e]]] = e
        fill[b[e]] += 1
    keep = np.zeros(m, dtype=np.bool_)
    for v in nb.prange(n):
        lo = ptr[v]
        hi = ptr[v + 1]
        if hi - lo <= k:
            for i in range(lo, hi):
                keep[ids[i]] = True
        else:
            mine = ids[lo:hi]
            order = np.argsort(-w[mine], kind="mergesort")
            for i in range(k):
                keep[mine[order[i]]] = True
    return keep


def strongest(edges: np.ndarray, weights: np.ndarray, n: int, k: int) -> np.ndarray:
    """Indices (ascending) of the edges among the ``k`` heaviest of either end vertex.

    ``edges`` is an ``(m, 2)`` array of vertex numbers below ``n``. Ties are broken by edge
    index, so the selection does not depend on the order of the work.

    Examples
    --------
    >>> e = np.array([[0, 1], [0, 2], [0, 3], [1, 2]])
    >>> strongest(e, np.array([3.0, 2.0, 1.0, 0.5]), 4, 1).tolist()
    [0, 1, 2]
    """
    keep = _strongest(
        np.ascontiguousarray(edges[:, 0], dtype=np.int64),
        np.ascontiguousarray(edges[:, 1], dtype=np.int64),
        np.ascontiguousarray(weights, dtype=np.float64),
        n,
        k,
    )
    return np.flatnonzero(keep)
