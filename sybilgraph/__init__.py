"""sybilgraph: find coordinated fake-account operations through the signals their accounts share."""

from sybilgraph._version import __version__
from sybilgraph.errors import InputError, SettingsError, SybilgraphError
from sybilgraph.settings import Settings

__all__ = [
    "InputError",
    "Settings",
    "SettingsError",
    "SybilgraphError",
    "__version__",
]
