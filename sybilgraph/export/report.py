"""``report.html``: one self-contained page an investigator can open offline and pass on.

The page is built from the files of an output directory (see :mod:`sybilgraph.export.outputs`),
so ``analyze`` and ``sybilgraph report OUT`` produce the same page. It has no script at all,
fetches nothing, and carries a Content-Security-Policy that forbids everything except its one
inline style block (allowed by hash), so even a value that slipped through unescaped could not
run or load anything. Every value from the data is escaped with :func:`html.escape`: account ids,
user agents and e-mails come from the adversary.

Charts are inline SVG drawn here (no plotting dependency): the scores of the top clusters
against the review threshold, and for each top cluster a daily timeline (accounts created,
accounts first active) and an exclusivity overview of its evidence (for each shared value, how
many of the accounts using it anywhere are in the cluster).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from sybilgraph.export.outputs import Outputs, read_outputs

__all__ = ["render_report", "write_report"]

#: Ranked clusters listed in the page's table; the rest are in clusters.csv.
TABLE_ROWS = 100
#: Bars in the score chart.
SCORE_BARS = 50
#: Evidence rows shown per cluster (table and overview).
EVIDENCE_ROWS = 15
#: Members listed per cluster.
MEMBER_ROWS = 12
#: Longest chart label (value and type) before the value is shortened; fits the label column.
LABEL_CHARS = 40

_CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --bg: #f5f7fa; --accent: #2f55d4;
  --warm: #d9822b; --flag: #c0392b; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
header { background: #102a43; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #bcccdc; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 32px 48px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 20px; margin: 16px 0; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 16px 0 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: #fff; }
.card b { display: block; font-size: 20px; overflow-wrap: anywhere; }
.card.t b { font-size: 14px; font-weight: 600; padding: 3px 0; }
.card span { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.v { word-break: break-all; font-family: ui-monospace, Menlo, Consolas, monospace;
  font-size: 12px; }
.flag { color: #fff; background: var(--flag); border-radius: 3px; padding: 0 6px;
  font-size: 12px; }
.summary { font-size: 15px; margin: 4px 0 12px; }
.muted { color: var(--muted); }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.grid > div { min-width: 0; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
svg .axis { stroke: #9aa5b1; stroke-width: 1; }
svg .grid-line { stroke: var(--line); stroke-width: 1; }
svg .thr { stroke: var(--flag); stroke-width: 1.5; stroke-dasharray: 5 3; }
svg .bar-flag { fill: var(--flag); }
svg .bar { fill: #8ea1b8; }
svg .signup { fill: var(--accent); }
svg .active { fill: var(--warm); }
svg .track { fill: #e4e7eb; }
svg .share { fill: var(--accent); }
nav a { margin-right: 12px; }
details summary { cursor: pointer; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 16px; }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
""".strip()


def write_report(
    out_dir: Path, dest: Path | None = None, *, top: int = 10, name: str | None = None
) -> Path:
    """Build ``report.html`` from the files of an ``analyze`` output directory.

    Parameters
    ----------
    out_dir
        The output directory (CSV or Parquet tables and ``summary.json``).
    dest
        Where to write the page; ``out_dir / "report.html"`` by default. Written atomically.
    top
        How many of the highest-ranked clusters get a detailed section.
    name
        The run's name in the page title; the directory's name by default (``analyze``
        passes the final name, since it writes the page in a temporary directory).

    Returns
    -------
    pathlib.Path
        The path of the written page.

    Examples
    --------
    >>> import tempfile, pathlib, sybilgraph
    >>> events = pl.DataFrame({"account_id": ["a", "b"], "device_id": ["d", "d"]})
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> _ = sybilgraph.analyze(events).write(out)
    >>> write_report(out).name
    'report.html'
    """
    target = Path(dest) if dest is not None else Path(out_dir) / "report.html"
    page = render_report(read_outputs(out_dir), top=top, name=name)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A half-written page must never replace a good one.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(page)
        # mkstemp creates the file private; a report is meant to be shared like the tables.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def render_report(outputs: Outputs, *, top: int = 10, name: str | None = None) -> str:
    """The report page of ``outputs`` as one HTML string.

    Examples
    --------
    >>> import pathlib
    >>> empty = pl.DataFrame(schema={"rank": pl.Int64, "cluster_id": pl.String,
    ...     "score": pl.Float64, "flagged": pl.Boolean, "n_accounts": pl.Int64,
    ...     "n_events": pl.Int64, "summary": pl.String})
    >>> out = Outputs(pathlib.Path("out"), "csv", empty, pl.DataFrame(), pl.DataFrame(),
    ...               pl.DataFrame(), {"counts": {}})
    >>> "No clusters" in render_report(out)
    True
    """
    summary = outputs.summary
    clusters = outputs.clusters.sort("rank")
    style_hash = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
    csp = (
        "default-src 'none'; "
        f"style-src 'sha256-{style_hash}'; "
        "img-src 'none'; font-src 'none'; connect-src 'none'; script-src 'none'; "
        "object-src 'none'; base-uri 'none'; form-action 'none'"
    )
    detailed = clusters.head(max(top, 0))
    anchors = {cid: f"cluster-{i + 1}" for i, cid in enumerate(detailed["cluster_id"])}
    title = f"sybilgraph report: {name or outputs.path.name or outputs.path}"
    body = [
        _overview(outputs),
        _score_section(clusters, _threshold(summary)),
        _clusters_section(clusters, anchors),
        *(
            _cluster_section(outputs, row, anchors[row["cluster_id"]])
            for row in detailed.iter_rows(named=True)
        ),
        _run_section(outputs),
    ]
    version = summary.get("version", "unknown")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{_e(title)}</h1>",
            f"<p>sybilgraph {_e(version)} · seed {_e(summary.get('seed', ''))} · "
            f"tables read from {_e(outputs.format.upper())} files</p>",
            "</header>",
            "<main>",
            _nav(anchors, detailed),
            *body,
            "</main>",
            "<footer>Every value on this page comes from the output files and is shown as text. "
            "This page runs no script and loads nothing.</footer>",
            "</body>",
            "</html>",
            "",
        ]
    )


# -- sections ---------------------------------------------------------------------------------
def _nav(anchors: dict[str, str], detailed: pl.DataFrame) -> str:
    links = ['<a href="#overview">Overview</a>', '<a href="#scores">Scores</a>']
    links.append('<a href="#clusters">Ranked clusters</a>')
    links += [
        f'<a href="#{anchors[cid]}">#{_e(rank)} {_e(cid)}</a>'
        for rank, cid in detailed.select("rank", "cluster_id").iter_rows()
    ]
    links.append('<a href="#run">Run details</a>')
    return f"<nav>{''.join(links)}</nav>"


def _overview(outputs: Outputs) -> str:
    summary = outputs.summary
    counts = summary.get("counts", {}) or {}
    cards = [
        ("accounts analysed", counts.get("accounts")),
        ("clusters reported", counts.get("clusters", outputs.clusters.height)),
        ("flagged clusters", counts.get("flagged_clusters")),
        ("accounts in flagged clusters", counts.get("flagged_accounts")),
        ("input rows read", summary.get("rows_read")),
        ("input rows rejected", summary.get("rows_rejected", outputs.rejects.height)),
        ("peak memory (MiB)", summary.get("peak_memory_mb")),
        ("total stage time (s)", _total_seconds(summary)),
    ]
    html_cards = "".join(
        f'<div class="card"><b>{_num(v)}</b><span>{_e(label)}</span></div>' for label, v in cards
    )
    note = ""
    if summary.get("pseudonymized"):
        note = (
            '<p class="muted">Account ids and signal values are keyed pseudonyms '
            "(HMAC-SHA256); the team holding the key can map them back.</p>"
        )
    return (
        '<section id="overview"><h2>Overview</h2>'
        f'<div class="cards">{html_cards}</div>{note}</section>'
    )


def _score_section(clusters: pl.DataFrame, threshold: float | None) -> str:
    if clusters.height == 0:
        return (
            '<section id="scores"><h2>Cluster scores</h2>'
            "<p>No clusters were reported in this run.</p></section>"
        )
    shown = clusters.head(SCORE_BARS)
    caption = (
        f"Scores of the top {shown.height} of {clusters.height} clusters, by rank"
        + (f"; dashed line: review threshold {threshold:g}" if threshold is not None else "")
        + "."
    )
    return (
        '<section id="scores"><h2>Cluster scores</h2>'
        f'<p class="muted">{_e(caption)}</p>{_score_chart(shown, threshold)}</section>'
    )


def _clusters_section(clusters: pl.DataFrame, anchors: dict[str, str]) -> str:
    if clusters.height == 0:
        return (
            '<section id="clusters"><h2>Ranked clusters</h2>'
            "<p>No clusters were reported in this run.</p></section>"
        )
    rows = []
    for r in clusters.head(TABLE_ROWS).iter_rows(named=True):
        cid = r["cluster_id"]
        name = f'<a href="#{anchors[cid]}">{_e(cid)}</a>' if cid in anchors else _e(cid)
        rows.append(
            [
                _cell(r["rank"], numeric=True),
                f"<td>{name}</td>",
                _cell(_fixed(r["score"]), numeric=True),
                f"<td>{_flag(r['flagged'])}</td>",
                _cell(r["n_accounts"], numeric=True),
                _cell(r["n_events"], numeric=True),
                _cell(_day(r.get("first_seen")), numeric=True),
                _cell(_day(r.get("last_seen")), numeric=True),
                _cell((r.get("signal_types") or "").replace(",", ", ")),
                _cell(r["summary"]),
            ]
        )
    head = ["rank", "cluster", "score", "flagged", "accounts", "events", "first seen"]
    head += ["last seen", "evidence types", "summary"]
    numeric = {0, 2, 4, 5, 6, 7}
    more = clusters.height - TABLE_ROWS
    tail = f'<p class="muted">… and {more:,} more in clusters.csv.</p>' if more > 0 else ""
    return (
        '<section id="clusters"><h2>Ranked clusters</h2>'
        f"{_table(head, rows, numeric=numeric)}{tail}</section>"
    )


def _cluster_section(outputs: Outputs, info: dict[str, Any], anchor: str) -> str:
    cid = info["cluster_id"]
    evidence = outputs.cluster_evidence(cid)
    members = outputs.cluster_members(cid)
    timeline = outputs.timeline(cid)
    facts = [
        ("score", round(float(info["score"]), 3)),
        ("accounts", info["n_accounts"]),
        ("events", info["n_events"]),
        ("events per account", round(int(info["n_events"]) / max(int(info["n_accounts"]), 1), 1)),
        ("first seen", _when(info.get("first_seen"))),
        ("last seen", _when(info.get("last_seen"))),
        ("evidence types", (info.get("signal_types") or "none").replace(",", ", ")),
        ("subgroups", info.get("n_subgroups", "")),
    ]
    cards = "".join(
        f'<div class="card{"" if isinstance(v, int | float) else " t"}">'
        f"<b>{_num(v)}</b><span>{_e(k)}</span></div>"
        for k, v in facts
    )
    heading = f"#{_e(info['rank'])} · cluster {_e(cid)} {_flag(info['flagged'])}"
    return "".join(
        [
            f'<section id="{anchor}"><h2>{heading}</h2>',
            f'<p class="summary">{_e(info["summary"])}</p>',
            f'<div class="cards">{cards}</div>',
            '<div class="grid"><div>',
            "<h3>Timeline</h3>",
            _timeline_chart(timeline),
            "</div><div>",
            "<h3>Evidence overview</h3>",
            _evidence_overview(evidence, int(info["n_accounts"])),
            "</div></div>",
            "<h3>Evidence</h3>",
            _evidence_table(evidence),
            "<h3>Members</h3>",
            _members_table(members),
            "</section>",
        ]
    )


def _run_section(outputs: Outputs) -> str:
    summary = outputs.summary
    inputs = summary.get("inputs", []) or []
    parts = ['<section id="run"><h2>Run details</h2>', "<h3>Inputs</h3>"]
    if inputs:
        rows = [
            [
                _cell(i.get("kind", "")),
                _cell(i.get("path", ""), value=True),
                _cell(i.get("format", "")),
                _cell(i.get("compression") or ""),
                _cell(i.get("rows", ""), numeric=True),
                _cell(_size(i.get("size_bytes")), numeric=True),
            ]
            for i in inputs
        ]
        head = ["kind", "path", "format", "compression", "rows", "size"]
        parts.append(_table(head, rows, numeric={4, 5}))
    else:
        parts.append('<p class="muted">In-memory frames (no input files).</p>')

    parts.append("<h3>Rejected rows</h3>")
    by_reason = summary.get("rejects_by_reason", {}) or {}
    if by_reason:
        rows = [[_cell(k), _cell(v, numeric=True)] for k, v in by_reason.items()]
        parts.append(_table(["reason", "rows"], rows, numeric={1}))
        sample = outputs.rejects.head(20)
        cols = [c for c in ("source", "row", "column", "reason") if c in sample.columns]
        rows = [
            [_cell(r[c], numeric=c == "row", value=c == "source") for c in cols]
            for r in sample.iter_rows(named=True)
        ]
        parts.append(
            f"<details><summary>First {sample.height} of {outputs.rejects.height:,} rejected "
            f"rows (all in rejects.{_e(outputs.format)})</summary>"
            f"{_table(cols, rows, numeric={cols.index('row')} if 'row' in cols else set())}"
            "</details>"
        )
    else:
        parts.append("<p>Every input row was used.</p>")

    stages = summary.get("stages", []) or []
    parts.append("<h3>Stage timings</h3>")
    if stages:
        rows = []
        for s in stages:
            extra = ", ".join(
                f"{k.replace('_', ' ')} {_plain(v)}"
                for k, v in s.items()
                if k not in ("stage", "seconds", "peak_memory_mb")
            )
            rows.append(
                [
                    _cell(s.get("stage", "")),
                    _cell(_plain(s.get("seconds", "")), numeric=True),
                    _cell(_plain(s.get("peak_memory_mb", "")), numeric=True),
                    _cell(extra),
                ]
            )
        parts.append(_table(["stage", "seconds", "peak MiB", "counts"], rows, numeric={1, 2}))
    counts = summary.get("counts", {}) or {}
    if counts:
        rows = [
            [_cell(k.replace("_", " ")), _cell(_plain(v), numeric=True)] for k, v in counts.items()
        ]
        parts.append("<h3>Counts</h3>" + _table(["count", "value"], rows, numeric={1}))
    settings = summary.get("settings", {}) or {}
    if settings:
        rows = [[_cell(k), _cell(_plain(v), value=True)] for k, v in settings.items()]
        parts.append(
            "<details><summary>Resolved settings</summary>"
            f"{_table(['setting', 'value'], rows)}</details>"
        )
    parts.append("</section>")
    return "".join(parts)


def _evidence_table(evidence: pl.DataFrame) -> str:
    if evidence.height == 0:
        return '<p class="muted">No shared values recorded for this cluster.</p>'
    rows = []
    for r in evidence.head(EVIDENCE_ROWS).iter_rows(named=True):
        rows.append(
            [
                _cell(r["signal_type"]),
                _cell(r["signal_value"], value=True),
                _cell(r["accounts_in_cluster"], numeric=True),
                _cell(r.get("accounts_total", ""), numeric=True),
                _cell(_percent(r["share"]), numeric=True),
                _cell(_fixed(r.get("weight")), numeric=True),
            ]
        )
    head = ["type", "value", "in cluster", "using it anywhere", "share", "weight"]
    more = evidence.height - EVIDENCE_ROWS
    tail = f'<p class="muted">… and {more:,} more in evidence.csv.</p>' if more > 0 else ""
    return _table(head, rows, numeric={2, 3, 4, 5}) + tail


def _members_table(members: pl.DataFrame) -> str:
    if members.height == 0:
        return '<p class="muted">No members listed.</p>'
    cols = [
        c
        for c in (
            "account_id",
            "member_score",
            "n_events",
            "created_at",
            "first_seen",
            "last_seen",
            "org_id",
        )
        if c in members.columns
    ]
    numeric = {"member_score", "n_events"}
    rows = []
    for r in members.head(MEMBER_ROWS).iter_rows(named=True):
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, dt.datetime):
                v = _when(v)
            elif c == "member_score":
                v = _fixed(v)
            cells.append(
                _cell(v if v is not None else "", numeric=c in numeric, value=c == "account_id")
            )
        rows.append(cells)
    more = members.height - MEMBER_ROWS
    tail = f'<p class="muted">… and {more:,} more in members.csv.</p>' if more > 0 else ""
    heads = [c.replace("_", " ") for c in cols]
    return _table(heads, rows, numeric={i for i, c in enumerate(cols) if c in numeric}) + tail


# -- charts -----------------------------------------------------------------------------------
def _score_chart(shown: pl.DataFrame, threshold: float | None) -> str:
    width, height = 1100, 260
    left, right, top, bottom = 44, 12, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    scores = [float(s) for s in shown["score"].to_list()]
    y_max = max(1.0, *scores)
    slot = plot_w / max(len(scores), 1)
    bar_w = min(max(slot * 0.75, 1.0), 36.0)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    parts = [_svg_open(width, height, "Bar chart of cluster scores by rank")]
    for tick in _ticks(y_max):
        parts.append(_line(left, y(tick), width - right, y(tick), "grid-line"))
        parts.append(_text(left - 6, y(tick) + 4, f"{tick:g}", anchor="end"))
    for i, row in enumerate(shown.select("rank", "cluster_id", "score", "flagged").iter_rows()):
        rank, cid, score, flagged = row
        x = left + i * slot + (slot - bar_w) / 2
        tip = f"#{rank} {cid}: score {float(score):.3f}" + (" (flagged)" if flagged else "")
        top_y = y(float(score))
        parts.append(
            f'<rect class="{"bar-flag" if flagged else "bar"}" x="{x:.1f}" y="{top_y:.1f}" '
            f'width="{bar_w:.1f}" height="{max(top + plot_h - top_y, 0.0):.1f}">'
            f"<title>{_e(tip)}</title></rect>"
        )
        if len(scores) <= 25 or i % 5 == 0:
            parts.append(_text(x + bar_w / 2, height - bottom + 14, str(rank), anchor="middle"))
    if threshold is not None and threshold <= y_max:
        parts.append(_line(left, y(threshold), width - right, y(threshold), "thr"))
        parts.append(
            _text(width - right, y(threshold) - 4, f"review threshold {threshold:g}", anchor="end")
        )
    parts.append(_line(left, top + plot_h, width - right, top + plot_h, "axis"))
    parts.append(_text(left + plot_w / 2, height - 4, "cluster rank", anchor="middle"))
    parts.append("</svg>")
    return "".join(parts)


def _timeline_chart(timeline: pl.DataFrame) -> str:
    if timeline.height == 0:
        return '<p class="muted">No sign-up or activity dates for this cluster.</p>'
    days: list[dt.date] = timeline["day"].to_list()
    signups = dict(zip(days, timeline["signups"].to_list(), strict=True))
    active = dict(zip(days, timeline["first_active"].to_list(), strict=True))
    first, last = days[0], days[-1]
    span = (last - first).days + 1
    # Days while they fit as bars; longer spans (old sign-ups) in wider buckets.
    step = 1 if span <= 92 else max(7, -(-span // 120))
    unit = "day" if step == 1 else "week" if step == 7 else f"{step} days"
    buckets = [first + dt.timedelta(days=k) for k in range(0, span, step)]
    series_a: list[int] = [
        sum(int(signups.get(b + dt.timedelta(days=j), 0)) for j in range(step)) for b in buckets
    ]
    series_b: list[int] = [
        sum(int(active.get(b + dt.timedelta(days=j), 0)) for j in range(step)) for b in buckets
    ]

    width, height = 540, 220
    left, right, top, bottom = 38, 10, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = max(1, *series_a, *series_b)
    slot = plot_w / len(buckets)
    bar_w = min(max(slot * 0.4, 0.8), 28.0)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    parts = [_svg_open(width, height, f"Accounts created and first active per {unit}")]
    for tick in _ticks(float(y_max), integer=True):
        parts.append(_line(left, y(tick), width - right, y(tick), "grid-line"))
        parts.append(_text(left - 6, y(tick) + 4, f"{tick:g}", anchor="end"))
    for i, bucket in enumerate(buckets):
        x = left + i * slot + (slot - 2 * bar_w) / 2
        label = bucket.isoformat() if step == 1 else f"{unit} from {bucket.isoformat()}"
        for k, (value, css, name) in enumerate(
            ((series_a[i], "signup", "created"), (series_b[i], "active", "first active"))
        ):
            if value:
                parts.append(
                    f'<rect class="{css}" x="{x + k * bar_w:.1f}" y="{y(value):.1f}" '
                    f'width="{bar_w:.1f}" height="{top + plot_h - y(value):.1f}">'
                    f"<title>{_e(f'{label}: {value:,} accounts {name}')}</title></rect>"
                )
    parts.append(_line(left, top + plot_h, width - right, top + plot_h, "axis"))
    for pos in sorted({0, len(buckets) // 2, len(buckets) - 1}):
        # Under the bar when there is room (one bucket, or the middle); flush at the ends.
        end = len(buckets) - 1
        anchor = "middle" if end == 0 or 0 < pos < end else "start" if pos == 0 else "end"
        x = left + pos * slot + (slot / 2 if anchor == "middle" else 0 if pos == 0 else slot)
        parts.append(_text(x, height - bottom + 14, buckets[pos].isoformat(), anchor=anchor))
    parts.append(
        _text(
            left + plot_w / 2,
            height - 4,
            f"UTC {unit}" if step < 8 else f"UTC, {unit} per bar",
            anchor="middle",
        )
    )
    parts.append(f'<rect class="signup" x="{left}" y="6" width="10" height="10"></rect>')
    parts.append(_text(left + 14, 15, "accounts created"))
    parts.append(f'<rect class="active" x="{left + 130}" y="6" width="10" height="10"></rect>')
    parts.append(_text(left + 144, 15, "accounts first active"))
    parts.append("</svg>")
    return "".join(parts)


def _evidence_overview(evidence: pl.DataFrame, n_accounts: int) -> str:
    if evidence.height == 0:
        return '<p class="muted">No shared values recorded for this cluster.</p>'
    by_type = (
        evidence.group_by("signal_type")
        .agg(
            pl.len().alias("values"),
            pl.col("accounts_in_cluster").max().alias("widest"),
            pl.col("share").median().alias("median_share"),
        )
        .sort(["values", "signal_type"], descending=[True, False])
    )
    rows = [
        [
            _cell(t),
            _cell(v, numeric=True),
            _cell(f"{w:,} of {n_accounts:,}", numeric=True),
            _cell(_percent(s), numeric=True),
        ]
        for t, v, w, s in by_type.iter_rows()
    ]
    table = _table(
        ["type", "values", "widest", "median share"],
        rows,
        numeric={1, 2, 3},
    )
    shown = evidence.head(EVIDENCE_ROWS)
    row_h, label_w, width = 20, 250, 540
    bar_x, bar_w = label_w, width - label_w - 90
    height = 22 + row_h * shown.height
    parts = [_svg_open(width, height, "Share of each shared value's users inside the cluster")]
    parts.append(_text(0, 12, "value (type)"))
    parts.append(_text(bar_x, 12, "accounts using it: in this cluster / anywhere"))
    for i, r in enumerate(shown.iter_rows(named=True)):
        y = 22 + i * row_h
        share = min(max(float(r["share"] or 0.0), 0.0), 1.0)
        total = r.get("accounts_total")
        kind = str(r["signal_type"])
        label = f"{_short(str(r['signal_value']), max(LABEL_CHARS - len(kind) - 3, 8))} ({kind})"
        tip = (
            f"{r['signal_type']} {r['signal_value']}: {r['accounts_in_cluster']:,} of "
            f"{total if total is not None else '?'} accounts using it are in this cluster"
        )
        parts.append(f"<g><title>{_e(tip)}</title>")
        parts.append(_text(0, y + 13, label))
        parts.append(
            f'<rect class="track" x="{bar_x}" y="{y + 3}" width="{bar_w}" height="12"></rect>'
        )
        parts.append(
            f'<rect class="share" x="{bar_x}" y="{y + 3}" width="{bar_w * share:.1f}" '
            'height="12"></rect>'
        )
        count = f"{r['accounts_in_cluster']:,} / {total:,}" if total is not None else ""
        parts.append(_text(bar_x + bar_w + 6, y + 13, count))
        parts.append("</g>")
    parts.append("</svg>")
    return table + "".join(parts)


# -- small builders ---------------------------------------------------------------------------
def _e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(label)}">'
        f"<title>{_e(label)}</title>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, css: str) -> str:
    return f'<line class="{css}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"></line>'


def _text(x: float, y: float, content: str, *, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{_e(content)}</text>'


def _ticks(y_max: float, *, integer: bool = False) -> list[float]:
    """Four or five round tick values from 0 to ``y_max``."""
    if y_max <= 0:
        return [0.0]
    raw = y_max / 4
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.25
    step = next((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), raw)
    if integer:
        step = max(1.0, float(round(step)))
    ticks, value = [], 0.0
    while value <= y_max + 1e-9:
        ticks.append(round(value, 6))
        value += step
    return ticks


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = ()) -> str:
    right = set(numeric)
    heads = "".join(
        f'<th class="n">{_e(h)}</th>' if i in right else f"<th>{_e(h)}</th>"
        for i, h in enumerate(head)
    )
    body = "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    return f"<table><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>"


def _cell(content: Any, *, numeric: bool = False, value: bool = False) -> str:
    """One escaped table cell; numbers right-aligned, raw values in monospace."""
    css = ' class="n"' if numeric else ' class="v"' if value else ""
    text = f"{content:,}" if isinstance(content, int) and not isinstance(content, bool) else content
    return f"<td{css}>{_e(text)}</td>"


def _num(value: Any) -> str:
    """Escaped display of a card value: thousands separators for numbers, blank for missing."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.3g}"
    return _e(value)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def _fixed(value: Any) -> str:
    return f"{float(value):.3f}" if value is not None else ""


def _percent(value: Any) -> str:
    return f"{100 * float(value):.0f}%" if value is not None else ""


def _flag(flagged: Any) -> str:
    return '<span class="flag">flagged</span>' if flagged else ""


def _when(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return "" if value is None else str(value)


def _day(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    return "" if value is None else str(value)


def _size(n_bytes: Any) -> str:
    if not isinstance(n_bytes, int | float):
        return ""
    size = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _threshold(summary: dict[str, Any]) -> float | None:
    value = (summary.get("settings") or {}).get("review_threshold")
    return float(value) if isinstance(value, int | float) else None


def _total_seconds(summary: dict[str, Any]) -> float | None:
    stages = summary.get("stages") or []
    seconds = [s.get("seconds") for s in stages if isinstance(s.get("seconds"), int | float)]
    return round(sum(seconds), 2) if seconds else None
