"""Stage 8: writing results: tables (CSV or Parquet), the manifest, atomically."""

from sybilgraph.export.atomic import atomic_directory
from sybilgraph.export.tables import neutralise_formulas, write_table

__all__ = ["atomic_directory", "neutralise_formulas", "write_table"]
