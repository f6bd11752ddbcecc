"""sybilgraph: find coordinated fake-account operations through the signals their accounts share.

The public surface is small: the readers, :func:`analyze`, :class:`Settings`, the result classes
and the errors. Everything else is internal and may change.

Examples
--------
Five accounts share one card and one device among a hundred accounts with their own:

>>> import polars as pl, sybilgraph
>>> ring, users = [f"r{i}" for i in range(5)], [f"u{i}" for i in range(95)]
>>> events = pl.DataFrame({"account_id": ring + users,
...                        "payment_fingerprint": ["card-x"] * 5 + users,
...                        "device_id": ["dev-x"] * 5 + users})
>>> sybilgraph.analyze(events).clusters["n_accounts"].to_list()
[5]
"""

from sybilgraph._version import __version__
from sybilgraph.api import analyze
from sybilgraph.errors import InputError, ScratchError, SettingsError, SybilgraphError
from sybilgraph.evaluation import Evaluation, evaluate
from sybilgraph.load import Loaded, read_accounts, read_edges, read_events, read_input, read_truth
from sybilgraph.result import Analysis, ClusterView
from sybilgraph.settings import Settings

__all__ = [
    "Analysis",
    "ClusterView",
    "Evaluation",
    "InputError",
    "Loaded",
    "ScratchError",
    "Settings",
    "SettingsError",
    "SybilgraphError",
    "__version__",
    "analyze",
    "evaluate",
    "read_accounts",
    "read_edges",
    "read_events",
    "read_input",
    "read_truth",
]
