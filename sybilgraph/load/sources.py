"""Turn what the user named (files, globs, directories) into a sorted list of input files.

Each file's format and compression are decided from its name and confirmed by its first bytes,
so that a gzip file called ``events.csv`` or a Parquet file without an extension is still read
correctly, and a file that claims to be Parquet but is not fails with a clear message.

Directories are searched recursively. Files whose names start with ``.`` or ``_`` (``_SUCCESS``,
``.crc`` checksums written by Spark and Hadoop) and files without a recognised extension are
skipped inside directories; a file named explicitly is always read. Folders named ``key=value``
(Hive partitioning) contribute a column ``key`` with value ``value`` to every file below them.
"""

from __future__ import annotations

import glob
import hashlib
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote

from sybilgraph.errors import InputError
from sybilgraph.load.escape import shown, shown_path

__all__ = [
    "FORMATS",
    "BackgroundDigests",
    "Source",
    "detect_format",
    "expand_sources",
    "file_sha256",
]

#: Formats the loaders read, by the file extension that names them.
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
}
_COMPRESSIONS: dict[str, str] = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
_PARQUET_MAGIC = b"PAR1"
# Spark and Hive write this placeholder for a null partition value.
_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Source:
    """One input file, resolved and classified.

    Attributes
    ----------
    path : str
        The path as the user gave it (joined with the relative path for directory members).
    format : str
        ``"csv"``, ``"tsv"``, ``"parquet"`` or ``"ndjson"``.
    compression : str or None
        ``"gzip"``, ``"zstd"`` or ``None``.
    size_bytes : int
        Size of the file on disk.
    hive : tuple of (str, str or None)
        Partition columns taken from ``key=value`` folders between the searched root and the file.
    """

    path: str
    format: str
    compression: str | None
    size_bytes: int
    hive: tuple[tuple[str, str | None], ...] = ()


def _split_suffixes(name: str) -> tuple[str | None, str | None]:
    """Return (format, compression) named by a file's extensions, each None when not named."""
    lower = name.lower()
    compression = None
    for ext, comp in _COMPRESSIONS.items():
        if lower.endswith(ext):
            compression = comp
            lower = lower[: -len(ext)]
            break
    fmt = FORMATS.get(os.path.splitext(lower)[1])
    return fmt, compression


def _sniff_text(head: bytes) -> str:
    """Guess the text format of an uncompressed head of a file without a telling extension."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return "ndjson"
    first_line = text.split(b"\n", 1)[0]
    return "tsv" if first_line.count(b"\t") > first_line.count(b",") else "csv"


def _decompressed_head(path: str | Path, compression: str) -> bytes:
    import pyarrow as pa

    try:
        with pa.input_stream(str(path), compression=compression) as stream:
            return bytes(stream.read(4096))
    except (OSError, pa.ArrowException) as err:
        raise InputError(
            f"{shown_path(path)}: cannot decompress as {compression} ({shown(err)})"
        ) from None


def detect_format(path: str | Path) -> tuple[str, str | None]:
    """Decide a file's format and compression from its name, confirmed by its first bytes.

    Parameters
    ----------
    path : str or Path
        An existing file.

    Returns
    -------
    tuple of (str, str or None)
        The format (``csv``, ``tsv``, ``parquet``, ``ndjson``) and compression
        (``gzip``, ``zstd`` or None).

    Raises
    ------
    InputError
        If the file cannot be opened, or its name says Parquet but its bytes do not.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "events.tsv")
    ...     _ = open(p, "w").write("account_id\\tip\\n")
    ...     detect_format(p)
    ('tsv', None)
    """
    name = os.path.basename(str(path))
    fmt, compression = _split_suffixes(name)
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as err:
        raise InputError(f"{shown_path(path)}: cannot open the file ({err.strerror})") from None
    magic = next((comp for prefix, comp in _MAGIC if head.startswith(prefix)), None)
    if head.startswith(_PARQUET_MAGIC):
        return "parquet", None
    if fmt == "parquet" and head:
        raise InputError(
            f"{shown_path(path)}: named as Parquet but is not a Parquet file "
            f"(it does not start with the bytes 'PAR1'; found {head[:4]!r})"
        )
    # The bytes are the truth about compression: a gzip file without .gz is still gzip.
    compression = magic
    if fmt is None:
        fmt = _sniff_text(_decompressed_head(path, compression) if compression else head)
    return fmt, compression


def file_sha256(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks so memory stays flat.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "x")
    ...     _ = open(p, "wb").write(b"")
    ...     file_sha256(p)[:12]
    'e3b0c44298fc'
    """
    return _sha256(path, chunk_bytes, None)


def _sha256(path: str | Path, chunk_bytes: int, stop: threading.Event | None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            if stop is not None and stop.is_set():
                return ""
            digest.update(chunk)
    return digest.hexdigest()


class BackgroundDigests:
    """SHA-256 of files, computed on a worker thread while the caller reads them.

    The digests are only needed for the manifest, at the end; hashing the article preset's
    2.8 GB of events takes about 4 s of one core, and the validating pass over the same
    files rarely keeps both cores busy. Hashing releases the interpreter lock. Leaving the
    ``with`` block stops a digest still running (after an error, say) within one chunk.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "x")
    ...     _ = open(p, "wb").write(b"")
    ...     with BackgroundDigests([p]) as digests:
    ...         digests.get(p) == file_sha256(p)
    True
    """

    def __init__(self, paths: Iterable[str], chunk_bytes: int = 1 << 20) -> None:
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sybilgraph-sha256")
        self._digests: dict[str, Future[str]] = {
            path: self._pool.submit(_sha256, path, chunk_bytes, self._stop)
            for path in dict.fromkeys(paths)
        }

    def get(self, path: str) -> str:
        """The file's digest, waiting for it if needed; raises what reading it raised."""
        return self._digests[path].result()

    def __enter__(self) -> BackgroundDigests:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _hive_parts(relative_dir: str) -> tuple[tuple[str, str | None], ...]:
    parts: list[tuple[str, str | None]] = []
    for segment in Path(relative_dir).parts:
        key, sep, value = segment.partition("=")
        if sep and key:
            decoded = unquote(value)
            parts.append((unquote(key), None if decoded in ("", _HIVE_NULL) else decoded))
    return tuple(parts)


def _is_data_file(name: str) -> bool:
    if name.startswith((".", "_")):
        return False
    fmt, _ = _split_suffixes(name)
    return fmt is not None


def _walk(root: str) -> list[tuple[str, tuple[tuple[str, str | None], ...]]]:
    found: list[tuple[str, tuple[tuple[str, str | None], ...]]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        # Sorting in place fixes the walk order, so inputs (and row numbers) are deterministic.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        relative = os.path.relpath(dirpath, root)
        hive = _hive_parts(relative) if relative != "." else ()
        found.extend(
            (os.path.join(dirpath, f), hive) for f in sorted(filenames) if _is_data_file(f)
        )
    return found


def _glob_root(pattern: str) -> str:
    """The longest leading directory of a glob pattern that holds no wildcard."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts[:-1]:
        if _GLOB_CHARS & set(part):
            break
        fixed.append(part)
    return os.path.join(*fixed) if fixed else "."


def expand_sources(paths: str | Path | Sequence[str | Path]) -> list[Source]:
    """Expand files, globs and directories into classified input files, in a stable order.

    Parameters
    ----------
    paths : str, Path or sequence of them
        Files, glob patterns (``logs/*.csv.gz``, ``logs/**/*.parquet``) or directories
        (searched recursively; ``key=value`` folders become partition columns).

    Returns
    -------
    list of Source
        Each file once, in the order named; files of a glob or directory sorted by path.

    Raises
    ------
    InputError
        If a path does not exist, a glob matches nothing or a directory holds no data file.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     os.makedirs(os.path.join(d, "day=2024-04-22"))
    ...     p = os.path.join(d, "day=2024-04-22", "part-0.csv")
    ...     _ = open(p, "w").write("account_id\\na\\n")
    ...     [(s.format, s.hive) for s in expand_sources(d)]
    [('csv', (('day', '2024-04-22'),))]
    """
    items: Sequence[str | Path] = [paths] if isinstance(paths, (str, Path)) else paths
    if not items:
        raise InputError("No input given: name at least one file, glob or directory.")
    resolved: list[tuple[str, tuple[tuple[str, str | None], ...]]] = []
    for item in items:
        text = str(item)
        if os.path.isdir(text):
            found = _walk(text)
            if not found:
                known = ", ".join(sorted(set(FORMATS)))
                raise InputError(
                    f"{shown_path(text)}: directory holds no data file (looked for {known})"
                )
            resolved.extend(found)
        elif os.path.exists(text):
            resolved.append((text, ()))
        elif _GLOB_CHARS & set(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise InputError(f"{shown_path(text)}: no file matches this pattern")
            root = _glob_root(text)
            for match in matches:
                if os.path.isdir(match):
                    resolved.extend(_walk(match))
                else:
                    relative = os.path.relpath(os.path.dirname(match), root)
                    resolved.append((match, _hive_parts(relative) if relative != "." else ()))
        else:
            raise InputError(f"{shown_path(text)}: no such file or directory")
    seen: set[str] = set()
    sources: list[Source] = []
    for path, hive in resolved:
        key = os.path.realpath(path)
        if key in seen:
            continue
        seen.add(key)
        fmt, compression = detect_format(path)
        sources.append(Source(path, fmt, compression, os.path.getsize(path), hive))
    return sources
