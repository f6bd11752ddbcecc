"""Stage one of the pipeline: read inputs lazily, map columns, validate, split off rejects.

See :mod:`sybilgraph.load.readers` for the readers and the guarantees they keep.
"""

from sybilgraph.load.columns import parse_column_maps
from sybilgraph.load.readers import (
    DROPPED_SCHEMA,
    REJECT_SCHEMA,
    InputFile,
    Loaded,
    read_accounts,
    read_edges,
    read_events,
    read_input,
    read_truth,
)
from sybilgraph.load.timestamps import parse_timestamps

__all__ = [
    "DROPPED_SCHEMA",
    "REJECT_SCHEMA",
    "InputFile",
    "Loaded",
    "parse_column_maps",
    "parse_timestamps",
    "read_accounts",
    "read_edges",
    "read_events",
    "read_input",
    "read_truth",
]
