"""Compiled loops of the score stage: the clusters' shared values, and each member's evidence
strength per family.

A member's strength in a family combines the two strongest of its shared values there as a
noisy-OR, ``1 - (1 - w1)(1 - w2)``, a type laid on shifted time grids counting once at its
strongest, as the link stage combines a pair's values: with the same compiled functions
(:func:`~sybilgraph.link_kernel.take_value`, :func:`~sybilgraph.link_kernel.family_strength`),
one set of values per member. On the article preset that is 19 million (member, value) rows;
grouping them twice as tables took about 4 s, one pass over them here takes a fraction of a
second.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from sybilgraph.link_kernel import family_strength, take_value

__all__ = ["cluster_values", "member_strength"]


@nb.njit(cache=True)
def member_strength(
    member: np.ndarray,
    family: np.ndarray,
    grid: np.ndarray,
    w: np.ndarray,
    n_members: int,
    n_families: int,
    n_grids: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strength per (member, family) from rows of (member, family, grid code, weight).

    ``member`` is below ``n_members``, ``family`` below ``n_families`` and ``grid`` below
    ``n_grids`` (0 for a value that is not gridded, else the code of its gridded type). Within
    a (member, family) each ungridded row is a value of its own and each gridded type counts
    once, at its strongest row; the two strongest of these combine as ``1 - (1 - w1)(1 - w2)``
    (``w1`` alone when there is one). Returns the members, families and strengths of every
    (member, family) with a row, by member then family.

    Examples
    --------
    >>> m, f, s = member_strength(
    ...     np.array([0, 0, 0, 1]), np.array([0, 0, 0, 1]), np.array([0, 1, 1, 0]),
    ...     np.array([0.5, 0.5, 0.4, 0.2]), 2, 2, 2)
    >>> m.tolist(), f.tolist(), s.round(3).tolist()
    ([0, 1], [0, 1], [0.75, 0.2])
    """
    # One row of the value sets per (member, family), ``member * n_families + family``: the
    # link stage's functions then index them as they index a pair's families.
    top = np.zeros((n_members * n_families, 2), dtype=np.float64)
    gmax = np.zeros((n_members * n_families, n_grids), dtype=np.float64)
    seen = np.zeros(n_members * n_families, dtype=np.bool_)
    for i in range(member.size):
        take_value(w[i], member[i] * n_families + family[i], grid[i], top, gmax, seen)
    keys = np.flatnonzero(seen)
    out_s = np.empty(keys.size, dtype=np.float64)
    for k in range(keys.size):
        out_s[k] = family_strength(top, gmax, keys[k])
    return keys // n_families, keys % n_families, out_s


@nb.njit(cache=True)
def cluster_values(
    account: np.ndarray,
    value: np.ndarray,
    n_events: np.ndarray,
    cluster_of: np.ndarray,
    n_clusters: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The edges of cluster members, grouped by (cluster, value).

    ``account``, ``value`` and ``n_events`` are the edge table's columns, each value in one
    run of consecutive rows (the table is sorted by value); ``cluster_of`` gives each
    account's cluster, below ``n_clusters``, or -1 for an account in none.

    Returns the members' edges as their row, cluster and group index, and per group its
    cluster, value, number of rows and sum of ``n_events``. Groups are ordered by value, then
    by the first row of their cluster in the value's run.

    One pass with a counter per cluster, instead of joining the 38 million edges of the
    article preset to the members and hashing their 19 million by two keys.

    Examples
    --------
    >>> r, c, g, gc, gv, k, e = cluster_values(
    ...     np.array([0, 1, 2, 3, 0]), np.array([3, 3, 3, 3, 7]), np.array([2, 5, 1, 9, 4]),
    ...     np.array([1, 0, 1, -1]), 2)
    >>> r.tolist(), c.tolist(), g.tolist()
    ([0, 1, 2, 4], [1, 0, 1, 1], [0, 1, 0, 2])
    >>> gc.tolist(), gv.tolist(), k.tolist(), e.tolist()
    ([1, 0, 1], [3, 3, 7], [2, 1, 1], [3, 5, 4])
    """
    n = value.size
    count = np.zeros(n_clusters, dtype=np.int64)
    events = np.zeros(n_clusters, dtype=np.int64)
    slot = np.empty(n_clusters, dtype=np.int64)
    touched = np.empty(n_clusters, dtype=np.int64)
    # Sized for the worst case; only the pages written are ever touched, and they are trimmed.
    m_row = np.empty(n, dtype=np.int64)
    m_cluster = np.empty(n, dtype=np.int64)
    m_group = np.empty(n, dtype=np.int64)
    g_cluster = np.empty(n, dtype=np.int64)
    g_value = np.empty(n, dtype=value.dtype)
    g_count = np.empty(n, dtype=np.int64)
    g_events = np.empty(n, dtype=np.int64)
    n_members = 0
    n_groups = 0
    start = 0
    while start < n:
        stop = start
        first_member = n_members
        n_touched = 0
        while stop < n and value[stop] == value[start]:
            c = cluster_of[account[stop]]
            if c >= 0:
                if count[c] == 0:
                    touched[n_touched] = c
                    n_touched += 1
                count[c] += 1
                events[c] += n_events[stop]
                m_row[n_members] = stop
                m_cluster[n_members] = c
                n_members += 1
            stop += 1
        for t in range(n_touched):
            c = touched[t]
            slot[c] = n_groups
            g_cluster[n_groups] = c
            g_value[n_groups] = value[start]
            g_count[n_groups] = count[c]
            g_events[n_groups] = events[c]
            n_groups += 1
            count[c] = 0
            events[c] = 0
        for j in range(first_member, n_members):
            m_group[j] = slot[m_cluster[j]]
        start = stop
    return (
        m_row[:n_members],
        m_cluster[:n_members],
        m_group[:n_members],
        g_cluster[:n_groups],
        g_value[:n_groups],
        g_count[:n_groups],
        g_events[:n_groups],
    )
