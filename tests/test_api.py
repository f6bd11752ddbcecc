"""The Python API, driven the way the exploration notebook drives it.

Files are written to Parquet, read back with the public readers, analysed with a seed, and every
object the notebook touches is checked for its type and columns: the result frames, one
cluster's view, its networkx graph, the written outputs, the HTML and text displays, settings
from a dict or a TOML file, and the evaluation against a truth table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import polars as pl
import pytest

import sybilgraph
from sybilgraph.evaluation import evaluate_frames

SEED = 7
CLUSTER_COLUMNS = [
    "rank",
    "cluster_id",
    "score",
    "flagged",
    "n_accounts",
    "n_events",
    "first_seen",
    "last_seen",
    "signal_types",
    "summary",
]
MEMBER_COLUMNS = [
    "account_id",
    "cluster_id",
    "cluster_rank",
    "member_score",
    "n_events",
    "first_seen",
    "last_seen",
]
EVIDENCE_COLUMNS = [
    "cluster_id",
    "signal_type",
    "signal_value",
    "accounts_in_cluster",
    "accounts_total",
    "share",
]
TABLES = ("clusters", "members", "evidence", "rejects")


def _second_ring(
    events: pl.DataFrame, accounts: pl.DataFrame, prefix: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A copy of the fixture's ring on values of its own, created three days later."""

    def own(column: str) -> pl.Expr:
        return (pl.lit(prefix) + pl.col(column)).alias(column)

    ring = pl.col("account_id").str.starts_with("ring-")
    copy_events = events.filter(ring).with_columns(
        own("account_id"),
        own("prompt_fingerprint"),
        own("user_agent"),
        pl.col("ip").str.replace(r"^45\.", "46."),
    )
    copy_accounts = accounts.filter(ring).with_columns(
        own("account_id"),
        own("payment_fingerprint"),
        pl.col("created_at") + pl.duration(days=3),
    )
    return copy_events, copy_accounts


@dataclass(frozen=True)
class Run:
    data: Path
    events: sybilgraph.Loaded
    accounts: sybilgraph.Loaded
    truth: pl.DataFrame
    result: sybilgraph.Analysis


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory, population: tuple[pl.DataFrame, pl.DataFrame]
) -> Run:
    data = tmp_path_factory.mktemp("sample_data")
    events, accounts = population
    more_events, more_accounts = _second_ring(events, accounts, "b-")
    events = pl.concat([events, more_events])
    accounts = pl.concat([accounts, more_accounts])
    events.write_parquet(data / "events.parquet")
    accounts.write_parquet(data / "accounts.parquet")
    ids = accounts.get_column("account_id")
    operation = (
        pl.when(ids.str.starts_with("ring-"))
        .then(pl.lit("op-a"))
        .when(ids.str.starts_with("b-ring-"))
        .then(pl.lit("op-b"))
    )
    truth = pl.DataFrame({"account_id": ids}).with_columns(
        operation.alias("operation_id"),
        pl.when(operation.is_null())
        .then(pl.lit("benign"))
        .otherwise(pl.lit("proxy"))
        .alias("kind"),
    )
    truth.write_csv(data / "truth.csv")

    loaded_events = sybilgraph.read_events(data / "events.parquet")
    loaded_accounts = sybilgraph.read_accounts(data / "accounts.parquet")
    result = sybilgraph.analyze(loaded_events, loaded_accounts, settings={"seed": SEED})
    return Run(data, loaded_events, loaded_accounts, truth, result)


# -- loading -------------------------------------------------------------------------------------


def test_readers_return_lazy_frames_and_counts(run: Run) -> None:
    assert isinstance(run.events, sybilgraph.Loaded)
    assert isinstance(run.events.frame, pl.LazyFrame)
    assert run.events.kind == "events"
    assert run.accounts.kind == "accounts"
    written = pl.scan_parquet(run.data / "events.parquet").select(pl.len()).collect().item()
    assert run.events.n_rows == run.events.n_valid == written
    assert run.events.frame.select(pl.len()).collect().item() == written
    assert run.accounts.n_rows == 600 + 30 + 30
    assert run.events.n_rejected == 0
    assert run.events.rejects.columns == ["source", "row", "reason", "column"]
    assert set(run.events.signal_columns) == {"ip", "prompt_fingerprint", "user_agent"}
    assert "payment_fingerprint" in run.accounts.signal_columns


# -- the result frames ---------------------------------------------------------------------------


def test_result_frames_have_the_contract_columns(run: Run) -> None:
    result = run.result
    assert isinstance(result, sybilgraph.Analysis)
    for name in TABLES:
        assert isinstance(getattr(result, name), pl.DataFrame), name
    assert result.clusters.columns[: len(CLUSTER_COLUMNS)] == CLUSTER_COLUMNS
    assert result.members.columns[: len(MEMBER_COLUMNS)] == MEMBER_COLUMNS
    assert result.evidence.columns[: len(EVIDENCE_COLUMNS)] == EVIDENCE_COLUMNS
    assert result.rejects.columns[:3] == ["source", "row", "reason"]
    schema = result.clusters.schema
    assert schema["rank"] == pl.Int64
    assert schema["cluster_id"] == pl.String
    assert schema["score"] == pl.Float64
    assert schema["flagged"] == pl.Boolean
    assert isinstance(schema["first_seen"], pl.Datetime)


def test_clusters_are_ranked_most_suspicious_first(run: Run) -> None:
    clusters = run.result.clusters
    assert clusters.height >= 2
    assert clusters["rank"].to_list() == list(range(1, clusters.height + 1))
    scores = clusters["score"].to_list()
    assert scores == sorted(scores, reverse=True)
    assert run.result.members["account_id"].is_unique().all()
    sizes = run.result.members.group_by("cluster_id").len()
    joined = clusters.join(sizes, on="cluster_id")
    assert (joined["n_accounts"] == joined["len"]).all()


def test_summary_is_the_manifest(run: Run) -> None:
    summary = run.result.summary
    assert isinstance(summary, dict)
    assert summary["settings"]["seed"] == SEED
    assert summary["version"] == sybilgraph.__version__
    assert summary["counts"]["clusters"] == run.result.clusters.height
    json.dumps(summary, default=str)


# -- one cluster ---------------------------------------------------------------------------------


def test_cluster_view_holds_one_cluster(run: Run) -> None:
    top_id = run.result.clusters.item(0, "cluster_id")
    view = run.result.cluster(top_id)
    assert isinstance(view, sybilgraph.ClusterView)
    assert view.cluster_id == top_id
    assert view.info["rank"] == 1
    assert set(CLUSTER_COLUMNS) <= set(view.info)
    for frame in (view.evidence, view.members):
        assert isinstance(frame, pl.DataFrame)
        assert frame.height > 0
        assert set(frame["cluster_id"]) == {top_id}
    assert view.members.height == view.info["n_accounts"]
    assert view.timeline.columns == ["day", "accounts_created", "accounts_first_seen"]
    assert view.timeline.schema["day"] == pl.Date
    assert view.timeline["day"].is_sorted()
    assert view.timeline["accounts_first_seen"].sum() == view.members.height
    assert top_id in repr(view)


def test_unknown_cluster_names_the_known_ones(run: Run) -> None:
    with pytest.raises(sybilgraph.InputError, match=r"no cluster 'C9999'.*C0001"):
        run.result.cluster("C9999")
    with pytest.raises(sybilgraph.InputError):
        run.result.cluster_graph("C9999")


def test_cluster_graph_joins_members_to_shared_values(run: Run) -> None:
    top_id = run.result.clusters.item(0, "cluster_id")
    graph = run.result.cluster_graph(top_id)
    assert isinstance(graph, nx.Graph)
    assert graph.graph["cluster_id"] == top_id
    kinds = nx.get_node_attributes(graph, "kind")
    assert set(kinds.values()) == {"account", "signal"}
    accounts = {graph.nodes[n]["account_id"] for n, k in kinds.items() if k == "account"}
    members = run.result.cluster(top_id).members
    assert accounts == set(members["account_id"])
    for node, data in graph.nodes(data=True):
        if data["kind"] != "signal":
            continue
        assert node == f"{data['signal_type']}:{data['signal_value']}"
        assert isinstance(data["rarity"], float)
        assert isinstance(data["weight"], float)
        assert data["accounts_in_cluster"] == graph.degree(node) >= 2
        assert data["accounts_total"] >= data["accounts_in_cluster"]
    for a, b, data in graph.edges(data=True):
        assert {kinds[a], kinds[b]} == {"account", "signal"}
        assert isinstance(data["n_events"], int)
        assert data["n_events"] >= 1
    # Every shared value the evidence lists for the cluster is in its graph.
    evidence = run.result.cluster(top_id).evidence
    listed = {f"{t}:{v}" for t, v in evidence.select("signal_type", "signal_value").iter_rows()}
    assert listed <= set(graph.nodes)


def test_cluster_graph_exports_for_gephi(run: Run, tmp_path: Path) -> None:
    graph = run.result.cluster_graph(run.result.clusters.item(0, "cluster_id"))
    nx.write_graphml(graph, tmp_path / "c.graphml")
    nx.write_gexf(graph, tmp_path / "c.gexf")
    back = nx.read_graphml(tmp_path / "c.graphml")
    assert back.number_of_nodes() == graph.number_of_nodes()
    assert back.number_of_edges() == graph.number_of_edges()
    assert nx.read_gexf(tmp_path / "c.gexf").number_of_nodes() == graph.number_of_nodes()


# -- writing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_produces_every_table(run: Run, tmp_path: Path, fmt: str) -> None:
    out = run.result.write(tmp_path / "run", format=fmt)
    assert out == tmp_path / "run"
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [*(f"{t}.{fmt}" for t in (*TABLES, "links")), "summary.json", "report.html"]
    )
    for table in TABLES:
        path = out / f"{table}.{fmt}"
        written = pl.read_parquet(path) if fmt == "parquet" else pl.read_csv(path)
        expected = getattr(run.result, table)
        assert written.columns == expected.columns
        assert written.height == expected.height
    if fmt == "parquet":
        assert pl.read_parquet(out / "clusters.parquet").equals(run.result.clusters)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["seed"] == SEED


def test_write_refuses_an_unknown_format_and_an_existing_directory(
    run: Run, tmp_path: Path
) -> None:
    with pytest.raises(sybilgraph.SettingsError, match="'format'"):
        run.result.write(tmp_path / "x", format="xlsx")
    run.result.write(tmp_path / "y")
    with pytest.raises(sybilgraph.SybilgraphError):
        run.result.write(tmp_path / "y")
    run.result.write(tmp_path / "y", overwrite=True)


# -- display -------------------------------------------------------------------------------------


def test_repr_says_what_is_inside(run: Run) -> None:
    text = repr(run.result)
    n = run.result.clusters.height
    assert f"{n} clusters" in text
    assert ".cluster_graph(id)" in text


def test_repr_html_is_a_table_of_the_top_clusters(run: Run) -> None:
    page = run.result._repr_html_()
    assert "<table>" in page
    assert page.count("<tr>") == min(10, run.result.clusters.height) + 1
    assert run.result.clusters.item(0, "cluster_id") in page


# -- settings ------------------------------------------------------------------------------------


def test_settings_from_dict_and_toml_give_the_same_run(run: Run, tmp_path: Path) -> None:
    settings = sybilgraph.Settings.from_dict({"seed": SEED})
    path = tmp_path / "settings.toml"
    path.write_text(settings.to_toml())
    assert sybilgraph.Settings.from_toml(path) == settings
    by_toml = sybilgraph.analyze(run.events, run.accounts, settings=path)
    by_object = sybilgraph.analyze(run.events, run.accounts, settings=settings)
    for frame in (by_toml.clusters, by_object.clusters):
        assert frame.equals(run.result.clusters)


def test_unknown_setting_is_a_settings_error(run: Run) -> None:
    with pytest.raises(sybilgraph.SettingsError, match="Unknown setting"):
        sybilgraph.analyze(run.events, settings={"sead": 1})


# -- evaluation ----------------------------------------------------------------------------------


def test_evaluation_in_memory_matches_the_written_run(run: Run, tmp_path: Path) -> None:
    truth = sybilgraph.read_truth(run.data / "truth.csv")
    in_memory = evaluate_frames(run.result.clusters, run.result.members, truth)
    on_disk = sybilgraph.evaluate(run.result.write(tmp_path / "run"), run.data / "truth.csv")
    assert isinstance(on_disk, sybilgraph.Evaluation)
    assert in_memory.flagged == on_disk.flagged
    assert in_memory.ari == on_disk.ari
    assert in_memory.operations.equals(on_disk.operations)
    assert set(in_memory.operations["operation_id"]) == {"op-a", "op-b"}
    assert in_memory.flagged.recall == 1.0
    assert in_memory.flagged.precision == 1.0
    assert "Checks" in on_disk.to_table()
