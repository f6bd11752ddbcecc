"""Compiled loop of the score stage: each member's evidence strength per family.

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

__all__ = ["member_strength"]


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
