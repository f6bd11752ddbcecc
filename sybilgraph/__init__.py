"""sybilgraph: find coordinated fake-account operations through the signals their accounts share.

The public surface is small: the readers, :func:`analyze`, :class:`Settings`, the result classes
and the errors. Everything else is internal and may change.

Examples
--------
>>> import polars as pl, sybilgraph
>>> events = pl.DataFrame({"account_id": ["a", "b", "c"], "device_id": ["d1", "d1", "d1"],
...                        "payment_fingerprint": ["c1", "c1", "c1"]})
>>> sybilgraph.analyze(events).clusters["n_accounts"].to_list()
[3]
"""

from sybilgraph._version import __version__
from sybilgraph.api import analyze
from sybilgraph.errors import InputError, SettingsError, SybilgraphError
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
