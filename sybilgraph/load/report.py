"""The validation report: what was read, what was kept, what was rejected and why.

:func:`build_report` makes one streaming pass over the valid rows (distinct accounts, time
range, null counts); the rest comes from what the reader already counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from sybilgraph import schema as sc
from sybilgraph.load.readers import InputFile, Loaded
from sybilgraph.load.scan import describe
from sybilgraph.load.sources import Source

__all__ = ["ValidationReport", "build_report", "render_text"]

_TIME_RANGE = {
    "events": (sc.TIMESTAMP, sc.TIMESTAMP),
    "accounts": (sc.CREATED_AT, sc.CREATED_AT),
    "edges": (sc.FIRST_SEEN, sc.LAST_SEEN),
}


@dataclass(frozen=True)
class ValidationReport:
    """Summary of one loaded input, ready to print or serialise.

    Attributes
    ----------
    kind : str
        ``events``, ``accounts`` or ``edges``.
    files : tuple of InputFile
        Files read.
    rows_read, rows_loaded, rows_rejected : int
        Input rows, valid rows and rejected rows (``read = loaded + rejected``).
    accounts : int
        Distinct account ids among the valid rows.
    first_time, last_time : datetime or None
        Time range of the valid rows (``created_at`` for accounts, ``first_seen`` to
        ``last_seen`` for edges); None when there are no times.
    signal_columns : tuple of str
        Signal columns recognised (for edges: the signal types found, with row counts).
    null_rates : tuple of (str, float)
        Share of null values per column of the valid rows.
    rejects : tuple of (str, str or None, int)
        Reason, column and number of rows, most frequent first.
    dropped_values : tuple of (str, str, int)
        Column, reason and number of values nulled.
    """

    kind: str
    files: tuple[InputFile, ...]
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    accounts: int
    first_time: datetime | None
    last_time: datetime | None
    signal_columns: tuple[str, ...]
    signal_types: tuple[tuple[str, int], ...]
    null_rates: tuple[tuple[str, float], ...]
    rejects: tuple[tuple[str, str | None, int], ...]
    dropped_values: tuple[tuple[str, str, int], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (times as ISO-8601 strings).

        Examples
        --------
        >>> import tempfile, os
        >>> from sybilgraph.load import read_events
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = os.path.join(d, "e.csv")
        ...     _ = open(p, "w").write("account_id,ip\\na,10.0.0.1\\n")
        ...     build_report(read_events(p)).to_dict()["rows"]
        {'read': 1, 'loaded': 1, 'rejected': 0}
        """
        return {
            "kind": self.kind,
            "files": [
                {
                    "path": f.path,
                    "format": f.format,
                    "compression": f.compression,
                    "size_bytes": f.size_bytes,
                    "sha256": f.sha256,
                    "rows": f.rows,
                }
                for f in self.files
            ],
            "rows": {
                "read": self.rows_read,
                "loaded": self.rows_loaded,
                "rejected": self.rows_rejected,
            },
            "accounts": self.accounts,
            "time_range": [
                t.isoformat() if t is not None else None for t in (self.first_time, self.last_time)
            ],
            "signal_columns": list(self.signal_columns),
            "signal_types": dict(self.signal_types),
            "null_rates": dict(self.null_rates),
            "rejects": [
                {"reason": reason, "column": column, "rows": n}
                for reason, column, n in self.rejects
            ],
            "dropped_values": [
                {"column": column, "reason": reason, "count": n}
                for column, reason, n in self.dropped_values
            ],
        }


def build_report(loaded: Loaded) -> ValidationReport:
    """Summarise a loaded input in one streaming pass over its valid rows.

    Examples
    --------
    >>> import tempfile, os
    >>> from sybilgraph.load import read_events
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "e.csv")
    ...     _ = open(p, "w").write("account_id,ip\\na,10.0.0.1\\nb,\\na,x\\n")
    ...     r = build_report(read_events(p))
    ...     r.accounts, dict(r.null_rates)["ip"], r.dropped_values
    (2, 0.6666666666666666, (('ip', 'bad_ip', 1),))
    """
    frame = loaded.frame
    columns = frame.collect_schema().names()
    first, last = _TIME_RANGE[loaded.kind]
    summary = frame.select(
        pl.len().alias("__rows"),
        pl.col(sc.ACCOUNT_ID).n_unique().alias("__accounts"),
        (pl.col(first).min() if first in columns else pl.lit(None, sc.DATETIME)).alias("__first"),
        (pl.col(last).max() if last in columns else pl.lit(None, sc.DATETIME)).alias("__last"),
        *[pl.col(c).null_count().alias(c) for c in columns],
    )
    queries = [summary]
    if loaded.kind == "edges":
        queries.append(
            frame.group_by(sc.SIGNAL_TYPE).agg(pl.len().alias("rows")).sort(sc.SIGNAL_TYPE)
        )
    results = pl.collect_all(queries, engine="streaming")
    row = results[0].row(0, named=True)
    n = int(row["__rows"])
    types: tuple[tuple[str, int], ...] = ()
    if loaded.kind == "edges":
        types = tuple((str(t), int(c)) for t, c in results[1].iter_rows())
    rejects = (
        loaded.rejects.group_by("reason", "column")
        .agg(pl.len().alias("rows"))
        .sort("rows", "reason", descending=[True, False])
    )
    return ValidationReport(
        kind=loaded.kind,
        files=loaded.files,
        rows_read=loaded.n_rows,
        rows_loaded=n,
        rows_rejected=loaded.n_rejected,
        accounts=int(row["__accounts"]) if n else 0,
        first_time=row["__first"],
        last_time=row["__last"],
        signal_columns=loaded.signal_columns,
        signal_types=types,
        null_rates=tuple((c, (int(row[c]) / n) if n else 0.0) for c in columns),
        rejects=tuple((str(r), c, int(k)) for r, c, k in rejects.iter_rows()),
        dropped_values=tuple(
            (str(c), str(r), int(k)) for c, r, k in loaded.dropped_values.iter_rows()
        ),
    )


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _time(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S UTC") if t is not None else "-"


def _table(
    rows: list[tuple[str, ...]], right: frozenset[int] | None = None, indent: str = "    "
) -> list[str]:
    """Align rows in columns; numbers (by default the last column) are right-aligned."""
    right = right if right is not None else frozenset({len(rows[0]) - 1})
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        out.append(indent + "  ".join(cells).rstrip())
    return out


def render_text(report: ValidationReport, title: str | None = None) -> str:
    """Render a report as plain text for a terminal.

    Examples
    --------
    >>> import tempfile, os
    >>> from sybilgraph.load import read_events
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "e.csv")
    ...     _ = open(p, "w").write("account_id,ip\\na,10.0.0.1\\n")
    ...     text = render_text(build_report(read_events(p)))
    >>> text.splitlines()[0]
    'events: 1 file, 1 row read, 1 loaded, 0 rejected'
    """

    def plural(n: int, word: str) -> str:
        return f"{n:,} {word}{'' if n == 1 else 's'}"

    r = report
    lines = [
        f"{title or r.kind}: {plural(len(r.files), 'file')}, {plural(r.rows_read, 'row')} read, "
        f"{r.rows_loaded:,} loaded, {r.rows_rejected:,} rejected",
        "  files:",
    ]
    lines += _table(
        [
            (
                f.path,
                describe(Source(f.path, f.format, f.compression, f.size_bytes)),
                _size(f.size_bytes),
                plural(f.rows, "row"),
            )
            for f in r.files
        ],
        right=frozenset({2, 3}),
    )
    lines.append(f"  distinct accounts: {r.accounts:,}")
    lines.append(f"  time range: {_time(r.first_time)} .. {_time(r.last_time)}")
    if r.kind == "edges":
        listed = ", ".join(f"{t} ({n:,})" for t, n in r.signal_types) or "none"
        lines.append(f"  signal types: {listed}")
    else:
        lines.append(f"  signal columns: {', '.join(r.signal_columns) or 'none'}")
    if r.null_rates:
        lines.append("  null rate per column:")
        lines += _table([(c, f"{rate:.1%}") for c, rate in r.null_rates])
    if r.rejects:
        lines.append("  rejected rows by reason:")
        lines += _table([(reason, column or "-", f"{n:,}") for reason, column, n in r.rejects])
    else:
        lines.append("  rejected rows: none")
    if r.dropped_values:
        lines.append("  values dropped (row kept):")
        lines += _table([(c, reason, f"{n:,}") for c, reason, n in r.dropped_values])
    return "\n".join(lines)
