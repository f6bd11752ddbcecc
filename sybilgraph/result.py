"""The result of an analysis, made for notebooks as much as for batch jobs."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from sybilgraph.errors import InputError, SettingsError
from sybilgraph.export import atomic_directory, write_table
from sybilgraph.export.outputs import cluster_links
from sybilgraph.export.pseudonymize import pseudonymize_frame
from sybilgraph.export.report import write_report
from sybilgraph.pipeline import RunResult

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Analysis", "ClusterView"]

_FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class ClusterView:
    """One cluster: its row of ``clusters``, its evidence, members and daily timeline.

    Built by :meth:`Analysis.cluster`.

    Attributes
    ----------
    cluster_id : str
        The cluster's id, as in every output table.
    info : dict of str to object
        The cluster's row of :attr:`Analysis.clusters`: rank, score, flagged, summary, features.
    evidence : polars.DataFrame
        Its rows of :attr:`Analysis.evidence`, rarest shared value first.
    members : polars.DataFrame
        Its rows of :attr:`Analysis.members`.
    timeline : polars.DataFrame
        ``day``, ``accounts_created``, ``accounts_first_seen``: per day, how many of its
        accounts were created and how many were first seen.

    Examples
    --------
    >>> import polars as pl, sybilgraph
    >>> ring, users = [f"r{i}" for i in range(5)], [f"u{i}" for i in range(95)]
    >>> events = pl.DataFrame({"account_id": ring + users,
    ...                        "payment_fingerprint": ["card-x"] * 5 + users,
    ...                        "device_id": ["dev-x"] * 5 + users})
    >>> view = sybilgraph.analyze(events).cluster("C0001")
    >>> view.info["rank"], view.members.height, sorted(view.evidence["signal_value"])
    (1, 5, ['card-x', 'dev-x'])
    >>> view.timeline.columns
    ['day', 'accounts_created', 'accounts_first_seen']
    """

    cluster_id: str
    info: dict[str, Any]
    evidence: pl.DataFrame
    members: pl.DataFrame
    timeline: pl.DataFrame

    def __repr__(self) -> str:
        return (
            f"<ClusterView {self.cluster_id}: rank {self.info['rank']}, "
            f"score {self.info['score']:.3f}, {self.info['n_accounts']} accounts — "
            f"{self.info['summary']}>"
        )


class Analysis:
    """Ranked, explained clusters of one run.

    Attributes
    ----------
    clusters, members, evidence, rejects
        polars DataFrames with the columns of the output files of the same names.
    summary
        The run's manifest (version, settings, inputs, counts, stage timings, peak memory).

    Examples
    --------
    >>> import sybilgraph
    >>> events = pl.DataFrame({"account_id": ["a", "b", "c"], "device_id": ["d", "d", "e"]})
    >>> result = sybilgraph.analyze(events)
    >>> result.clusters.height
    0
    """

    def __init__(self, run: RunResult) -> None:
        self._run = run
        self.clusters: pl.DataFrame = run.scored.clusters
        self.members: pl.DataFrame = run.scored.members
        self.evidence: pl.DataFrame = run.scored.evidence
        self.rejects: pl.DataFrame = run.rejects
        self.summary: dict[str, Any] = run.manifest

    # -- one cluster ----------------------------------------------------------------------
    def _row(self, cluster_id: str) -> dict[str, Any]:
        rows = self.clusters.filter(pl.col("cluster_id") == cluster_id)
        if rows.height == 0:
            known = ", ".join(self.clusters.get_column("cluster_id").head(5).to_list())
            raise InputError(
                f"no cluster {cluster_id!r} in this result; clusters start with {known or 'none'}"
            )
        return rows.row(0, named=True)

    def cluster(self, cluster_id: str) -> ClusterView:
        """Evidence, members and daily timeline (accounts created, active) of one cluster.

        Raises :class:`~sybilgraph.errors.InputError` naming known ids when there is no
        cluster `cluster_id`.

        Examples
        --------
        >>> ring, users = [f"r{i}" for i in range(5)], [f"u{i}" for i in range(95)]
        >>> events = pl.DataFrame({"account_id": ring + users,
        ...                        "device_id": ["dev-x"] * 5 + users,
        ...                        "payment_fingerprint": ["card-x"] * 5 + users})
        >>> import sybilgraph
        >>> sybilgraph.analyze(events).cluster("C0001").members["account_id"].to_list()
        ['r0', 'r1', 'r2', 'r3', 'r4']
        """
        info = self._row(cluster_id)
        members = self.members.filter(pl.col("cluster_id") == cluster_id)
        evidence = self.evidence.filter(pl.col("cluster_id") == cluster_id)
        created = (
            members.drop_nulls("created_at")
            .group_by(pl.col("created_at").dt.date().alias("day"))
            .len("accounts_created")
        )
        active = (
            members.drop_nulls("first_seen")
            .group_by(pl.col("first_seen").dt.date().alias("day"))
            .len("accounts_first_seen")
        )
        timeline = (
            created.join(active, on="day", how="full", coalesce=True).fill_null(0).sort("day")
        )
        return ClusterView(cluster_id, info, evidence, members, timeline)

    def cluster_graph(self, cluster_id: str) -> nx.Graph:
        """The cluster's accounts and the values they share, as a bipartite networkx graph.

        Account nodes are ``"account:<id>"`` with ``kind="account"``; value nodes are
        ``"<signal_type>:<value>"`` with ``kind="signal"``, ``signal_type``, ``rarity``,
        ``weight``, ``accounts_total`` and ``accounts_in_cluster``. Edges carry ``n_events``.

        Examples
        --------
        >>> ring, users = [f"r{i}" for i in range(5)], [f"u{i}" for i in range(95)]
        >>> events = pl.DataFrame({"account_id": ring + users,
        ...                        "device_id": ["dev-x"] * 5 + users,
        ...                        "payment_fingerprint": ["card-x"] * 5 + users})
        >>> import sybilgraph
        >>> graph = sybilgraph.analyze(events).cluster_graph("C0001")
        >>> graph.number_of_nodes(), graph.number_of_edges()
        (7, 10)
        >>> graph.nodes["device_id:dev-x"]["accounts_in_cluster"]
        5
        """
        self._row(cluster_id)
        table = self._run.table
        values = self._run.weighted.values
        members = self.members.filter(pl.col("cluster_id") == cluster_id).select("account_id")
        accounts = table.accounts.join(members, on="account_id").select("account", "account_id")
        edges = table.edges.join(accounts, on="account").select(
            "account", "account_id", "value", "n_events"
        )
        shared = (
            edges.group_by("value")
            .len("accounts_in_cluster")
            .filter(pl.col("accounts_in_cluster") >= 2)
        )
        edges = edges.join(shared, on="value").join(values, on="value")
        import networkx as nx  # imported here: most runs never build a graph

        graph = nx.Graph(cluster_id=cluster_id)
        for account_id in accounts.get_column("account_id").sort().to_list():
            graph.add_node(f"account:{account_id}", kind="account", account_id=account_id)
        for row in edges.sort("value", "account").iter_rows(named=True):
            node = f"{row['signal_type']}:{row['signal_value']}"
            if node not in graph:
                graph.add_node(
                    node,
                    kind="signal",
                    signal_type=row["signal_type"],
                    signal_value=row["signal_value"],
                    rarity=float(row["rarity"]),
                    weight=float(row["weight"]),
                    accounts_total=int(row["degree"]),
                    accounts_in_cluster=int(row["accounts_in_cluster"]),
                )
            graph.add_edge(f"account:{row['account_id']}", node, n_events=int(row["n_events"]))
        return graph

    def links(self) -> pl.DataFrame:
        """Which member uses which evidence value.

        Columns ``cluster_id, account_id, signal_type, signal_value, n_events``: the edges of
        each cluster's account–signal graph, restricted to the values listed in ``evidence``.
        """
        table = self._run.table
        accounts = table.accounts.select("account", "account_id").join(
            self.members.select("account_id", "cluster_id"), on="account_id"
        )
        return cluster_links(table.edges, accounts, table.values, self.evidence)

    # -- output ---------------------------------------------------------------------------
    def write(
        self,
        path: str | Path,
        format: str = "csv",
        *,
        overwrite: bool = False,
        safe: bool = True,
        pseudonymize_key: bytes | None = None,
    ) -> Path:
        """Write every output file into the directory ``path``, atomically.

        ``format`` is ``"csv"`` (formula-like cells neutralised unless ``safe=False``) or
        ``"parquet"``. ``summary.json`` is always JSON. With ``pseudonymize_key``, account ids,
        org ids and signal values are replaced by keyed HMAC-SHA256 pseudonyms.

        Examples
        --------
        >>> import tempfile, sybilgraph
        >>> events = pl.DataFrame({"account_id": ["a", "b"], "device_id": ["d", "e"]})
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     out = sybilgraph.analyze(events).write(f"{tmp}/run", format="parquet")
        ...     sorted(p.suffix for p in out.iterdir())
        ['.html', '.json', '.parquet', '.parquet', '.parquet', '.parquet', '.parquet']
        """
        if format not in _FORMATS:
            raise SettingsError(f"The 'format' option must be one of {_FORMATS}. Got {format!r}.")
        target = Path(path)
        tables = {
            "clusters": self.clusters,
            "members": self.members,
            "evidence": self.evidence,
            "links": self.links(),
            "rejects": self.rejects,
        }
        summary = dict(self.summary)
        if pseudonymize_key is not None:
            tables = {k: pseudonymize_frame(v, pseudonymize_key) for k, v in tables.items()}
            summary["pseudonymized"] = True
        with atomic_directory(target, overwrite=overwrite) as tmp:
            for name, frame in tables.items():
                write_table(frame, tmp, name, format, safe=safe)
            (tmp / "summary.json").write_text(
                json.dumps(summary, indent=2, sort_keys=False, default=str) + "\n"
            )
            write_report(tmp, name=target.name)
        return target

    # -- display ----------------------------------------------------------------------------
    def __repr__(self) -> str:
        counts = self.summary.get("counts", {})
        return (
            f"<Analysis: {counts.get('clusters', 0)} clusters "
            f"({counts.get('flagged_clusters', 0)} flagged, "
            f"{counts.get('flagged_accounts', 0)} accounts) among "
            f"{counts.get('accounts', 0)} accounts; see .clusters, .members, .evidence, "
            f".cluster(id), .cluster_graph(id), .write(path)>"
        )

    def _repr_html_(self) -> str:
        top = self.clusters.head(10).select(
            "rank", "cluster_id", "score", "flagged", "n_accounts", "summary"
        )
        head = "".join(f"<th>{html.escape(c)}</th>" for c in top.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
            for row in top.iter_rows()
        )
        return (
            f"<p>{html.escape(repr(self))}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
