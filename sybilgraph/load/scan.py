"""Lazy scans of one input file, per format, with its partition columns attached.

Text formats are read with every column as a string: the loaders parse timestamps, counts and
addresses themselves, so that one odd value becomes one reported reject instead of a failed
type inference for the whole file. Parquet keeps its own column types.

Compressed CSV, TSV and NDJSON (gzip or zstd) are handed to polars' own scanners, which
decompress them as part of the scan; no temporary file is written. Polars may hold the whole
decompressed file in memory while scanning it, so very large inputs are best stored as Parquet
or split into several compressed files (a directory or glob of them is read file by file).

Text is decoded as UTF-8; undecodable bytes become U+FFFD instead of failing the whole file.
A file that starts with a UTF-16 byte-order mark is refused with a hint to save it as UTF-8.

Two kinds of text file need more than a plain scan:

* lines ended by a bare carriage return (classic Mac OS), which polars would read as one long
  header and no rows. Such a file is recognised from its first 64 kB and read through an
  uncompressed copy with ``\\n`` line endings, in a scratch directory removed when the
  process ends (a carriage return inside a quoted value becomes a ``\\n`` too);
* a row with more fields than the header. Its values cannot be trusted (usually a value holds an
  unquoted separator, which shifts every later field), and polars cannot say which row it is
  while reading, so the file is refused with an :class:`InputError` naming the first such row
  (found by a slower second pass, only once the file has failed). Rows with fewer fields are
  read with the missing fields null.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import polars as pl
from polars.exceptions import PanicException

from sybilgraph.errors import InputError
from sybilgraph.load.escape import shown, shown_path
from sybilgraph.load.sources import Source

__all__ = ["READ_ERRORS", "describe", "read_columns", "reading", "scan_source", "unreadable"]

#: What polars raises on a file it cannot read. A Rust panic surfaces as ``PanicException``,
#: which derives from ``BaseException``: it must be named to be caught.
READ_ERRORS: tuple[type[BaseException], ...] = (
    pl.exceptions.PolarsError,
    OSError,
    PanicException,
)
_PANIC_REPORT = re.compile(rb"(?m)^thread '[^'\n]*'.*? panicked at ")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_RAGGED = "found more fields than defined"
# Enough of a file to see its first line ending, unless its first line is very long.
_SNIFF_BYTES = 1 << 16
_SCRATCH: tempfile.TemporaryDirectory[str] | None = None

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

    A panic inside polars (:class:`polars.exceptions.PanicException`) on a file whose header
    could be read means the data itself is broken, and is reported as such.

    Examples
    --------
    >>> str(unreadable(Source("e.csv", "csv", None, 3), ValueError("bad\\nmore")))
    'e.csv: cannot read as CSV: bad'
    >>> str(unreadable(Source("e.parquet", "parquet", None, 3), PanicException("x")))
    'e.parquet: cannot read: corrupt or truncated Parquet (x)'
    """
    lines = str(err).strip().splitlines()
    reason = shown(lines[0] if lines else type(err).__name__)
    path = shown_path(source.path)
    if isinstance(err, PanicException):
        return InputError(
            f"{path}: cannot read: corrupt or truncated {describe(source)} ({reason})"
        )
    if source.format in ("csv", "tsv") and _RAGGED in str(err):
        detail = _ragged_detail(source)
        if detail:
            return InputError(f"{path}: cannot read as {describe(source)}: {detail}")
    return InputError(f"{path}: cannot read as {describe(source)}: {reason}")


def _open_text(source: Source) -> BinaryIO:
    """The file's bytes, decompressed."""
    import pyarrow as pa

    if source.compression is None:
        return open(source.path, "rb")
    stream: BinaryIO = pa.input_stream(source.path, compression=source.compression)
    return stream


def _ragged_detail(source: Source) -> str | None:
    """Where the first row with more fields than the header is, found with Python's reader.

    Only called after polars has refused the file, so the slow pass costs nothing on good
    files. None if the row cannot be found (the two readers disagree on some odd quoting).
    """
    delimiter = "\t" if source.format == "tsv" else ","
    try:
        with _open_text(source) as raw:
            # Latin-1 maps every byte to one character, so no byte can fail to decode.
            text = io.TextIOWrapper(raw, encoding="latin-1", newline="")
            rows = csv.reader(text, delimiter=delimiter)
            width = len(next(rows, []))
            for number, row in enumerate(rows, start=1):
                if len(row) > width:
                    return (
                        f"found more fields than the header names: data row {number} has "
                        f"{len(row)}, the header {width}; quote values that contain "
                        f"{'a tab' if delimiter == chr(9) else 'a comma'}, or fix the row"
                    )
    except (OSError, csv.Error, ValueError):
        return None
    return None


def _needs_lf_copy(source: Source) -> bool:
    """Sniff a text file's head: True if its lines end in a bare carriage return (classic Mac OS).

    Polars splits lines on ``\\n`` only, so such a file would read as one long header and no
    rows. A UTF-16 file (with its byte-order mark) is refused here, since read as UTF-8 its
    header would be noise.
    """
    if source.format not in ("csv", "tsv"):
        return False
    try:
        with _open_text(source) as raw:
            head = raw.read(_SNIFF_BYTES)
    except OSError:
        return False  # the scan itself reports the file
    if head.startswith(_UTF16_BOMS):
        raise InputError(
            f"{shown_path(source.path)}: cannot read as {describe(source)}: the file is "
            "UTF-16 encoded (it starts with a UTF-16 byte-order mark); save it as UTF-8"
        )
    return b"\r" in head and b"\n" not in head


def _lf_copy(source: Source) -> str:
    """An uncompressed copy of a text file with every line ending turned into ``\\n``.

    The copy lives in a scratch directory removed when the process ends: the frame a reader
    returns stays lazy and reads the copy when it is collected.
    """
    global _SCRATCH
    if _SCRATCH is None:
        _SCRATCH = tempfile.TemporaryDirectory(prefix="sybilgraph-")
    with (
        tempfile.NamedTemporaryFile(
            "wb", dir=_SCRATCH.name, suffix=f".{source.format}", delete=False
        ) as out,
        _open_text(source) as raw,
    ):
        # Universal newlines turn \r, \r\n and \n alike into \n, also across chunk
        # boundaries; Latin-1 in and out keeps every other byte as it was.
        text = io.TextIOWrapper(raw, encoding="latin-1", newline=None)
        while chunk := text.read(1 << 20):
            out.write(chunk.encode("latin-1"))
    return out.name


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
    path = _lf_copy(source) if _needs_lf_copy(source) else source.path
    return pl.scan_csv(
        path,
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
    with reading(source):
        frame = _raw_scan(source)
        names = frame.collect_schema().names()
    extra = [
        pl.lit(value, dtype=pl.String).alias(key) for key, value in source.hive if key not in names
    ]
    return frame.with_columns(extra) if extra else frame


def read_columns(source: Source, frame: pl.LazyFrame) -> pl.Schema:
    """The schema of a scanned file, turning read failures into :class:`InputError`."""
    with reading(source):
        return frame.collect_schema()


@contextmanager
def reading(source: Source) -> Iterator[None]:
    """Run polars work on one file: its failures become one :class:`InputError` naming it.

    A Rust panic prints its report (``thread '...' panicked at ...``) on the process' standard
    error before Python sees the exception. The reader reports the panic as one line of its
    own, so while polars works, file descriptor 2 is sent to a scratch file; afterwards
    whatever was written there is passed on, except the panic report.

    Examples
    --------
    >>> try:
    ...     with reading(Source("e.csv", "csv", None, 3)):
    ...         raise pl.exceptions.ComputeError("broken")
    ... except InputError as err:
    ...     print(err)
    e.csv: cannot read as CSV: broken
    """
    with _panic_reports_held_back():
        try:
            yield
        except READ_ERRORS as err:
            raise unreadable(source, err) from None


@contextmanager
def _panic_reports_held_back() -> Iterator[None]:
    """Send file descriptor 2 to a scratch file; pass on what was written but panic reports."""
    sys.stderr.flush()
    try:
        saved: int | None = os.dup(2)
    except OSError:
        saved = None  # no standard error at all (a windowed process): nothing to hold back
    if saved is None:
        yield
        return
    try:
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                sink.seek(0)
                written = sink.read()
                # A report is followed only by more of itself (or of other threads' panics).
                written = written[: _panic_start(written)]
                if written:
                    os.write(2, written)
    finally:
        os.close(saved)


def _panic_start(written: bytes) -> int:
    """Offset of the first panic report in captured output (its length if there is none)."""
    found = _PANIC_REPORT.search(written)
    return found.start() if found else len(written)
