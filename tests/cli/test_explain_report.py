"""``sybilgraph explain`` and ``sybilgraph report`` through click's CliRunner."""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import polars as pl
import pytest
from click.testing import CliRunner, Result

import sybilgraph
from sybilgraph.cli.explain import command as explain
from sybilgraph.cli.report import command as report
from sybilgraph.errors import InputError

ESCAPE_ID = "ring\x1b]0;retitled\x07-003"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def analysis(population: tuple[pl.DataFrame, pl.DataFrame]) -> sybilgraph.Analysis:
    events, accounts = population
    rename = pl.col("account_id").replace({"ring-003": ESCAPE_ID, "ring-001": SCRIPT})
    card = (
        pl.when(pl.col("payment_fingerprint") == "prepaid-0")
        .then(pl.lit("card\x00\x1b[2J"))
        .otherwise(pl.col("payment_fingerprint"))
        .alias("payment_fingerprint")
    )
    return sybilgraph.analyze(events.with_columns(rename), accounts.with_columns(rename, card))


def _write(analysis: sybilgraph.Analysis, path: Path, fmt: str, *, links: bool) -> Path:
    analysis.write(path, fmt, overwrite=True)
    if not links:
        # An output directory from before the links table existed.
        (path / f"links.{fmt}").unlink()
    return path


@pytest.fixture(scope="module")
def out(analysis: sybilgraph.Analysis, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(analysis, tmp_path_factory.mktemp("run") / "out", "csv", links=True)


def _invoke(command: object, *args: str | Path) -> Result:
    return CliRunner().invoke(command, [str(a) for a in args])  # type: ignore[arg-type]


@pytest.mark.parametrize("command", [explain, report])
def test_help_has_an_example(command: object) -> None:
    result = _invoke(command, "--help")
    assert result.exit_code == 0
    assert "\n  Example:\n" in result.output
    name = "explain out C0001" if command is explain else "report out"
    assert f"sybilgraph {name}" in result.output


def test_explain_prints_summary_evidence_members_timeline(
    out: Path, analysis: sybilgraph.Analysis
) -> None:
    result = _invoke(explain, out, "C0001", "--members", "4", "--evidence", "3")
    assert result.exit_code == 0, result.output
    text = result.stdout
    info = analysis.clusters.row(0, named=True)
    assert text.startswith("Cluster C0001 · rank 1 of 1 · score ")
    assert info["summary"] in text
    assert "Evidence (3 of " in text
    assert "Members (4 of 30, highest member score first)" in text
    # The ring's one sign-up day: 30 created, 30 first active.
    assert re.search(r"\n  2025-05-01 +30 #+ +30 \++\n", text)
    members_block = text.split("Members")[1].split("Timeline")[0]
    assert len(members_block.strip().splitlines()) == 1 + 1 + 4  # title, header, 4 rows


def test_explain_output_cannot_drive_the_terminal(out: Path) -> None:
    result = _invoke(explain, out, "C0001", "--members", "40")
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    assert "ring\\x1b]0;retitled\\x07-003" in result.stdout
    assert SCRIPT in result.stdout  # plain text on a terminal, shown as is


def test_unknown_cluster_names_valid_ids(out: Path) -> None:
    result = _invoke(explain, out, "C9999")
    assert result.exit_code == 1
    assert isinstance(result.exception, InputError)
    message = str(result.exception)
    assert "no cluster 'C9999'" in message
    assert "C0001" in message
    assert "\n" not in message


def test_not_an_output_directory(tmp_path: Path) -> None:
    for command, args in ((explain, (tmp_path, "C0001")), (report, (tmp_path,))):
        result = _invoke(command, *args)
        assert result.exit_code == 1
        assert isinstance(result.exception, InputError)
        assert "not a 'sybilgraph analyze' output directory" in str(result.exception)


def test_graph_exports_load_back(out: Path, analysis: sybilgraph.Analysis, tmp_path: Path) -> None:
    graphml, gexf = tmp_path / "c.graphml", tmp_path / "c.gexf"
    result = _invoke(explain, out, "C0001", "--graphml", graphml, "--gexf", gexf)
    assert result.exit_code == 0, result.output
    assert "Wrote " in result.stderr
    assert "no links table" not in result.stderr

    members = analysis.members.get_column("account_id").to_list()
    evidence = analysis.evidence.filter(pl.col("cluster_id") == "C0001")
    # The live graph of the run is the reference: every member and evidence value, and an edge
    # wherever a member uses an evidence value.
    live = analysis.cluster_graph("C0001")
    shown = set(evidence.select("signal_type", "signal_value").iter_rows())
    wanted = set()
    for u, w in live.edges:
        account, value = (u, w) if live.nodes[u]["kind"] == "account" else (w, u)
        attrs = live.nodes[value]
        if (attrs["signal_type"], attrs["signal_value"]) in shown:
            wanted.add((account, value))
    assert wanted
    for graph in (nx.read_graphml(graphml), nx.read_gexf(gexf)):
        accounts = {n for n, d in graph.nodes(data=True) if d["kind"] == "account"}
        values = {n for n, d in graph.nodes(data=True) if d["kind"] == "signal"}
        assert len(accounts) == len(members) == 30
        assert len(values) == evidence.height
        assert {_xml(f"account:{a}") for a in members} == accounts
        edges = {(u, w) if u in accounts else (w, u) for u, w in graph.edges}
        assert edges == {(_xml(a), _xml(v)) for a, v in wanted}
        card = next(
            d for n, d in graph.nodes(data=True) if d.get("value") == _xml("card\x00\x1b[2J")
        )
        assert card["type"] == "payment_fingerprint"
        assert card["accounts_in_cluster"] == 6
        assert card["accounts_total"] == 6
        assert float(card["share"]) == 1.0
        assert float(card["weight"]) > 0


def _xml(text: str) -> str:
    """The test's control characters as the graph files spell them (XML 1.0 cannot hold them)."""
    for char in ("\x00", "\x07", "\x1b"):
        text = text.replace(char, f"\\x{ord(char):02x}")
    return text


def test_graph_without_links_connects_only_values_every_member_uses(
    analysis: sybilgraph.Analysis, tmp_path: Path
) -> None:
    out = _write(analysis, tmp_path / "out", "parquet", links=False)
    graphml = tmp_path / "c.graphml"
    result = _invoke(explain, out, "C0001", "--graphml", graphml)
    assert result.exit_code == 0, result.output
    assert "no links table" in result.stderr
    graph = nx.read_graphml(graphml)
    everyone = analysis.evidence.filter(
        (pl.col("cluster_id") == "C0001") & (pl.col("accounts_in_cluster") == 30)
    ).height
    assert everyone > 0
    assert graph.number_of_edges() == 30 * everyone
    assert graph.graph["edges_complete"] is False


def test_explain_reads_parquet_like_csv(
    out: Path, analysis: sybilgraph.Analysis, tmp_path: Path
) -> None:
    pq = _write(analysis, tmp_path / "pq", "parquet", links=True)
    from_csv = _invoke(explain, out, "C0001", "--members", "30").stdout
    from_parquet = _invoke(explain, pq, "C0001", "--members", "30").stdout
    assert from_csv == from_parquet


def test_report_command(out: Path, tmp_path: Path) -> None:
    dest = tmp_path / "share" / "case.html"
    result = _invoke(report, out, "-o", dest, "--top", "1")
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"Wrote {dest}"
    page = dest.read_text()
    assert 'id="cluster-1"' in page
    assert "&lt;script&gt;" in page
    assert "<script" not in page
    quiet = _invoke(report, out, "--quiet")
    assert quiet.exit_code == 0
    assert quiet.output == ""
    assert (out / "report.html").is_file()
