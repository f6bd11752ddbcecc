"""Work done on a file's valid rows in the same pass that validates them.

Validating a file decodes every value of it; at the scale of a provider's logs that decoding
is most of a pass's cost. A later stage that needs its own pass over the valid rows (the
signals stage writes them to a scratch spool with integer account keys) can hand the reader a
:class:`RowTap`: its queries are run together with the validating queries, on one scan of the
file (polars' ``collect_all`` shares the scan). The queries should stream: a group-by there made
polars hold the whole decoded file.
"""

from __future__ import annotations

from typing import Protocol

import polars as pl

__all__ = ["RowTap"]


class RowTap(Protocol):
    """Queries over one file's valid rows, run in the pass that validates that file."""

    def queries(
        self, index: int, frame: pl.LazyFrame, signal_columns: tuple[str, ...]
    ) -> list[pl.LazyFrame]:
        """The queries to run on file number ``index`` (from 0, in reading order).

        ``frame`` yields exactly the file's valid rows, with the contract's columns. The
        queries stream: sinks (``sink_parquet(..., lazy=True)``), whose results are empty, or
        queries whose results are small enough to hold. They are asked for again, on the
        final frame, when the values the pass found make it differ from the first one (text
        values with surrounding whitespace are stripped only once they are found).
        """
        ...

    def collected(self, index: int, results: list[pl.DataFrame]) -> None:
        """Receive the results of the queries for file ``index``, in their order (of the
        final frame's queries when they were asked for again)."""
        ...
