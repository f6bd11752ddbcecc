"""Tests of the scoring of a run against the truth (sybilgraph.evaluate, sybilgraph evaluate).

The runs are written by hand: every expected number below is worked out in the comments from
the small population of ``_write_scenario``.
"""

from __future__ import annotations

import doctest
import importlib
import json
import math
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sybilgraph.errors import InputError
from sybilgraph.evaluation import AccountMetrics, adjusted_rand_index, evaluate

# -- building runs by hand ----------------------------------------------------------------------

# (cluster_id, rank, flagged, member account ids)
Cluster = tuple[str, int, bool, Sequence[str]]

#: The scenario used throughout:
#:   opA = a1..a6 (distill), opB = b1..b4 (reseller), opC = c1, c2 (regrowth)
#:   benign: n1, n2 corporate_nat; n3 vpn; n4, n5, n6 with an empty kind (benign)
#:   x1 is a member the truth does not list.
SCENARIO_CLUSTERS: list[Cluster] = [
    ("C0001", 1, True, ["a1", "a2", "a3", "a4", "n1"]),
    ("C0002", 2, True, ["a5", "b1", "b2", "b3"]),
    ("C0003", 3, False, ["n2", "n3", "c1"]),
    ("C0004", 4, True, ["n4", "x1"]),
]
SCENARIO_TRUTH: list[tuple[str, str, str]] = [
    *((f"a{i}", "opA", "distill") for i in range(1, 7)),
    *((f"b{i}", "opB", "reseller") for i in range(1, 5)),
    ("c1", "opC", "regrowth"),
    ("c2", "opC", "regrowth"),
    ("n1", "", "corporate_nat"),
    ("n2", "", "corporate_nat"),
    ("n3", "", "vpn"),
    ("n4", "", ""),
    ("n5", "", ""),
    ("n6", "", ""),
]


def _write_run(out: Path, clusters: Sequence[Cluster], fmt: str = "csv") -> Path:
    """Write clusters and members the way ``sybilgraph analyze`` does (extra columns included)."""
    out.mkdir(parents=True, exist_ok=True)
    cluster_frame = pl.DataFrame(
        {
            "rank": [c[1] for c in clusters],
            "cluster_id": [c[0] for c in clusters],
            "score": [1.0 - 0.1 * c[1] for c in clusters],
            "flagged": [c[2] for c in clusters],
            "n_accounts": [len(c[3]) for c in clusters],
            "summary": ["shared card" for _ in clusters],
        },
        schema_overrides={"rank": pl.Int64, "cluster_id": pl.String, "flagged": pl.Boolean},
    )
    member_frame = pl.DataFrame(
        {
            "account_id": [a for c in clusters for a in c[3]],
            "cluster_id": [c[0] for c in clusters for _ in c[3]],
            "cluster_rank": [c[1] for c in clusters for _ in c[3]],
            "member_score": [0.5 for c in clusters for _ in c[3]],
        },
        schema_overrides={"account_id": pl.String, "cluster_id": pl.String},
    )
    if fmt == "parquet":
        cluster_frame.write_parquet(out / "clusters.parquet")
        member_frame.write_parquet(out / "members.parquet")
    else:
        # analyze writes booleans as lower-case words
        cluster_frame.with_columns(pl.col("flagged").cast(pl.String).str.to_lowercase()).write_csv(
            out / "clusters.csv"
        )
        member_frame.write_csv(out / "members.csv")
    return out


def _write_truth(path: Path, rows: Sequence[tuple[str, str, str]]) -> Path:
    lines = ["account_id,operation_id,kind", *(",".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def scenario(tmp_path: Path) -> tuple[Path, Path]:
    out = _write_run(tmp_path / "out", SCENARIO_CLUSTERS)
    truth = _write_truth(tmp_path / "truth.csv", SCENARIO_TRUTH)
    return out, truth


# -- metrics against hand-computed values -------------------------------------------------------


def test_account_level_metrics(scenario: tuple[Path, Path]) -> None:
    ev = evaluate(*scenario)
    # flagged = C0001 (5) + C0002 (4) + C0004 (2) = 11 accounts; from operations: a1-a5, b1-b3
    # = 8 of the 12 operation accounts.
    assert ev.flagged == AccountMetrics(
        n_selected=11,
        n_true_positive=8,
        n_positive=12,
        precision=pytest.approx(8 / 11),
        recall=pytest.approx(8 / 12),
        f1=pytest.approx(16 / 23),
    )
    # every reported cluster adds C0003: 14 members, c1 is a ninth operation account.
    assert ev.reported.n_selected == 14
    assert ev.reported.n_true_positive == 9
    assert ev.reported.precision == pytest.approx(9 / 14)
    assert ev.reported.recall == pytest.approx(0.75)


def test_counts(scenario: tuple[Path, Path]) -> None:
    assert evaluate(*scenario).counts == {
        "n_accounts": 19,
        "n_truth_accounts": 18,
        "n_operation_accounts": 12,
        "n_benign_accounts": 6,
        "n_operations": 3,
        "n_member_accounts": 14,
        "n_flagged_accounts": 11,
        "n_members_not_in_truth": 1,
        "n_reported_clusters": 4,
        "n_flagged_clusters": 3,
        "n_benign_majority_clusters": 2,
        "n_flagged_benign_majority_clusters": 1,
    }


def test_adjusted_rand_index_hand_computed(scenario: tuple[Path, Path]) -> None:
    # n = 19 accounts, C(19, 2) = 171 pairs. Truth groups 6, 4, 2: 15 + 6 + 1 = 22 pairs.
    # Flagged clusters 5, 4, 2 (C0003 is not flagged): 10 + 6 + 1 = 17 pairs. Shared pairs:
    # opA in C0001 (4 accounts) = 6, opB in C0002 (3) = 3, total 9.
    # ARI = 2 (9 * 171 - 22 * 17) / ((22 + 17) * 171 - 2 * 22 * 17) = 2330 / 5921.
    assert evaluate(*scenario).ari == pytest.approx(2330 / 5921, rel=1e-12)


def test_operations_table(scenario: tuple[Path, Path]) -> None:
    ops = evaluate(*scenario).operations
    assert ops.columns == [
        "operation_id",
        "kind",
        "size",
        "n_flagged",
        "recall",
        "n_clusters",
        "main_cluster",
        "main_rank",
        "main_share",
        "best_rank",
        "main_purity",
    ]
    rows = {row["operation_id"]: row for row in ops.to_dicts()}
    assert ops.get_column("operation_id").to_list() == ["opA", "opB", "opC"]
    # opA: 5 of 6 flagged, 4 in C0001 (rank 1, 5 members) and 1 in C0002.
    assert rows["opA"] == {
        "operation_id": "opA",
        "kind": "distill",
        "size": 6,
        "n_flagged": 5,
        "recall": pytest.approx(5 / 6),
        "n_clusters": 2,
        "main_cluster": "C0001",
        "main_rank": 1,
        "main_share": pytest.approx(4 / 5),
        "best_rank": 1,
        "main_purity": pytest.approx(4 / 5),
    }
    # opB: 3 of 4 in C0002 (rank 2), which it shares with one opA account.
    assert rows["opB"] == {
        "operation_id": "opB",
        "kind": "reseller",
        "size": 4,
        "n_flagged": 3,
        "recall": pytest.approx(0.75),
        "n_clusters": 1,
        "main_cluster": "C0002",
        "main_rank": 2,
        "main_share": pytest.approx(1.0),
        "best_rank": 2,
        "main_purity": pytest.approx(0.75),
    }
    # opC: c1 sits in an unflagged cluster, so nothing of it is flagged.
    assert rows["opC"] == {
        "operation_id": "opC",
        "kind": "regrowth",
        "size": 2,
        "n_flagged": 0,
        "recall": 0.0,
        "n_clusters": 0,
        "main_cluster": None,
        "main_rank": None,
        "main_share": None,
        "best_rank": None,
        "main_purity": None,
    }


def test_kinds_table(scenario: tuple[Path, Path]) -> None:
    kinds = evaluate(*scenario).kinds
    # x1 is not in the truth, so it belongs to no kind; empty kinds count as "benign".
    assert kinds.to_dicts() == [
        {"kind": "benign", "n_accounts": 3, "n_flagged": 1, "n_reported": 1, "fpr": 1 / 3},
        {"kind": "corporate_nat", "n_accounts": 2, "n_flagged": 1, "n_reported": 2, "fpr": 0.5},
        {"kind": "vpn", "n_accounts": 1, "n_flagged": 0, "n_reported": 1, "fpr": 0.0},
    ]


def test_ranking_against_benign_majority_clusters(scenario: tuple[Path, Path]) -> None:
    ev = evaluate(*scenario, min_op_size=3)
    # Benign-majority clusters: C0003 (2 of 3 benign, unflagged, rank 3) and C0004 (n4 and the
    # unknown x1, rank 4). Ops of >= 3 accounts: opA main rank 1, opB main rank 2.
    ranking = ev.ranking
    assert ranking.best_benign_majority_rank == 3
    assert ranking.worst_op_main_rank == 2
    assert ranking.n_ops_considered == 2
    assert ranking.ops_rank_above_benign is True
    # Counting opC too: it has no flagged cluster, so operations do not all rank above benign.
    everyone = ev.rank_check(1)
    assert everyone.n_ops_without_flagged_cluster == 1
    assert everyone.ops_rank_above_benign is False
    # With the default size no operation qualifies: nothing to compare, nothing fails.
    default = evaluate(*scenario).ranking
    assert (default.n_ops_considered, default.worst_op_main_rank) == (0, None)
    assert default.ops_rank_above_benign is True


def test_ranking_fails_when_a_benign_cluster_outranks_an_operation(tmp_path: Path) -> None:
    clusters: list[Cluster] = [
        ("C1", 1, True, ["a1", "a2"]),
        ("C2", 2, False, ["n1", "n2", "b1"]),
        ("C3", 3, True, ["b2", "b3"]),
    ]
    truth = [("a1", "opA", ""), ("a2", "opA", ""), ("b1", "opB", ""), ("b2", "opB", "")]
    truth += [("b3", "opB", ""), ("n1", "", ""), ("n2", "", "")]
    ev = evaluate(_write_run(tmp_path / "out", clusters), _write_truth(tmp_path / "t.csv", truth))
    assert ev.rank_check(1).worst_op_main_rank == 3
    assert ev.rank_check(1).best_benign_majority_rank == 2
    assert ev.rank_check(1).ops_rank_above_benign is False
    assert ev.passes(min_op_size=1)["ops_rank_above_benign"] is False
    assert ev.passes(min_op_size=3)["ops_rank_above_benign"] is False
    # opA alone (size 2) outranks C2.
    assert ev.rank_check(2).ops_rank_above_benign is False
    assert ev.passes(min_op_size=4)["ops_rank_above_benign"] is True


def test_main_cluster_ties_go_to_the_better_rank(tmp_path: Path) -> None:
    clusters: list[Cluster] = [
        ("C0009", 1, True, ["a3", "a4"]),
        ("C0001", 2, True, ["a1", "a2"]),
    ]
    truth = [(f"a{i}", "op", "") for i in range(1, 5)]
    ev = evaluate(_write_run(tmp_path / "out", clusters), _write_truth(tmp_path / "t.csv", truth))
    row = ev.operations.row(0, named=True)
    assert (row["main_cluster"], row["main_rank"], row["main_share"]) == ("C0009", 1, 0.5)
    assert (row["n_clusters"], row["best_rank"]) == (2, 1)


def test_checks_with_default_and_boundary_thresholds(scenario: tuple[Path, Path]) -> None:
    ev = evaluate(*scenario)
    assert ev.passes(min_op_size=3) == {
        "op_recall": False,
        "op_main_share": False,
        "precision": False,
        "ops_rank_above_benign": True,
        "lookalike_fpr": False,
        "ari": False,
    }
    # Each threshold set exactly at (or just inside) the measured value passes.
    assert ev.passes(
        min_op_size=3,
        min_recall=0.75,
        min_main_share=0.8,
        min_precision=0.72,
        max_fpr=0.5,
        min_ari=0.39,
    ) == dict.fromkeys(ev.passes(), True)
    # ...and just outside it fails.
    assert not any(
        ev.passes(
            min_op_size=1,
            min_recall=0.76,
            min_main_share=0.81,
            min_precision=0.73,
            max_fpr=0.49,
            min_ari=0.40,
        ).values()
    )


def test_a_clean_run_passes_every_check(tmp_path: Path) -> None:
    ops = [(f"a{i}", "opA", "distill") for i in range(20)]
    ops += [(f"b{i}", "opB", "distill") for i in range(16)]
    benign = [(f"n{i}", "", "vpn" if i % 2 else "") for i in range(2000)]
    clusters: list[Cluster] = [
        ("C0001", 1, True, [a for a, _, _ in ops[:20]]),
        ("C0002", 2, True, [a for a, _, _ in ops[20:]]),
        ("C0003", 3, False, ["n1", "n2", "n3"]),
    ]
    ev = evaluate(
        _write_run(tmp_path / "out", clusters), _write_truth(tmp_path / "t.csv", ops + benign)
    )
    assert ev.ari == 1.0
    assert ev.flagged.precision == ev.flagged.recall == 1.0
    assert all(ev.passes().values())
    assert ev.to_dict()["all_checks_pass"] is True


# -- reading ------------------------------------------------------------------------------------


def test_parquet_run_scores_like_csv(tmp_path: Path, scenario: tuple[Path, Path]) -> None:
    out_csv, truth = scenario
    out_parquet = _write_run(tmp_path / "pq", SCENARIO_CLUSTERS, fmt="parquet")
    from_csv = evaluate(out_csv, truth).to_dict()
    from_parquet = evaluate(out_parquet, truth).to_dict()
    from_csv.pop("out_dir")
    from_parquet.pop("out_dir")
    assert from_parquet == from_csv


def test_ids_are_read_as_strings(tmp_path: Path) -> None:
    # "007" and "7" are different accounts; a reader that infers integers would merge them.
    clusters: list[Cluster] = [("0001", 1, True, ["007", "008"])]
    truth = [("007", "01", ""), ("008", "01", ""), ("7", "", ""), ("8", "", "")]
    ev = evaluate(_write_run(tmp_path / "out", clusters), _write_truth(tmp_path / "t.csv", truth))
    assert ev.flagged.precision == 1.0
    assert ev.counts["n_members_not_in_truth"] == 0
    assert ev.operations.row(0, named=True)["operation_id"] == "01"
    assert ev.operations.row(0, named=True)["main_cluster"] == "0001"


def test_formula_guarded_ids_match_either_way(tmp_path: Path) -> None:
    # CSV exports write ids a spreadsheet would run as formulas with a leading quote.
    out = tmp_path / "out"
    out.mkdir()
    (out / "clusters.csv").write_text("rank,cluster_id,flagged\n1,C1,true\n")
    (out / "members.csv").write_text("account_id,cluster_id\n'-a,C1\n'=b,C1\n'c,C1\n")
    (tmp_path / "t.csv").write_text("account_id,operation_id\n-a,op\n'=b,op\n'c,\n")
    ev = evaluate(out, tmp_path / "t.csv")
    assert ev.counts["n_members_not_in_truth"] == 0
    assert (ev.flagged.n_selected, ev.flagged.n_true_positive) == (3, 2)


def test_flag_words_and_truth_without_kind(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "clusters.csv").write_text("rank,cluster_id,flagged\n1,C1,True\n2,C2,FALSE\n")
    (out / "members.csv").write_text("account_id,cluster_id\na,C1\nb,C2\n")
    (tmp_path / "t.csv").write_text("account_id,operation_id\na,op\nb,\nc,\n")
    ev = evaluate(out, tmp_path / "t.csv")
    assert ev.counts["n_flagged_accounts"] == 1
    assert ev.kinds.to_dicts() == [
        {"kind": "benign", "n_accounts": 2, "n_flagged": 0, "n_reported": 1, "fpr": 0.0}
    ]


def test_no_reported_cluster(tmp_path: Path) -> None:
    ev = evaluate(
        _write_run(tmp_path / "out", []),
        _write_truth(tmp_path / "t.csv", [("a", "op", ""), ("a2", "op", ""), ("b", "", "")]),
    )
    assert ev.flagged.precision is None
    assert ev.flagged.recall == 0.0
    assert ev.ari == 0.0
    assert ev.passes(min_op_size=1)["precision"] is False
    assert "no account flagged" in ev.to_table()


def _bad_run(tmp_path: Path, clusters: str, members: str, truth: str) -> tuple[Path, Path]:
    out = tmp_path / "out"
    out.mkdir()
    if clusters:
        (out / "clusters.csv").write_text(clusters)
    if members:
        (out / "members.csv").write_text(members)
    (tmp_path / "truth.csv").write_text(truth)
    return out, tmp_path / "truth.csv"


GOOD_CLUSTERS = "rank,cluster_id,flagged\n1,C1,true\n"
GOOD_MEMBERS = "account_id,cluster_id\na,C1\n"
GOOD_TRUTH = "account_id,operation_id,kind\na,op,\n"


@pytest.mark.parametrize(
    ("clusters", "members", "truth", "expected"),
    [
        ("", GOOD_MEMBERS, GOOD_TRUTH, r"no clusters\.csv or clusters\.parquet"),
        (GOOD_CLUSTERS, "", GOOD_TRUTH, r"no members\.csv or members\.parquet"),
        (
            "cluster_id,score\nC1,0.9\n",
            GOOD_MEMBERS,
            GOOD_TRUTH,
            r"clusters\.csv: missing column\(s\) 'rank', 'flagged'; found 'cluster_id', 'score'",
        ),
        (
            "rank,cluster_id,flagged\n1,C1,true\nfirst,C2,false\n",
            GOOD_MEMBERS,
            GOOD_TRUTH,
            r"clusters\.csv: column 'rank' must hold whole numbers; found 'first' at line 3",
        ),
        (
            "rank,cluster_id,flagged\n1,C1,maybe\n",
            GOOD_MEMBERS,
            GOOD_TRUTH,
            r"column 'flagged' must be true or false; found 'maybe' at line 2",
        ),
        (
            "rank,cluster_id,flagged\n1,C1,true\n2,C1,true\n",
            GOOD_MEMBERS,
            GOOD_TRUTH,
            r"clusters\.csv: cluster_id 'C1' and others appear more than once \(lines 2, 3\)",
        ),
        (
            GOOD_CLUSTERS,
            "account_id,cluster_id\na,C1\n,C1\nb,\n",
            GOOD_TRUTH,
            r"members\.csv: column 'account_id' is empty at line 3; "
            r"column 'cluster_id' is empty at line 4",
        ),
        (
            GOOD_CLUSTERS,
            "account_id,cluster_id\na,C1\na,C1\n",
            GOOD_TRUTH,
            r"account_id 'a' .* at most one cluster",
        ),
        (
            GOOD_CLUSTERS,
            "account_id,cluster_id\na,C1\nb,C7\n",
            GOOD_TRUTH,
            r"members\.csv: cluster_id 'C7' at line 3 is not in .*clusters\.csv",
        ),
        (
            GOOD_CLUSTERS,
            GOOD_MEMBERS,
            "account_id,kind\na,x\n",
            r"truth\.csv: .*'operation_id'",
        ),
        (
            GOOD_CLUSTERS,
            GOOD_MEMBERS,
            "account_id,operation_id\na,op\na,\n",
            r"truth\.csv: .*'a'",
        ),
        (GOOD_CLUSTERS, GOOD_MEMBERS, "", r"truth\.csv: the truth lists no accounts"),
    ],
)
def test_invalid_inputs_name_file_row_and_column(
    tmp_path: Path, clusters: str, members: str, truth: str, expected: str
) -> None:
    with pytest.raises(InputError, match=expected):
        evaluate(*_bad_run(tmp_path, clusters, members, truth))


def test_missing_paths(tmp_path: Path, scenario: tuple[Path, Path]) -> None:
    out, truth = scenario
    with pytest.raises(InputError, match="no such directory"):
        evaluate(tmp_path / "nowhere", truth)
    with pytest.raises(InputError, match=r"nope\.csv: no such file"):
        evaluate(out, tmp_path / "nope.csv")


# -- adjusted Rand index against brute-force pair counting --------------------------------------


def _brute_force_ari(truth: Sequence[int | None], predicted: Sequence[int | None]) -> float:
    """ARI from the four pair counts, looping over every pair (None = own singleton)."""
    same_both = same_truth_only = same_pred_only = different_both = 0
    for i, j in combinations(range(len(truth)), 2):
        same_t = truth[i] is not None and truth[i] == truth[j]
        same_p = predicted[i] is not None and predicted[i] == predicted[j]
        if same_t and same_p:
            same_both += 1
        elif same_t:
            same_truth_only += 1
        elif same_p:
            same_pred_only += 1
        else:
            different_both += 1
    if same_truth_only == 0 and same_pred_only == 0:
        return 1.0
    numerator = 2 * (same_both * different_both - same_truth_only * same_pred_only)
    denominator = (same_both + same_truth_only) * (same_truth_only + different_both) + (
        same_both + same_pred_only
    ) * (same_pred_only + different_both)
    return numerator / denominator


@st.composite
def _labelings(draw: st.DrawFn) -> tuple[list[int | None], list[int | None]]:
    n = draw(st.integers(min_value=0, max_value=40))
    labels = st.one_of(st.none(), st.integers(min_value=0, max_value=5))
    truth = draw(st.lists(labels, min_size=n, max_size=n))
    predicted = draw(st.lists(labels, min_size=n, max_size=n))
    return truth, predicted


@settings(max_examples=200, deadline=None)
@given(_labelings())
def test_ari_matches_brute_force(labelings: tuple[list[int | None], list[int | None]]) -> None:
    truth, predicted = labelings
    frame = pl.DataFrame({"t": truth, "p": predicted}, schema={"t": pl.Int64, "p": pl.Int64})
    got = adjusted_rand_index(frame, "t", "p")
    assert got == pytest.approx(_brute_force_ari(truth, predicted), abs=1e-12)
    assert got == pytest.approx(adjusted_rand_index(frame, "p", "t"), abs=1e-12)
    assert adjusted_rand_index(frame, "t", "t") == 1.0


def test_ari_stays_exact_at_two_million_accounts() -> None:
    # Sums of pairs reach ~1e12 and their products ~1e24: beyond int64 and float exactness.
    n = 2_000_000
    frame = pl.DataFrame({"i": pl.int_range(n, eager=True)}).select(
        t=pl.when(pl.col("i") < 25_000).then(pl.col("i") // 5_000),
        p=pl.when(pl.col("i") < 24_000).then(pl.col("i") // 6_000),
    )
    # Brute force over the 25,000 labelled rows plus the count of unlabelled rows.
    a = 5 * math.comb(5_000, 2)
    b = 4 * math.comb(6_000, 2)
    shared = [
        min(5_000 * (k + 1), 6_000 * (j + 1)) - max(5_000 * k, 6_000 * j)
        for k in range(5)
        for j in range(4)
    ]
    index = sum(math.comb(s, 2) for s in shared if s > 1)
    total = math.comb(n, 2)
    expected = 2 * (index * total - a * b) / ((a + b) * total - 2 * a * b)
    assert adjusted_rand_index(frame, "t", "p") == pytest.approx(expected, rel=1e-12)


# -- output -------------------------------------------------------------------------------------


def test_to_dict_is_json_and_deterministic(scenario: tuple[Path, Path]) -> None:
    first = evaluate(*scenario).to_dict()
    assert json.loads(json.dumps(first)) == first
    assert evaluate(*scenario).to_dict() == first
    assert first["checks"]["precision"]["pass"] is False
    assert first["operations"][0]["operation_id"] == "opA"


def test_table_sections_and_alignment(scenario: tuple[Path, Path]) -> None:
    table = evaluate(*scenario, min_op_size=3).to_table()
    for heading in ("Operations", "Benign and look-alike kinds", "Checks (1 of 6 pass)"):
        assert heading in table.splitlines()
    assert "adjusted Rand index (flagged clusters vs operations): 0.3935" in table
    lines = table.splitlines()
    header = lines.index("Operations") + 1
    op_lines = lines[header : header + 4]
    # Right-aligned numeric columns: every row of the table has the same width up to 'size'.
    size_end = op_lines[0].index("size") + len("size")
    assert {line[size_end - 1] for line in op_lines[1:]} == {"6", "4", "2"}
    assert "FAIL  precision" in table
    assert "PASS  ops_rank_above_benign" in table


def test_docstring_examples() -> None:
    # The package re-exports the function under the module's name, so fetch the module itself.
    result = doctest.testmod(importlib.import_module("sybilgraph.evaluation"))
    assert result.attempted > 0
    assert result.failed == 0


# -- command line -------------------------------------------------------------------------------


def _cli_invoke(args: list[str]) -> tuple[int, str, str]:
    from sybilgraph.cli import cli

    result = CliRunner().invoke(cli, ["evaluate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_prints_the_table(scenario: tuple[Path, Path]) -> None:
    out, truth = scenario
    code, stdout, _ = _cli_invoke([str(out), "--truth", str(truth), "--min-op-size", "3"])
    assert code == 0  # a report: failing checks do not fail the command
    assert stdout == evaluate(out, truth, min_op_size=3).to_table()


def test_cli_json_to_stdout_and_to_file(scenario: tuple[Path, Path], tmp_path: Path) -> None:
    out, truth = scenario
    code, stdout, _ = _cli_invoke([str(out), "--truth", str(truth), "--json", "-"])
    assert code == 0
    assert json.loads(stdout) == json.loads(json.dumps(evaluate(out, truth).to_dict()))

    target = tmp_path / "scores.json"
    code, stdout, _ = _cli_invoke([str(out), "--truth", str(truth), "--json", str(target)])
    assert code == 0
    assert stdout.startswith("Evaluation of ")
    assert json.loads(target.read_text())["adjusted_rand_index"] == pytest.approx(2330 / 5921)


def test_cli_missing_file_is_one_line_and_exit_1(scenario: tuple[Path, Path]) -> None:
    out, _ = scenario
    code, stdout, stderr = _cli_invoke([str(out), "--truth", str(out / "absent.csv")])
    assert code == 1
    assert stdout == ""
    assert stderr.strip().splitlines() == [
        f"Error: {out / 'absent.csv'}: no such file or directory"
    ]


def test_cli_help_has_example() -> None:
    code, stdout, _ = _cli_invoke(["--help"])
    assert code == 0
    assert "  Example:\n      sybilgraph evaluate out --truth data/truth.csv\n" in stdout
    assert "--min-op-size" in stdout


def test_cli_usage_errors(scenario: tuple[Path, Path], tmp_path: Path) -> None:
    out, truth = scenario
    code, _, stderr = _cli_invoke([str(out), "--truth", str(truth), "--min-op-size", "0"])
    assert code == 2
    assert "--min-op-size" in stderr
    code, _, stderr = _cli_invoke([str(out)])
    assert code == 2
    assert "--truth" in stderr
    unwritable = tmp_path / "no" / "such" / "dir" / "scores.json"
    code, _, stderr = _cli_invoke([str(out), "--truth", str(truth), "--json", str(unwritable)])
    assert code == 1
    assert stderr.startswith(f"Error: {unwritable}: cannot write the JSON report")
