"""Reading an ``analyze`` output directory back, for the report and ``explain``.

The investigator tools work from the files a run wrote (CSV or Parquet tables and
``summary.json``), never from a live run, so a report can be rebuilt and a cluster explained
days later, on another machine, without the original logs.

CSV tables are read with every column as text and then typed from the column contract, so an
account id such as ``00123`` or ``2025-05-01`` stays the string it was. Cells that the CSV
writer neutralised for spreadsheets (a leading ``'`` before ``=``, ``+``, ``-``, ``@``) are kept
as written: they are what the files say.

An optional ``links`` table (``cluster_id, account_id, signal_type, signal_value, n_events``: which
member uses which evidence value) lets :meth:`Outputs.cluster_graph` draw exact account–value
edges. Without it, only values shared by every member can be connected with certainty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from sybilgraph.errors import InputError

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["REQUIRED_COLUMNS", "Outputs", "cluster_links", "daily_timeline", "read_outputs"]

#: The columns each table must have to be read as an ``analyze`` output.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "clusters": ("rank", "cluster_id", "score", "flagged", "n_accounts", "n_events", "summary"),
    "members": ("account_id", "cluster_id", "first_seen"),
    "evidence": ("cluster_id", "signal_type", "signal_value", "accounts_in_cluster", "share"),
    "rejects": ("reason",),
}
_OPTIONAL_TABLES = ("links",)

_INTS = {
    "rank",
    "n_accounts",
    "n_events",
    "cluster_rank",
    "accounts_in_cluster",
    "accounts_total",
    "row",
    "n_evidence_types",
    "n_signup_bursts",
    "n_subgroups",
}
_FLOATS = {"score", "member_score", "share", "weight"}
_BOOLS = {"flagged"}
_DATES = {"first_seen", "last_seen", "created_at"}
_TEXT = {
    "cluster_id",
    "account_id",
    "subgroup_id",
    "org_id",
    "signal_type",
    "signal_value",
    "signal_types",
    "summary",
    "source",
    "reason",
    "column",
}


@dataclass(frozen=True)
class Outputs:
    """The tables and manifest of one ``analyze`` output directory.

    Attributes
    ----------
    path
        The directory.
    format
        ``"csv"`` or ``"parquet"``: the format the tables were found in.
    clusters, members, evidence, rejects
        The tables of the same names, typed as ``analyze`` wrote them.
    summary
        The parsed ``summary.json``.
    links
        Member–value edges of the evidence values, when the run wrote them; otherwise ``None``.
    """

    path: Path
    format: str
    clusters: pl.DataFrame
    members: pl.DataFrame
    evidence: pl.DataFrame
    rejects: pl.DataFrame
    summary: dict[str, Any]
    links: pl.DataFrame | None = None

    def cluster_row(self, cluster_id: str) -> dict[str, Any]:
        """The ``clusters`` row of ``cluster_id``; :class:`InputError` naming valid ids if none.

        Examples
        --------
        >>> out = Outputs(Path("."), "csv", pl.DataFrame({"cluster_id": ["C1"], "rank": [1]}),
        ...               pl.DataFrame(), pl.DataFrame(), pl.DataFrame(), {})
        >>> out.cluster_row("C1")["rank"]
        1
        """
        rows = self.clusters.filter(pl.col("cluster_id") == cluster_id)
        if rows.height == 0:
            ids = self.clusters.get_column("cluster_id").head(5).to_list()
            more = ", ..." if self.clusters.height > 5 else ""
            known = ", ".join(ids) + more if ids else "none (the run reported no clusters)"
            raise InputError(
                f"{self.path}: no cluster {cluster_id!r} in clusters.{self.format}; "
                f"valid ids: {known}"
            )
        return rows.row(0, named=True)

    def cluster_members(self, cluster_id: str) -> pl.DataFrame:
        """Members of one cluster, highest member score first (ties by account id)."""
        members = self.members.filter(pl.col("cluster_id") == cluster_id)
        order = [c for c in ("member_score", "account_id") if c in members.columns]
        return members.sort(order, descending=[c == "member_score" for c in order])

    def cluster_evidence(self, cluster_id: str) -> pl.DataFrame:
        """Evidence rows of one cluster, in the order the run wrote them (rarest first)."""
        return self.evidence.filter(pl.col("cluster_id") == cluster_id)

    def timeline(self, cluster_id: str) -> pl.DataFrame:
        """Per UTC day: accounts created (``signups``) and first active (``first_active``).

        Examples
        --------
        >>> import datetime as dt
        >>> t = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
        >>> members = pl.DataFrame({"cluster_id": ["C1", "C1"], "account_id": ["a", "b"],
        ...                         "created_at": [t, t], "first_seen": [t, None]})
        >>> out = Outputs(Path("."), "csv", pl.DataFrame(), members, pl.DataFrame(),
        ...               pl.DataFrame(), {})
        >>> out.timeline("C1").rows()
        [(datetime.date(2025, 5, 1), 2, 1)]
        """
        return daily_timeline(self.members.filter(pl.col("cluster_id") == cluster_id))

    def cluster_graph(self, cluster_id: str) -> nx.Graph:
        """The account–signal subgraph of one cluster, as a bipartite networkx graph.

        Account nodes are ``"account:<id>"`` (``kind="account"``); value nodes are
        ``"<signal_type>:<value>"`` (``kind="signal"``) with ``type``, ``value``,
        ``accounts_in_cluster``, ``accounts_total``, ``share`` and ``weight``. With a ``links``
        table every edge is exact and carries ``n_events``; without one, only values used by
        every member are connected (to all members), and the graph says so in its
        ``edges_complete`` attribute.
        """
        info = self.cluster_row(cluster_id)
        members = self.cluster_members(cluster_id)
        evidence = self.cluster_evidence(cluster_id)
        complete = self.links is not None
        import networkx as nx  # imported here: most runs never build a graph

        graph = nx.Graph(cluster_id=cluster_id, edges_complete=complete)
        account_ids = sorted(members.get_column("account_id").drop_nulls().to_list())
        for account_id in account_ids:
            graph.add_node(f"account:{account_id}", kind="account", account_id=account_id)
        for row in evidence.iter_rows(named=True):
            graph.add_node(
                _value_node(row["signal_type"], row["signal_value"]),
                kind="signal",
                type=row["signal_type"],
                value=row["signal_value"],
                accounts_in_cluster=_int(row.get("accounts_in_cluster")),
                accounts_total=_int(row.get("accounts_total")),
                share=_float(row.get("share")),
                weight=_float(row.get("weight")),
            )
        if self.links is not None:
            links = self.links.filter(pl.col("cluster_id") == cluster_id).sort(
                "signal_type", "signal_value", "account_id"
            )
            for link in links.iter_rows(named=True):
                node = _value_node(link["signal_type"], link["signal_value"])
                account = f"account:{link['account_id']}"
                if node in graph and account in graph:
                    graph.add_edge(account, node, n_events=_int(link.get("n_events")))
        else:
            everyone = int(info["n_accounts"])
            for row in evidence.filter(pl.col("accounts_in_cluster") >= everyone).iter_rows(
                named=True
            ):
                node = _value_node(row["signal_type"], row["signal_value"])
                graph.add_edges_from((f"account:{a}", node) for a in account_ids)
        return graph


def daily_timeline(members: pl.DataFrame) -> pl.DataFrame:
    """Count ``created_at`` and ``first_seen`` per UTC day: ``day, signups, first_active``.

    Examples
    --------
    >>> import datetime as dt
    >>> t = dt.datetime(2025, 5, 2, tzinfo=dt.UTC)
    >>> daily_timeline(pl.DataFrame({"first_seen": [t]})).rows()
    [(datetime.date(2025, 5, 2), 0, 1)]
    """
    parts = []
    for column, name in (("created_at", "signups"), ("first_seen", "first_active")):
        if column in members.columns and members.schema[column] != pl.String:
            counted = (
                members.drop_nulls(column)
                .group_by(pl.col(column).dt.date().alias("day"))
                .agg(pl.len().cast(pl.Int64).alias(name))
            )
        else:
            counted = pl.DataFrame(schema={"day": pl.Date, name: pl.Int64})
        parts.append(counted)
    return (
        parts[0]
        .join(parts[1], on="day", how="full", coalesce=True)
        .with_columns(pl.col("signups", "first_active").fill_null(0))
        .sort("day")
    )


def cluster_links(
    edges: pl.DataFrame, accounts: pl.DataFrame, values: pl.DataFrame, evidence: pl.DataFrame
) -> pl.DataFrame:
    """Which member of each cluster uses which evidence value: the ``links`` table.

    Parameters
    ----------
    edges
        ``account, value, n_events`` (integer-coded, as in :class:`sybilgraph.edges.EdgeTable`).
    accounts
        ``account, account_id, cluster_id``: the members table joined to the account codes, so
        only edges between a cluster's members and that cluster's evidence values are kept.
    values
        ``value, signal_type, signal_value``.
    evidence
        The ``evidence`` table (``cluster_id, signal_type, signal_value``).

    Returns
    -------
    polars.DataFrame
        ``cluster_id, account_id, signal_type, signal_value, n_events``, sorted.

    Examples
    --------
    >>> edges = pl.DataFrame({"account": [0, 1, 1], "value": [7, 7, 8], "n_events": [3, 2, 1]})
    >>> accounts = pl.DataFrame({"account": [0, 1], "account_id": ["a", "b"],
    ...                          "cluster_id": ["C1", "C1"]})
    >>> values = pl.DataFrame({"value": [7, 8], "signal_type": ["ip", "ip"],
    ...                        "signal_value": ["1.2.3.4", "5.6.7.8"]})
    >>> evidence = pl.DataFrame({"cluster_id": ["C1"], "signal_type": ["ip"],
    ...                          "signal_value": ["1.2.3.4"]})
    >>> cluster_links(edges, accounts, values, evidence).rows()
    [('C1', 'a', 'ip', '1.2.3.4', 3), ('C1', 'b', 'ip', '1.2.3.4', 2)]
    """
    wanted = evidence.select("cluster_id", "signal_type", "signal_value").join(
        values.select("value", "signal_type", "signal_value"),
        on=["signal_type", "signal_value"],
    )
    return (
        edges.select("account", "value", "n_events")
        .join(accounts.select("account", "account_id", "cluster_id"), on="account")
        .join(wanted, on=["cluster_id", "value"])
        .select(
            "cluster_id",
            "account_id",
            "signal_type",
            "signal_value",
            pl.col("n_events").cast(pl.Int64),
        )
        .sort("cluster_id", "signal_type", "signal_value", "account_id")
    )


def read_outputs(out_dir: str | Path) -> Outputs:
    """Read the tables and ``summary.json`` an ``analyze`` run wrote into ``out_dir``.

    Raises
    ------
    InputError
        One line naming what is missing when ``out_dir`` is not an ``analyze`` output.

    Examples
    --------
    >>> read_outputs("/nonexistent/out")
    Traceback (most recent call last):
    ...
    sybilgraph.errors.InputError: /nonexistent/out: no such directory; give the OUTPUT directory of 'sybilgraph analyze'
    """  # noqa: E501
    path = Path(out_dir)
    if not path.is_dir():
        raise InputError(
            f"{path}: no such directory; give the OUTPUT directory of 'sybilgraph analyze'"
        )
    fmt = "parquet" if (path / "clusters.parquet").is_file() else "csv"
    missing = [
        f"{name}.{fmt}" for name in REQUIRED_COLUMNS if not (path / f"{name}.{fmt}").is_file()
    ]
    if not (path / "summary.json").is_file():
        missing.append("summary.json")
    if missing:
        raise InputError(
            f"{path}: not a 'sybilgraph analyze' output directory; missing {', '.join(missing)}"
        )
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{path / 'summary.json'}: not readable as JSON ({err})") from err
    if not isinstance(summary, dict):
        raise InputError(f"{path / 'summary.json'}: expected a JSON object, found {summary!r:.40}")
    tables = {name: _read_table(path, name, fmt) for name in REQUIRED_COLUMNS}
    problems = [
        f"{name}.{fmt} lacks {', '.join(cols)}"
        for name, frame in tables.items()
        if (cols := [c for c in REQUIRED_COLUMNS[name] if c not in frame.columns])
    ]
    if problems:
        raise InputError(f"{path}: not a 'sybilgraph analyze' output; {'; '.join(problems)}")
    links = None
    for name in _OPTIONAL_TABLES:
        if (path / f"{name}.{fmt}").is_file():
            links = _read_table(path, name, fmt)
    return Outputs(path=path, format=fmt, summary=summary, links=links, **tables)


def _read_table(directory: Path, name: str, fmt: str) -> pl.DataFrame:
    file = directory / f"{name}.{fmt}"
    try:
        if fmt == "parquet":
            return pl.read_parquet(file)
        raw = pl.read_csv(file, infer_schema=False, raise_if_empty=False)
    except (OSError, pl.exceptions.PolarsError) as err:
        raise InputError(f"{file}: cannot be read as {fmt.upper()} ({err})") from err
    return _typed(raw, file)


def _typed(raw: pl.DataFrame, file: Path) -> pl.DataFrame:
    """Give the all-text columns of a CSV table their contract types."""
    exprs: list[pl.Expr] = []
    for name in raw.columns:
        col = pl.col(name)
        if name in _TEXT:
            continue
        if name in _INTS:
            exprs.append(col.cast(pl.Int64, strict=False))
        elif name in _FLOATS:
            exprs.append(col.cast(pl.Float64, strict=False))
        elif name in _BOOLS:
            exprs.append(
                pl.when(col.is_null())
                .then(None)
                .otherwise(col.str.to_lowercase() == "true")
                .alias(name)
            )
        elif name in _DATES:
            exprs.append(col.str.to_datetime(time_zone="UTC", time_unit="us", strict=False))
        else:
            # Feature columns of clusters: numeric when every non-empty cell is.
            numeric = raw.get_column(name).cast(pl.Float64, strict=False)
            if numeric.null_count() == raw.get_column(name).null_count():
                exprs.append(col.cast(pl.Float64))
    typed = raw.with_columns(exprs) if exprs else raw
    bad = [
        name
        for name in typed.columns
        if typed.get_column(name).null_count() > raw.get_column(name).null_count()
    ]
    if bad:
        raise InputError(f"{file}: column(s) {', '.join(bad)} hold values of the wrong type")
    return typed


def _value_node(signal_type: str, signal_value: str) -> str:
    return f"{signal_type}:{signal_value}"


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


def _float(value: Any) -> float:
    return float(value) if value is not None else 0.0
