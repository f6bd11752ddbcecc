"""The Python entry point: :func:`analyze`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from sybilgraph.load import Loaded
from sybilgraph.pipeline import PathsLike, run
from sybilgraph.result import Analysis
from sybilgraph.settings import Settings

__all__ = ["analyze"]

Input = PathsLike | Loaded | pl.DataFrame | pl.LazyFrame | None


def analyze(
    events: Input = None,
    accounts: Input = None,
    settings: Settings | Mapping[str, Any] | str | Path | None = None,
    *,
    edges: Input = None,
    progress: Callable[[str], None] | None = None,
) -> Analysis:
    """Find groups of accounts that share rare signals and rank them by how suspicious they are.

    Parameters
    ----------
    events
        Request logs: path(s), a glob, a directory, a loaded input or a polars frame with the
        contract's columns (``account_id`` and any of ``timestamp``, ``ip``, ...). The
        pre-aggregated edges form (``signal_type``, ``signal_value``) is recognised too.
    accounts
        Optional account table (``created_at``, ``email``, ``payment_fingerprint``, ...).
    settings
        A :class:`Settings`, a dict of settings, or the path of a TOML settings file.
    edges
        Optional pre-aggregated account–signal edges.
    progress
        Called with one line of text after each stage.

    Returns
    -------
    Analysis
        Ranked clusters, members and evidence as polars frames.

    Examples
    --------
    Five accounts share one card and one device; ninety-five have their own. A value is
    linking evidence only while few accounts share it (``max_value_share``), so a ring shows
    only against a population around it:

    >>> import polars as pl, sybilgraph
    >>> ring, users = [f"r{i}" for i in range(5)], [f"u{i}" for i in range(95)]
    >>> events = pl.DataFrame({
    ...     "account_id": ring + users,
    ...     "payment_fingerprint": ["card-x"] * 5 + users,
    ...     "device_id": ["dev-x"] * 5 + users,
    ... })
    >>> result = sybilgraph.analyze(events, settings={"seed": 1})
    >>> result.clusters.select("cluster_id", "n_accounts").row(0)
    ('C0001', 5)
    >>> result.clusters.item(0, "summary")
    '5 accounts share 1 device used only by them and 1 card used only by them'
    """
    if isinstance(settings, (str, Path)):
        resolved = Settings.from_toml(settings)
    elif isinstance(settings, Mapping):
        resolved = Settings.from_dict(settings)
    else:
        resolved = settings or Settings()
    return Analysis(run(events, accounts, edges, resolved, progress=progress))
