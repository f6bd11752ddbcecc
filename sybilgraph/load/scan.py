"""Lazy scans of one input file, per format, with its partition columns attached.

Text formats are read with every column as a string: the loaders parse timestamps, counts and
addresses themselves, so that one odd value becomes one reported reject instead of a failed
type inference for the whole file. Parquet keeps its own column types.

Compressed CSV, TSV and NDJSON (gzip or zstd) are handed to polars' own scanners, which
decompress them as part of the scan; no temporary file is written. Polars may hold the whole
decompressed file in memory while scanning it, so very large inputs are best stored as Parquet
or split into several compressed files (a directory or glob of them is read file by file).

Text is decoded as UTF-8; undecodable bytes become U+FFFD instead of failing the whole file.
"""

from __future__ import annotations

import polars as pl

from sybilgraph.errors import InputError
from sybilgraph.load.sources import Source

__all__ = ["describe", "read_columns", "scan_source", "unreadable"]

# How many NDJSON lines are read to discover the column names before every column is re-read as
# a string; columns that first appear later in the file are not seen.
NDJSON_SCHEMA_LINES = 10_000


def describe(source: Source) -> str:
    """Human name of a file's format, e.g. ``CSV (gzip)``.

    Examples
    --------
    >>> describe(Source("e.csv.gz", "csv", "gzip", 10))
    'CSV (gzip)'
    """
    name = {"ndjson": "NDJSON", "parquet": "Parquet"}.get(source.format, source.format.upper())
    return f"{name} ({source.compression})" if source.compression else name


def unreadable(source: Source, err: BaseException) -> InputError:
    """The one-line error for a file that cannot be read in its detected format.

    Examples
    --------
    >>> str(unreadable(Source("e.csv", "csv", None, 3), ValueError("bad\\nmore")))
    'e.csv: cannot read as CSV: bad'
    """
    lines = str(err).strip().splitlines()
    reason = lines[0] if lines else type(err).__name__
    return InputError(f"{source.path}: cannot read as {describe(source)}: {reason}")


def _raw_scan(source: Source) -> pl.LazyFrame:
    if source.format == "parquet":
        return pl.scan_parquet(source.path, hive_partitioning=False)
    if source.format == "ndjson":
        probe = pl.scan_ndjson(source.path, infer_schema_length=NDJSON_SCHEMA_LINES)
        names = probe.collect_schema().names()
        return pl.scan_ndjson(
            source.path,
            schema=dict.fromkeys(names, pl.String),
            infer_schema_length=NDJSON_SCHEMA_LINES,
        )
    return pl.scan_csv(
        source.path,
        separator="\t" if source.format == "tsv" else ",",
        infer_schema=False,
        encoding="utf8-lossy",
        glob=False,
    )


def scan_source(source: Source) -> pl.LazyFrame:
    """Lazily scan one file, adding its Hive partition columns that the file itself lacks.

    Raises
    ------
    InputError
        If the file's header or schema cannot be read.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "e.csv")
    ...     _ = open(p, "w").write("account_id,ip\\na,1.2.3.4\\n")
    ...     scan_source(Source(p, "csv", None, 18, (("day", "1"),))).collect().columns
    ['account_id', 'ip', 'day']
    """
    try:
        frame = _raw_scan(source)
        names = frame.collect_schema().names()
    except (pl.exceptions.PolarsError, OSError) as err:
        raise unreadable(source, err) from None
    extra = [
        pl.lit(value, dtype=pl.String).alias(key) for key, value in source.hive if key not in names
    ]
    return frame.with_columns(extra) if extra else frame


def read_columns(source: Source, frame: pl.LazyFrame) -> pl.Schema:
    """The schema of a scanned file, turning read failures into :class:`InputError`."""
    try:
        return frame.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as err:
        raise unreadable(source, err) from None
