"""Writing the scenario: Parquet with fixed options and CSV, byte-identical for a given seed.

Files are written under a temporary name and renamed into place, so an interrupted run never
leaves a half-written file that looks complete. The events file is streamed one row group per
window day.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Final

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["ACCOUNTS_SCHEMA", "EVENTS_SCHEMA", "EventsWriter", "write_accounts", "write_truth"]

_TS: Final = pa.timestamp("us", tz="UTC")
EVENTS_SCHEMA: Final = pa.schema(
    [
        ("account_id", pa.string()),
        ("timestamp", _TS),
        ("org_id", pa.string()),
        ("ip", pa.string()),
        ("prompt_fingerprint", pa.string()),
        ("system_prompt_hash", pa.string()),
        ("user_agent", pa.string()),
        ("device_id", pa.string()),
    ]
)
ACCOUNTS_SCHEMA: Final = pa.schema(
    [
        ("account_id", pa.string()),
        ("created_at", _TS),
        ("org_id", pa.string()),
        ("email", pa.string()),
        ("payment_fingerprint", pa.string()),
        ("signup_ip", pa.string()),
        ("country", pa.string()),
    ]
)
#: Fixed writer options: no creation time or host in the file, so reruns give the same bytes.
_OPTIONS: Final = {
    "compression": "zstd",
    "compression_level": 6,
    "write_statistics": True,
    "version": "2.6",
}
#: Time-ordered timestamps compress best as deltas; every string column is dictionary-encoded
#: (the writer falls back to plain pages by itself when a column is mostly unique).
_EVENT_OPTIONS: Final = {
    **_OPTIONS,
    "use_dictionary": [n for n in EVENTS_SCHEMA.names if n != "timestamp"],
    "column_encoding": {"timestamp": "DELTA_BINARY_PACKED"},
}
#: Rows per row group of the events file: large groups share one dictionary per column.
ROW_GROUP_ROWS: Final = 1_000_000


def _table(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """The frame as an Arrow table with exactly the contract's column types."""
    return frame.select(schema.names).to_arrow().cast(schema)


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


class EventsWriter:
    """Streams the events file: blocks are buffered into row groups of about
    :data:`ROW_GROUP_ROWS` rows, so memory stays bounded by one row group."""

    def __init__(self, path: Path, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self.path = path
        self.row_group_rows = row_group_rows
        self._tmp = _tmp(path)
        self._writer = pq.ParquetWriter(self._tmp, EVENTS_SCHEMA, **_EVENT_OPTIONS)
        self._pending: list[pl.DataFrame] = []
        self._pending_rows = 0
        self.rows = 0

    def write(self, frame: pl.DataFrame) -> None:
        """Append one block of events (already in the order they should be stored)."""
        self._pending.append(frame)
        self._pending_rows += len(frame)
        self.rows += len(frame)
        if self._pending_rows >= self.row_group_rows:
            self._flush()

    def _flush(self) -> None:
        if self._pending_rows:
            table = _table(pl.concat(self._pending, rechunk=True), EVENTS_SCHEMA)
            self._writer.write_table(table, row_group_size=len(table))
        self._pending, self._pending_rows = [], 0

    def __enter__(self) -> EventsWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self._flush()
        self._writer.close()
        if exc_type is None:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)


def write_accounts(frame: pl.DataFrame, path: Path) -> None:
    """Write the accounts table (one row group)."""
    tmp = _tmp(path)
    pq.write_table(
        _table(frame, ACCOUNTS_SCHEMA), tmp, row_group_size=max(1, len(frame)), **_OPTIONS
    )
    os.replace(tmp, path)


def write_truth(frame: pl.DataFrame, path: Path) -> None:
    """Write ``account_id,operation_id,kind`` as CSV; benign rows have an empty operation_id."""
    tmp = _tmp(path)
    # Null, not "", so that benign rows read ``id,,benign`` rather than ``id,"",benign``.
    truth = frame.select("account_id", pl.col("operation_id").replace("", None), "kind")
    truth.write_csv(tmp, line_terminator="\n")
    os.replace(tmp, path)
