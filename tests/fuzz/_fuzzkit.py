"""Shared pieces of the reader fuzz suite: hypothesis profiles, the outcome check, file writers.

Every reader must end in one of two ways on any file: it loads, with every row of the file either
in the valid frame or listed once in the rejects, or it raises :class:`InputError` with a message
of one line. Any other exception, a Rust panic, or a hang is a bug.

Two hypothesis profiles bound the work: ``sybilgraph-fuzz`` (the default, a few dozen examples
per property so the suite stays well under a minute) and ``sybilgraph-fuzz-long`` (selected with
``SYBILGRAPH_FUZZ=long``). Both are derandomised, so a run is reproducible; the long profile is
meant for a scheduled job, not for every commit.
"""

from __future__ import annotations

import faulthandler
import gzip
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
from hypothesis import HealthCheck, settings
from polars.exceptions import PanicException

from sybilgraph.errors import InputError
from sybilgraph.load import Loaded

Reader = Callable[..., Loaded]

# A reader that has not finished a small file in this long is hung, not slow: dump the stacks of
# every thread and end the process, so a scheduler sees a failure instead of a stuck job.
HANG_SECONDS = 120.0

settings.register_profile(
    "sybilgraph-fuzz",
    max_examples=60,
    deadline=5_000,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "sybilgraph-fuzz-long",
    parent=settings.get_profile("sybilgraph-fuzz"),
    max_examples=1_500,
    deadline=20_000,
)

PROFILE_NAME = (
    "sybilgraph-fuzz-long" if os.environ.get("SYBILGRAPH_FUZZ") == "long" else "sybilgraph-fuzz"
)
#: The settings every fuzz property runs under (applied per test, so that the profiles of other
#: test modules are left alone).
FUZZ = settings.get_profile(PROFILE_NAME)

# C0 and C1 control characters (tab excepted): an error message that echoes them can break
# lines or drive the terminal it is printed on.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


@contextmanager
def hang_guard(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Abort the process with every thread's stack if the block runs longer than ``seconds``.

    Hypothesis' deadline only judges an example after it returns; native code that never
    returns would block the suite forever, so a watchdog thread outside the interpreter lock
    ends it instead.
    """
    faulthandler.dump_traceback_later(seconds, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@dataclass(frozen=True)
class Outcome:
    """What a reader did with one file: loaded it (``loaded``/``valid``) or refused it."""

    loaded: Loaded | None
    valid: pl.DataFrame | None
    error: str | None


# Known reader bug (pinned by an xfail test): the missing-column message lists the file's column
# names verbatim, control characters included. The listing is left out of the one-line check
# until that is fixed; set this to False then.
TOLERATE_RAW_COLUMN_LISTING = False
_LISTING = re.compile(r"found columns: .*? Map yours with", re.DOTALL)


def check_one_line(message: str, *, strict: bool = False) -> None:
    """Assert an error message is a single, non-empty line.

    ``strict`` also forbids every control character, and checks the column listing too.
    """
    assert message.strip(), "empty error message"
    if strict:
        assert not CONTROL.search(message), f"control character in error message: {message!r}"
    elif TOLERATE_RAW_COLUMN_LISTING:
        message = _LISTING.sub("found columns: ... Map yours with", message)
    assert "\n" not in message, f"multi-line error message: {message!r}"
    assert "\r" not in message, f"error message with a carriage return: {message!r}"


def load_or_refuse(reader: Reader, path: Path | str, expected_rows: int | None = None) -> Outcome:
    """Run ``reader`` on ``path`` and collect its valid rows; check the outcome is an allowed one.

    Parameters
    ----------
    reader
        One of the public readers.
    path
        The file (or files) to read.
    expected_rows
        Data rows the file really holds, when the test knows it; the reader must then load the
        file and count exactly that many.
    """
    with hang_guard():
        try:
            loaded = reader(path)
            valid = loaded.frame.collect()
        except InputError as err:
            message = str(err)
            check_one_line(message)
            if expected_rows is not None:
                raise AssertionError(
                    f"a well-formed file with {expected_rows} rows was refused: {message}"
                ) from err
            return Outcome(None, None, message)
        except PanicException as err:
            # A panic derives from BaseException, which hypothesis would not shrink; as an
            # assertion it gets a minimal reproducing example.
            raise AssertionError(f"the reader panicked: {err}") from err
    check_accounted(loaded, valid)
    if expected_rows is not None:
        assert loaded.n_rows == expected_rows, (loaded.n_rows, expected_rows)
    return Outcome(loaded, valid, None)


def check_accounted(loaded: Loaded, valid: pl.DataFrame) -> None:
    """Every row read is in the valid frame or listed once in the rejects, never both or neither."""
    assert valid.height == loaded.n_valid, (valid.height, loaded.n_rows, loaded.n_rejected)
    assert loaded.n_valid >= 0
    rejects = loaded.rejects
    assert rejects.select(pl.struct("source", "row").is_duplicated().any()).item() is False
    rows_by_file = {f.path: f.rows for f in loaded.files}
    for source, rows in rejects.group_by("source").agg(pl.col("row")).iter_rows():
        assert source in rows_by_file, source
        assert all(1 <= r <= rows_by_file[source] for r in rows), (source, rows)
    assert rejects.get_column("reason").null_count() == 0
    if "account_id" in valid.columns:
        assert valid.get_column("account_id").null_count() == 0


def compress(data: bytes, compression: str | None) -> bytes:
    """``data`` gzip- or zstd-compressed (reproducibly: no timestamp in the gzip header)."""
    if compression == "gzip":
        return gzip.compress(data, mtime=0)
    if compression == "zstd":
        sink = pa.BufferOutputStream()
        with pa.CompressedOutputStream(sink, "zstd") as out:
            out.write(data)
        return bytes(sink.getvalue().to_pybytes())
    return data


SUFFIX = {None: "", "gzip": ".gz", "zstd": ".zst"}
