"""Fixtures of the loader tests: write one small table in any supported format."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

Writer = Callable[..., Path]


def write_table(
    frame: pl.DataFrame, path: Path, fmt: str = "csv", compression: str | None = None
) -> Path:
    """Write ``frame`` to ``path`` as ``fmt`` (csv, tsv, ndjson, parquet), optionally compressed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.write_parquet(path)
        return path
    if fmt == "ndjson":
        data = frame.write_ndjson().encode()
    else:
        data = frame.write_csv(separator="\t" if fmt == "tsv" else ",").encode()
    if compression == "gzip":
        data = gzip.compress(data)
    elif compression == "zstd":
        sink = pa.BufferOutputStream()
        with pa.CompressedOutputStream(sink, "zstd") as out:
            out.write(data)
        data = sink.getvalue().to_pybytes()
    path.write_bytes(data)
    return path


@pytest.fixture
def write() -> Writer:
    return write_table


@pytest.fixture
def events() -> pl.DataFrame:
    """Four clean events of three accounts."""
    return pl.DataFrame(
        {
            "account_id": ["a1", "a2", "a1", "a3"],
            "timestamp": [
                "2024-04-22T10:00:00Z",
                "2024-04-22T10:05:00Z",
                "2024-04-23T00:00:00Z",
                "2024-06-05T23:59:59Z",
            ],
            "ip": ["10.0.0.1", "10.0.0.2", "2001:db8::1", "192.168.1.1"],
            "payment_fingerprint": ["card1", "card2", "card1", "card3"],
        }
    )
