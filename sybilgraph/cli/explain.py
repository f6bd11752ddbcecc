"""``sybilgraph explain``: why one cluster was reported, as text, and its graph for Gephi."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import polars as pl

from sybilgraph.cli._common import CONTEXT_SETTINGS
from sybilgraph.export.outputs import Outputs, read_outputs

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["command", "explain_text", "printable", "xml_safe_graph"]

#: Widest value printed in a table column before it is shortened.
_VALUE_CHARS = 48
#: Width of the longest timeline bar, in characters.
_BAR_CHARS = 24
# C0 and C1 control characters: a value from the logs must not move the cursor, recolour or
# retitle the investigator's terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Characters XML 1.0 cannot carry at all; GraphML and GEXF files holding them do not load back.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def printable(value: Any, width: int | None = None) -> str:
    r"""``value`` as one safe terminal line: control characters shown as ``\xNN``, shortened.

    Examples
    --------
    >>> printable("ua\x1b[31mred")
    'ua\\x1b[31mred'
    >>> printable("abcdefgh", width=5)
    'abcd…'
    """
    text = "" if value is None else str(value)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def xml_safe_graph(graph: nx.Graph) -> nx.Graph:
    r"""A copy of ``graph`` whose string ids and attributes XML 1.0 can carry.

    Characters XML forbids are written as ``\xNN`` so the file loads back in networkx and
    Gephi; every other character is kept.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_node("a\x00", label="b\x01")
    >>> list(xml_safe_graph(g).nodes(data=True))
    [('a\\x00', {'label': 'b\\x01'})]
    """

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
        return value

    import networkx as nx  # imported here: only graph exports need it

    out = nx.Graph(**{k: clean(v) for k, v in graph.graph.items()})
    for node, attrs in graph.nodes(data=True):
        out.add_node(clean(node), **{k: clean(v) for k, v in attrs.items()})
    for u, v, attrs in graph.edges(data=True):
        out.add_edge(clean(u), clean(v), **{k: clean(x) for k, x in attrs.items()})
    return out


def explain_text(
    outputs: Outputs, cluster_id: str, *, members: int = 10, evidence: int = 15
) -> str:
    """The text ``sybilgraph explain`` prints for one cluster.

    Raises :class:`~sybilgraph.errors.InputError` naming valid ids when ``cluster_id`` is unknown.
    """
    info = outputs.cluster_row(cluster_id)
    lines: list[str] = []
    flag = " · FLAGGED for review" if info.get("flagged") else ""
    lines.append(
        f"Cluster {printable(cluster_id)} · rank {info['rank']} of {outputs.clusters.height:,}"
        f" · score {float(info['score']):.3f}{flag}"
    )
    lines.append(printable(info.get("summary")))
    lines.append("")
    lines.append(
        f"  accounts {int(info['n_accounts']):,}   events {int(info['n_events']):,}   "
        f"first seen {_when(info.get('first_seen'))}   last seen {_when(info.get('last_seen'))}"
    )
    types = (info.get("signal_types") or "none").replace(",", ", ")
    lines.append(f"  evidence types: {printable(types)}")
    lines.append("")

    ev = outputs.cluster_evidence(cluster_id)
    shown = ev.head(evidence)
    lines.append(f"Evidence ({shown.height} of {ev.height}, rarest first)")
    if shown.height:
        rows = [("type", "value", "in cluster", "anywhere", "share", "weight")]
        for r in shown.iter_rows(named=True):
            rows.append(
                (
                    printable(r["signal_type"], _VALUE_CHARS),
                    printable(r["signal_value"], _VALUE_CHARS),
                    f"{int(r['accounts_in_cluster']):,}",
                    _int_text(r.get("accounts_total")),
                    f"{100 * float(r['share']):.0f}%",
                    f"{float(r['weight']):.3f}" if r.get("weight") is not None else "",
                )
            )
        lines += _columns(rows, right={2, 3, 4, 5})
    else:
        lines.append("  (no shared values recorded)")
    lines.append("")

    mem = outputs.cluster_members(cluster_id)
    sample = mem.head(members)
    lines.append(f"Members ({sample.height} of {mem.height:,}, highest member score first)")
    if sample.height:
        rows = [("account_id", "score", "events", "created", "first seen", "last seen")]
        for r in sample.iter_rows(named=True):
            rows.append(
                (
                    printable(r["account_id"], _VALUE_CHARS),
                    f"{float(r['member_score']):.3f}" if r.get("member_score") is not None else "",
                    _int_text(r.get("n_events")),
                    _when(r.get("created_at")),
                    _when(r.get("first_seen")),
                    _when(r.get("last_seen")),
                )
            )
        lines += _columns(rows, right={1, 2})
    lines.append("")

    timeline = outputs.timeline(cluster_id)
    lines.append("Timeline (per UTC day with any: accounts created, accounts first active)")
    if timeline.height:
        lines += _timeline_lines(timeline)
    else:
        lines.append("  (no dates)")
    return "\n".join(lines) + "\n"


@click.command(name="explain", context_settings=CONTEXT_SETTINGS)
@click.argument(
    "out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.argument("cluster_id")
@click.option(
    "--members",
    "n_members",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Members to list.",
)
@click.option(
    "--evidence",
    "n_evidence",
    type=click.IntRange(min=0),
    default=15,
    show_default=True,
    help="Evidence rows to list.",
)
@click.option(
    "--graphml",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the cluster's account–signal graph as GraphML (Gephi, Cytoscape, yEd).",
)
@click.option(
    "--gexf",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the cluster's account–signal graph as GEXF (Gephi).",
)
def command(
    out_dir: Path,
    cluster_id: str,
    n_members: int,
    n_evidence: int,
    graphml: Path | None,
    gexf: Path | None,
) -> None:
    """Explain one cluster of the output directory OUT of 'sybilgraph analyze'.

    Prints the cluster's summary, its strongest evidence (each shared value, how many of the
    cluster's accounts use it, how many use it anywhere), a sample of its members and its
    timeline per day (accounts created, accounts first active). Reads the files of OUT (CSV or
    Parquet), so nothing is rerun.

    With --graphml or --gexf, also writes the cluster's accounts and the values they share as a
    graph: account nodes, signal nodes (type, value, accounts_in_cluster, accounts_total, share,
    weight) and an edge wherever an account uses a value.

    \b
    Example:
        sybilgraph explain out C0001
        sybilgraph explain out C0001 --members 50 --gexf C0001.gexf
    """
    # An unknown cluster id or a directory that is not an analyze output raises InputError
    # (one line naming valid ids or the missing file; exit code 1).
    outputs = read_outputs(out_dir)
    click.echo(explain_text(outputs, cluster_id, members=n_members, evidence=n_evidence), nl=False)
    if graphml is None and gexf is None:
        return
    import networkx as nx  # imported here: only graph exports need it

    graph = xml_safe_graph(_labelled(outputs.cluster_graph(cluster_id)))
    for path, writer in ((graphml, nx.write_graphml), (gexf, nx.write_gexf)):
        if path is None:
            continue
        try:
            writer(graph, path)
        except OSError as err:
            raise click.ClickException(
                f"{path}: cannot write the graph: {err.strerror or err}"
            ) from err
        click.echo(
            f"Wrote {path}: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges",
            err=True,
        )
    if not graph.graph.get("edges_complete", True):
        click.echo(
            "Note: this output has no links table, so only values shared by every member are "
            "connected in the graph.",
            err=True,
        )


def _labelled(graph: nx.Graph) -> nx.Graph:
    """Give every node a ``label`` (the account id or the value) for graph tools to show."""
    for _node, attrs in graph.nodes(data=True):
        attrs["label"] = attrs.get("account_id") or attrs.get("value") or ""
    return graph


def _timeline_lines(timeline: pl.DataFrame) -> list[str]:
    peak = max(int(timeline.select(pl.max_horizontal("signups", "first_active").max()).item()), 1)
    lines = [f"  {'day':<10}  {'created':>8} {'':<{_BAR_CHARS}}  {'active':>8}"]
    for day, created, active in timeline.iter_rows():
        bar_c = "#" * max(round(_BAR_CHARS * created / peak), 1) if created else ""
        bar_a = "+" * max(round(_BAR_CHARS * active / peak), 1) if active else ""
        lines.append(
            f"  {day.isoformat():<10}  {created:>8,} {bar_c:<{_BAR_CHARS}}  {active:>8,} {bar_a}"
        )
    return lines


def _columns(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _when(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else printable(value)


def _int_text(value: Any) -> str:
    return f"{int(value):,}" if value is not None else ""
