"""The public readers: events, accounts, edges and truth tables, lazily and without losing a row.

Each reader expands its paths into files, scans each file lazily, maps the user's column names,
and validates every row in one pass that also counts the rows. Rows that cannot be used are
split off into :attr:`Loaded.rejects` (with file, 1-based row number, reason and column); single
unusable values are nulled and counted in :attr:`Loaded.dropped_values`. The valid rows stay a
lazy query over the files (:attr:`Loaded.frame`), so nothing but the rejects and a few counts is
held in memory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from sybilgraph import schema as sc
from sybilgraph.errors import InputError, ScratchError
from sybilgraph.load.columns import file_renames
from sybilgraph.load.escape import shown, shown_path
from sybilgraph.load.scan import READ_ERRORS, read_columns, reading, scan_source
from sybilgraph.load.sources import BackgroundDigests, Source, expand_sources
from sybilgraph.load.tap import RowTap
from sybilgraph.load.validate import (
    ROW_INDEX,
    Check,
    Rule,
    apply_rules,
    has_padding,
    is_ip,
    valid_rows,
)
from sybilgraph.settings import Settings

__all__ = [
    "DROPPED_SCHEMA",
    "REJECT_SCHEMA",
    "InputFile",
    "Loaded",
    "read_accounts",
    "read_edges",
    "read_events",
    "read_input",
    "read_truth",
]

PathsLike = str | Path | Sequence[str | Path]

#: Columns and types of :attr:`Loaded.rejects`.
REJECT_SCHEMA = pl.Schema(
    {"source": pl.String(), "row": pl.Int64(), "reason": pl.String(), "column": pl.String()}
)
#: Columns and types of :attr:`Loaded.dropped_values`.
DROPPED_SCHEMA = pl.Schema({"column": pl.String(), "reason": pl.String(), "count": pl.Int64()})

_TIME_COLUMNS = frozenset({sc.TIMESTAMP, sc.CREATED_AT, sc.FIRST_SEEN, sc.LAST_SEEN})
# Names that usually hold the account id under another name, for the hint of a missing column.
_ID_HINT = re.compile(r"account|user|customer|client|member|uid|^id$", re.IGNORECASE)
_MAX_LISTED_COLUMNS = 20


@dataclass(frozen=True)
class InputFile:
    """One file that was read: what it is and how many data rows it held.

    Examples
    --------
    >>> InputFile("e.csv", "csv", None, 10, "ab" * 32, 2).rows
    2
    """

    path: str
    format: str
    compression: str | None
    size_bytes: int
    sha256: str
    rows: int


@dataclass(frozen=True)
class Loaded:
    """The result of a reader: valid rows (lazy), rejects, dropped values and the files read.

    Attributes
    ----------
    kind : str
        ``"events"``, ``"accounts"`` or ``"edges"``.
    frame : pl.LazyFrame
        Valid rows only, with the contract's column names and canonical types. Text signal
        values have no surrounding whitespace (and are never empty): IPs and e-mails with any
        fail their check, and other signal columns are stripped in the files that need it.
    rejects : pl.DataFrame
        ``source``, ``row`` (1-based data row within its file), ``reason``, ``column``: one row
        per rejected input row, in file and row order. A row with several problems is listed
        under the first in the order of the columns (``account_id`` first).
    dropped_values : pl.DataFrame
        ``column``, ``reason``, ``count``: values nulled in rows that were kept.
    files : tuple of InputFile
        Every file read, in reading order.
    signal_columns : tuple of str
        Signal columns present in the frame.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "events.csv")
    ...     _ = open(p, "w").write("account_id,ip\\na,10.0.0.1\\n,10.0.0.2\\n")
    ...     loaded = read_events(p)
    ...     loaded.n_rows, loaded.n_rejected, loaded.frame.collect()["account_id"].to_list()
    (2, 1, ['a'])
    """

    kind: str
    frame: pl.LazyFrame
    rejects: pl.DataFrame
    dropped_values: pl.DataFrame
    files: tuple[InputFile, ...]
    signal_columns: tuple[str, ...]

    @property
    def n_rows(self) -> int:
        """Rows read in total, valid or not."""
        return sum(f.rows for f in self.files)

    @property
    def n_rejected(self) -> int:
        """Input rows rejected (one row of :attr:`rejects` each)."""
        return self.rejects.height

    @property
    def n_valid(self) -> int:
        """Rows in :attr:`frame`: every row read that was not rejected."""
        return self.n_rows - self.n_rejected


@dataclass
class _File:
    """One scanned file with its columns as the contract names them."""

    source: Source
    frame: pl.LazyFrame | None  # None for an empty (0-byte) file
    schema: pl.Schema = field(default_factory=pl.Schema)
    labels: dict[str, str] = field(default_factory=dict)  # contract name -> the file's name


def _scan_files(paths: PathsLike, settings: Settings) -> list[_File]:
    files: list[_File] = []
    for source in expand_sources(paths):
        if source.size_bytes == 0:
            files.append(_File(source, None))
            continue
        frame = scan_source(source)
        raw_schema = read_columns(source, frame)
        renames = file_renames(source.path, raw_schema.names(), settings.columns)
        if renames:
            frame = frame.rename(renames)
        mapped = pl.Schema({renames.get(n, n): t for n, t in raw_schema.items()})
        labels = {renames.get(n, n): n for n in raw_schema.names()}
        files.append(_File(source, frame, mapped, labels))
    return files


def _form_of(names: Sequence[str]) -> str:
    return "edges" if sc.SIGNAL_TYPE in names and sc.SIGNAL_VALUE in names else "events"


def _detect_kind(files: Sequence[_File]) -> str:
    forms = {f.source.path: _form_of(f.schema.names()) for f in files if f.frame is not None}
    if len(set(forms.values())) > 1:
        edges = next(p for p, k in forms.items() if k == "edges")
        events = next(p for p, k in forms.items() if k == "events")
        raise InputError(
            f"{shown_path(events)}: events form (no signal_type/signal_value columns) but "
            f"{shown_path(edges)} is in edges form; read the two forms separately"
        )
    return next(iter(forms.values()), "events")


def _missing_column_error(file: _File, missing: Sequence[str]) -> str:
    found = file.schema.names()
    # Column names are data: a hostile header must not break the line or drive the terminal.
    names = [shown(file.labels.get(n, n)) for n in found[:_MAX_LISTED_COLUMNS]]
    more = len(found) - len(names)
    listing = ", ".join(names) + (f" (and {more} more)" if more > 0 else "") if names else "none"
    wanted = " or ".join(repr(m) for m in missing)
    message = f"{shown_path(file.source.path)}: no {wanted} column; found columns: {listing}."
    if sc.ACCOUNT_ID in missing:
        renamed = file.labels.get(sc.ACCOUNT_ID) is None and sc.ACCOUNT_ID in file.labels.values()
        if renamed:
            message += f" Its {sc.ACCOUNT_ID!r} column is renamed by the column mapping; drop that"
        else:
            guess = next((file.labels.get(n, n) for n in found if _ID_HINT.search(n)), None)
            message += f" Map yours with --map {shown(guess or 'YOUR_COLUMN')}={sc.ACCOUNT_ID}"
    else:
        message += f" Map yours with --map YOUR_COLUMN={missing[0]}"
    return message


def _check_required(files: Sequence[_File], kind: str) -> None:
    required = (
        (sc.ACCOUNT_ID, sc.SIGNAL_TYPE, sc.SIGNAL_VALUE) if kind == "edges" else (sc.ACCOUNT_ID,)
    )
    problems = []
    for file in files:
        if file.frame is None:
            continue
        missing = [c for c in required if c not in file.schema]
        if missing:
            problems.append(_missing_column_error(file, missing))
    if problems:
        more = f" (and {len(problems) - 1} more file(s) like it)" if len(problems) > 1 else ""
        raise InputError(problems[0] + more)


def _columns(kind: str, files: Sequence[_File], settings: Settings) -> tuple[list[str], list[str]]:
    """Canonical output columns and signal columns, over all files."""
    present: set[str] = set()
    for file in files:
        present.update(file.schema.names())
    if kind == "edges":
        return list(sc.EDGE_COLUMNS), []
    if kind == "events":
        base = [sc.ACCOUNT_ID, sc.TIMESTAMP, sc.ORG_ID]
        standard = [c for c in sc.EVENT_SIGNALS if c in present]
    else:
        base = [c for c in sc.ACCOUNT_COLUMNS if c == sc.ACCOUNT_ID or c in present]
        standard = [c for c in sc.ACCOUNT_SIGNALS if c in present]
    # The id and the times are what signals attach to, never signals themselves.
    reserved = {sc.ACCOUNT_ID, *_TIME_COLUMNS}
    extras = [c for c in dict.fromkeys(settings.extra_signals) if c in present - reserved]
    signals = standard + [c for c in extras if c not in standard]
    columns = base + [c for c in signals if c not in base]
    return columns, signals


def _parser(name: str) -> str:
    if name == sc.ACCOUNT_ID:
        return "account_id"
    if name in _TIME_COLUMNS:
        return "timestamp"
    if name in sc.IP_COLUMNS:
        return "ip"
    if name == sc.EMAIL:
        return "email"
    if name == sc.COUNT:
        return "count"
    return "text"


def _rule(name: str, file: _File, kind: str, source: str | None = None) -> Rule:
    source = source or name
    present = source if source in file.schema else None
    label = file.labels.get(source, source)
    parser = _parser(name)
    if_null: str | None = None
    if_bad: tuple[str, str] | None = None
    if name == sc.ACCOUNT_ID:
        if_null = "missing_account_id"
    elif name in (sc.SIGNAL_TYPE, sc.SIGNAL_VALUE) and kind == "edges":
        if_null = f"missing_{name}"
    elif parser == "timestamp":
        # A request's time is a fact of the row; an account's created_at is one attribute.
        if_bad = ("drop" if kind == "accounts" else "reject", "bad_timestamp")
    elif parser == "count":
        if_bad = ("reject", "bad_count")
    elif parser == "ip":
        if_bad = ("drop", "bad_ip")
    elif parser == "email":
        if_bad = ("drop", "bad_email")
    return Rule(name, present, parser, label, if_null, if_bad)


def _rules(kind: str, file: _File, columns: Sequence[str]) -> list[Rule]:
    if kind != "edges":
        return [_rule(c, file, kind) for c in columns]
    rules = [_rule(c, file, kind) for c in (sc.ACCOUNT_ID, sc.SIGNAL_TYPE, sc.SIGNAL_VALUE)]
    rules.append(_rule(sc.COUNT, file, kind))
    names = file.schema.names()
    first = sc.FIRST_SEEN if sc.FIRST_SEEN in names else sc.TIMESTAMP
    if sc.LAST_SEEN in names:
        rules.append(_rule(sc.LAST_SEEN, file, kind))
        if first in names:
            rules.append(_rule(sc.FIRST_SEEN, file, kind, first))
        else:
            rules.append(
                Rule(sc.FIRST_SEEN, None, "timestamp", sc.FIRST_SEEN, copy_of=sc.LAST_SEEN)
            )
    else:
        rules.append(_rule(sc.FIRST_SEEN, file, kind, first))
        # One time per edge (a `timestamp` column, or first_seen alone) bounds it on both sides.
        rules.append(Rule(sc.LAST_SEEN, None, "timestamp", sc.LAST_SEEN, copy_of=sc.FIRST_SEEN))
    return rules


def _edge_checks(file: _File) -> list[tuple[str, str, pl.Expr]]:
    value = pl.col(f"__v_{sc.SIGNAL_VALUE}")
    is_ip_type = pl.col(f"__v_{sc.SIGNAL_TYPE}").is_in(sorted(sc.IP_COLUMNS))
    label = file.labels.get(sc.SIGNAL_VALUE, sc.SIGNAL_VALUE)
    checks = [("bad_ip", label, is_ip_type & value.is_not_null() & ~is_ip(value))]
    names = file.schema.names()
    if sc.LAST_SEEN in names and (sc.FIRST_SEEN in names or sc.TIMESTAMP in names):
        # Only a file with both bounds can have them the wrong way round.
        first, last = pl.col(f"__v_{sc.FIRST_SEEN}"), pl.col(f"__v_{sc.LAST_SEEN}")
        checks.append(("bad_seen_order", file.labels.get(sc.LAST_SEEN, sc.LAST_SEEN), first > last))
    return checks


def _first_problems(bad: pl.DataFrame, checks: Sequence[Check], path: str) -> pl.DataFrame:
    """One reject per rejected row, naming its first problem in rule order."""
    first = pl.coalesce([pl.when(pl.col(c.flag)).then(pl.lit(i)) for i, c in enumerate(checks)])
    reasons = [c.reason for c in checks]
    columns = [c.column for c in checks]
    return bad.sort(ROW_INDEX).select(
        pl.lit(path, pl.String).alias("source"),
        pl.col(ROW_INDEX).cast(pl.Int64).alias("row"),
        first.replace_strict(list(range(len(checks))), reasons, return_dtype=pl.String).alias(
            "reason"
        ),
        first.replace_strict(list(range(len(checks))), columns, return_dtype=pl.String).alias(
            "column"
        ),
    )


def _empty_frame(columns: Sequence[str], dtypes: dict[str, pl.DataType]) -> pl.LazyFrame:
    return pl.LazyFrame(schema={c: dtypes[c] for c in columns})


def _touch_every_value(file: _File, outputs: Sequence[pl.Expr]) -> pl.Expr:
    """An aggregate that makes the counting pass decode every value the frame will yield.

    A broken page or row in a column the checks do not read would otherwise pass the load and
    fail later, outside the reader, with no file named. A text file's columns are all read,
    because polars notices a row with more fields than the header only when it parses the
    whole row; reading unused columns of a CSV costs next to nothing (it is split anyway).
    """
    exprs = [e.null_count() for e in outputs]
    if file.source.format in ("csv", "tsv"):
        exprs += [pl.col(n).null_count() for n in file.schema.names()]
    return pl.sum_horizontal(exprs).alias("__touched")


def _is_text_like(dtype: pl.DataType) -> bool:
    """True for column types whose every value has a faithful text form."""
    return not (dtype.is_nested() or isinstance(dtype, (pl.Binary, pl.Object, pl.Unknown)))


def _check_types(file: _File, rules: Sequence[Rule]) -> None:
    """Refuse columns read as text (ids, signals, counts) whose values are not scalars.

    Lists, structs and arrays have no single text value, and Binary may not be UTF-8: casting
    either would fail half-way through a later stage. Numbers, booleans, dates and times are
    cast to their text form. Every such column of the file is named at once.
    """
    bad = [
        f"{shown(r.label)!s} ({file.schema[r.source]})"
        for r in rules
        if r.source is not None
        and r.parser != "timestamp"
        and not _is_text_like(file.schema[r.source])
    ]
    if bad:
        raise InputError(
            f"{shown_path(file.source.path)}: column(s) {', '.join(bad)} hold values that are "
            "not text; id, signal and count columns need strings or numbers (store them as "
            "UTF-8 strings, or leave them out)"
        )


@dataclass(frozen=True)
class _Validated:
    """One file after its validating pass: the valid rows (lazy) and what was found."""

    frame: pl.LazyFrame
    rows: int
    rejects: pl.DataFrame | None
    dropped: list[pl.DataFrame]
    dtypes: dict[str, pl.DataType]


def _run_pass(
    source: Source, queries: list[pl.LazyFrame], tapped: list[pl.LazyFrame]
) -> tuple[list[pl.DataFrame], list[pl.DataFrame]]:
    """Collect the validating ``queries`` and a tap's ``tapped`` queries on one scan of a file,
    and return the results of each.

    A failure of the file is an :class:`InputError` naming it. When the pass fails with a tap,
    the file is read once more alone to tell whose failure it was: if it reads, the tap's
    scratch output could not be written (usually for lack of disk space).
    """
    failure: BaseException | None = None
    # A sink must stream; the in-memory engine would hold the whole file.
    engine: Literal["streaming", "auto"] = "streaming" if tapped else "auto"
    with reading(source):
        try:
            results = pl.collect_all([*queries, *tapped], engine=engine)
        except READ_ERRORS as err:
            if not tapped:
                raise
            failure = err
        if failure is not None:
            pl.collect_all(queries)
    if failure is not None:
        raise ScratchError(
            f"could not write the scratch files made from the rows of "
            f"{shown_path(source.path)}: {failure}. They take about the size of the input; "
            "set TMPDIR to a directory with more room."
        ) from failure
    return results[: len(queries)], results[len(queries) :]


def _validate(
    file: _File,
    frame: pl.LazyFrame,
    kind: str,
    columns: list[str],
    signals: list[str],
    tap: tuple[RowTap, int] | None = None,
) -> _Validated:
    """Validate every row of one file in one pass that also counts its rows.

    ``tap`` is a :class:`RowTap` and the file's number: its queries over the file's valid rows
    run in the same pass.
    """
    source = file.source
    rules = _rules(kind, file, columns)
    _check_types(file, rules)
    extra = _edge_checks(file) if kind == "edges" else []
    indexed = frame.with_row_index(ROW_INDEX, offset=1)
    flagged, checks, outputs = apply_rules(indexed, file.schema, rules, extra)
    valid = valid_rows(checks)
    row_rejects = [c for c in checks if c.action == "reject"]
    drops = [c for c in checks if c.action == "drop"]
    # Stripping a column costs as much as reading it, and few files need it: the counting
    # pass finds the text signal columns that do.
    text = [r.name for r in rules if r.parser == "text" and r.name in signals]
    stats = flagged.select(
        pl.len().alias("rows"),
        *[(pl.col(c.flag) & valid).sum().alias(c.flag) for c in drops],
        _touch_every_value(file, [outputs[c] for c in columns]),
        *[has_padding(outputs[c]).any().alias(f"__padded_{c}") for c in text],
    )
    bad = flagged.filter(~valid).select(ROW_INDEX, *[c.flag for c in row_rejects])
    tapped = (
        tap[0].queries(
            tap[1], flagged.filter(valid).select(outputs[c] for c in columns), tuple(signals)
        )
        if tap is not None
        else []
    )
    (stats_df, bad_df), tap_results = _run_pass(source, [stats, bad], tapped)
    dropped = [
        pl.DataFrame(
            {"column": [c.column], "reason": [c.reason], "count": [stats_df[c.flag][0]]},
            schema=DROPPED_SCHEMA,
        )
        for c in drops
    ]
    padded = {c for c in text if stats_df[f"__padded_{c}"][0]}
    if bad_df.height == 0:
        # No row is rejected: later passes parse the values they read without checking every
        # row again (a pass reading three columns no longer parses and checks all of them).
        flagged, _, outputs = apply_rules(frame, file.schema, rules)
        valid = pl.lit(True)
    final = flagged.filter(valid).select(
        outputs[c].str.strip_chars().alias(c) if c in padded else outputs[c] for c in columns
    )
    if tap is not None:
        if padded:
            # The tap saw the values unstripped: its queries run again on the final rows.
            _, tap_results = _run_pass(source, [], tap[0].queries(tap[1], final, tuple(signals)))
        tap[0].collected(tap[1], tap_results)
    return _Validated(
        frame=final,
        rows=int(stats_df["rows"][0]),
        rejects=_first_problems(bad_df, row_rejects, source.path) if row_rejects else None,
        dropped=dropped,
        dtypes={r.name: r.dtype for r in rules},
    )


def _load(kind: str, files: list[_File], settings: Settings, tap: RowTap | None = None) -> Loaded:
    _check_required(files, kind)
    columns, signals = _columns(kind, files, settings)
    frames: list[pl.LazyFrame] = []
    rejects: list[pl.DataFrame] = []
    dropped: list[pl.DataFrame] = []
    inputs: list[InputFile] = []
    dtypes: dict[str, pl.DataType] = {}
    # The digests (for the manifest) are computed while the files are validated.
    with BackgroundDigests(f.source.path for f in files) as digests:
        for index, file in enumerate(files):
            rows = 0
            if file.frame is not None:
                done = _validate(
                    file,
                    file.frame,
                    kind,
                    columns,
                    signals,
                    (tap, index) if tap is not None else None,
                )
                frames.append(done.frame)
                rows = done.rows
                if done.rejects is not None:
                    rejects.append(done.rejects)
                dropped.extend(done.dropped)
                dtypes.update(done.dtypes)
            source = file.source
            digest = digests.get(source.path)
            inputs.append(
                InputFile(
                    source.path, source.format, source.compression, source.size_bytes, digest, rows
                )
            )
    reject_df = pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)
    dropped_df = (
        pl.concat(dropped)
        .group_by("column", "reason", maintain_order=True)
        .agg(pl.col("count").sum())
        .filter(pl.col("count") > 0)
        if dropped
        else pl.DataFrame(schema=DROPPED_SCHEMA)
    )
    if frames:
        frame = pl.concat(frames, how="vertical")
    else:
        for name in columns:
            dtypes.setdefault(name, Rule(name, None, _parser(name), name).dtype)
        frame = _empty_frame(columns, dtypes)
    return Loaded(kind, frame, reject_df, dropped_df, tuple(inputs), tuple(signals))


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else Settings()


def read_events(
    paths: PathsLike, settings: Settings | None = None, *, tap: RowTap | None = None
) -> Loaded:
    """Read request logs (one row per request) in the events form of the data contract.

    Parameters
    ----------
    paths : str, Path or sequence of them
        Files, globs or directories of CSV, TSV, Parquet or NDJSON, optionally gzip- or
        zstd-compressed.
    settings : Settings, optional
        ``columns`` maps the files' column names to the contract's; ``extra_signals`` names
        further string columns to keep as signals.
    tap : RowTap, optional
        Further queries over each file's valid rows, run in the pass that validates it
        (:class:`sybilgraph.load.tap.RowTap`).

    Returns
    -------
    Loaded
        ``frame`` has ``account_id``, ``timestamp`` (null when the files have none), ``org_id``
        and the signal columns present.

    Raises
    ------
    InputError
        If a file cannot be read or has no ``account_id`` column after mapping.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "e.csv")
    ...     _ = open(p, "w").write("user,ts,client_ip\\nu1,1713772800,10.0.0.1\\n")
    ...     s = Settings(columns={"user": "account_id", "ts": "timestamp", "client_ip": "ip"})
    ...     read_events(p, s).frame.collect().columns
    ['account_id', 'timestamp', 'org_id', 'ip']
    """
    return _load("events", _scan_files(paths, _settings(settings)), _settings(settings), tap)


def read_accounts(paths: PathsLike, settings: Settings | None = None) -> Loaded:
    """Read the optional accounts table (one row per account).

    An unparseable ``created_at`` is nulled and counted in ``dropped_values`` (the account and
    its other signals are kept); emails without an ``@`` and malformed sign-up IPs likewise.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "a.csv")
    ...     _ = open(p, "w").write("account_id,email\\na,a@x.org\\nb,nope\\n")
    ...     loaded = read_accounts(p)
    ...     loaded.dropped_values.rows(), loaded.signal_columns
    ([('email', 'bad_email', 1)], ('email',))
    """
    return _load("accounts", _scan_files(paths, _settings(settings)), _settings(settings))


def read_edges(paths: PathsLike, settings: Settings | None = None) -> Loaded:
    """Read the pre-aggregated edges form: ``account_id, signal_type, signal_value[, ...]``.

    ``count`` defaults to 1; a ``timestamp`` column stands in for ``first_seen`` and
    ``last_seen``, and either of those alone stands in for the other.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "edges.csv")
    ...     _ = open(p, "w").write("account_id,signal_type,signal_value\\na,ip,10.0.0.1\\n")
    ...     read_edges(p).frame.collect()["count"].to_list()
    [1]
    """
    settings = _settings(settings)
    return _load("edges", _scan_files(paths, settings), settings)


def read_input(
    paths: PathsLike, settings: Settings | None = None, *, tap: RowTap | None = None
) -> Loaded:
    """Read events or edges, recognising the form from the columns.

    Files with both ``signal_type`` and ``signal_value`` columns (after mapping) are edges;
    any other file is events. All files must be of one form. ``tap`` is used for events only
    (see :func:`read_events`).

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "x.csv")
    ...     _ = open(p, "w").write("account_id,signal_type,signal_value\\na,ip,10.0.0.1\\n")
    ...     read_input(p).kind
    'edges'
    """
    settings = _settings(settings)
    files = _scan_files(paths, settings)
    kind = _detect_kind(files)
    return _load(kind, files, settings, tap if kind == "events" else None)


def read_truth(path: str | Path) -> pl.DataFrame:
    """Read a truth table for evaluation: ``account_id``, ``operation_id`` and optional ``kind``.

    Returns
    -------
    pl.DataFrame
        ``account_id``, ``operation_id`` (null for benign accounts) and ``kind`` (null when the
        file has none), all strings, one row per account.

    Raises
    ------
    InputError
        If a column is missing, an account id is missing, or an account is given two
        different operations.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "truth.csv")
    ...     _ = open(p, "w").write("account_id,operation_id\\na,op1\\nb,\\n")
    ...     read_truth(p).rows()
    [('a', 'op1', None), ('b', None, None)]
    """
    files = _scan_files(path, Settings())
    parts: list[pl.DataFrame] = []
    for file in files:
        if file.frame is None:
            continue
        missing = [c for c in (sc.ACCOUNT_ID, sc.OPERATION_ID) if c not in file.schema]
        if missing:
            raise InputError(_missing_column_error(file, missing))
        rules = [_rule(c, file, "truth") for c in sc.TRUTH_COLUMNS]
        _check_types(file, rules)
        indexed = file.frame.with_row_index(ROW_INDEX, offset=1)
        flagged, _, outputs = apply_rules(indexed, file.schema, rules)
        with reading(file.source):
            table = flagged.select(ROW_INDEX, *outputs.values()).collect()
        blank = table.filter(pl.col(sc.ACCOUNT_ID).is_null())[ROW_INDEX].to_list()
        if blank:
            listed = ", ".join(map(str, blank[:5])) + (", ..." if len(blank) > 5 else "")
            raise InputError(
                f"{shown_path(file.source.path)}: {len(blank)} row(s) without an account_id "
                f"(rows {listed}); every truth row must name its account"
            )
        parts.append(table.drop(ROW_INDEX))
    if not parts:
        return pl.DataFrame(schema=dict.fromkeys(sc.TRUTH_COLUMNS, pl.String))
    truth = pl.concat(parts).unique(maintain_order=True)
    clash = truth.filter(pl.col(sc.ACCOUNT_ID).is_duplicated())
    if clash.height:
        account = clash[sc.ACCOUNT_ID][0]
        ops = sorted(
            shown(v) for v in clash.filter(pl.col(sc.ACCOUNT_ID) == account)[sc.OPERATION_ID]
        )
        raise InputError(
            f"{shown_path(path)}: account {shown(account)!r} appears with different operations "
            f"or kinds ({', '.join(ops)}); each account needs one truth row"
        )
    return truth
