"""Score a run of ``sybilgraph analyze`` against the scenario generator's truth.

The scenario generator plants operations among benign look-alikes and writes a truth table
(``account_id, operation_id, kind``). :func:`evaluate` reads a run's ``clusters`` and ``members``
tables and the truth, and measures what DESIGN.md section 6 asks for:

* account-level precision, recall and F1 of the flagged clusters (and, for context, of every
  reported cluster);
* the adjusted Rand index (Hubert and Arabie 1985) between the operations and the flagged
  clusters, every other account being its own singleton on either side;
* per operation: how much of it was caught, how scattered it is over clusters, how well its main
  cluster ranks and how pure that cluster is;
* per look-alike kind: the false-positive rate;
* whether every operation's main cluster ranks above every benign-majority cluster.

:meth:`Evaluation.passes` turns these into the named acceptance checks of the engine.
Everything is computed with polars group-bys in time linear in the number of accounts, so a
population of two million accounts scores in seconds.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from sybilgraph.errors import InputError
from sybilgraph.export.tables import FORMULA_PREFIXES
from sybilgraph.load import read_truth
from sybilgraph.schema import ACCOUNT_ID, KIND, OPERATION_ID

__all__ = [
    "AccountMetrics",
    "Evaluation",
    "Ranking",
    "adjusted_rand_index",
    "evaluate",
    "evaluate_frames",
]

CLUSTER_ID = "cluster_id"
RANK = "rank"
FLAGGED = "flagged"
#: Kind given to benign truth accounts whose ``kind`` is empty or absent.
BENIGN_KIND = "benign"

_BOOL_WORDS = {
    **dict.fromkeys(("true", "t", "1", "yes", "y"), True),
    **dict.fromkeys(("false", "f", "0", "no", "n"), False),
}
_SHOWN_ROWS = 3

# The engine's acceptance thresholds, the defaults of :meth:`Evaluation.passes`.
MIN_OP_SIZE = 15
MIN_RECALL = 0.95
MIN_MAIN_SHARE = 0.90
MIN_PRECISION = 0.98
MAX_FPR = 0.001
MIN_ARI = 0.9


# -- reading ------------------------------------------------------------------------------------


def _find_table(out_dir: Path, stem: str) -> Path:
    # CSV is analyze's default format; Parquet is read when the run was written with
    # --format parquet and no CSV is present.
    for suffix in (".csv", ".parquet"):
        path = out_dir / f"{stem}{suffix}"
        if path.is_file():
            return path
    raise InputError(
        f"{out_dir}: no {stem}.csv or {stem}.parquet found; expected the output directory "
        "of 'sybilgraph analyze'"
    )


def _where(path: Path, rows: Sequence[int]) -> str:
    """Name data rows (0-based indices) the way a reader finds them in the file."""
    if path.suffix == ".parquet":
        shown = ", ".join(str(i + 1) for i in rows[:_SHOWN_ROWS])
        label = "row" if len(rows) == 1 else "rows"
    else:
        # Line 1 is the header.
        shown = ", ".join(str(i + 2) for i in rows[:_SHOWN_ROWS])
        label = "line" if len(rows) == 1 else "lines"
    more = f" and {len(rows) - _SHOWN_ROWS} more" if len(rows) > _SHOWN_ROWS else ""
    return f"{label} {shown}{more}"


def _read_table(path: Path, required: Sequence[str]) -> pl.DataFrame:
    """Read the named columns of a CSV or Parquet file; CSV cells stay strings."""
    try:
        if path.suffix == ".parquet":
            frame = pl.scan_parquet(path)
        else:
            # No type inference: ids such as "007" or "C0001" must survive as written.
            frame = pl.scan_csv(path, infer_schema=False)
        names = frame.collect_schema().names()
        missing = [name for name in required if name not in names]
        if missing:
            raise InputError(
                f"{path}: missing column(s) {', '.join(map(repr, missing))}; "
                f"found {', '.join(map(repr, names)) or 'no columns'}"
            )
        return frame.select(required).collect()
    except (pl.exceptions.PolarsError, OSError) as err:
        kind = "Parquet" if path.suffix == ".parquet" else "CSV"
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"{path}: cannot be read as {kind}: {first_line}") from err


def _as_strings(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    return frame.with_columns(pl.col(c).cast(pl.String) for c in columns if c in frame.columns)


def _require_values(frame: pl.DataFrame, path: Path, columns: Sequence[str]) -> None:
    """Raise one error naming every required column that has empty cells."""
    problems = []
    for name in columns:
        empty = frame.get_column(name).is_null() | (frame.get_column(name).str.strip_chars() == "")
        rows = empty.arg_true().to_list()
        if rows:
            problems.append(f"column {name!r} is empty at {_where(path, rows)}")
    if problems:
        raise InputError(f"{path}: {'; '.join(problems)}; every row needs a value there")


def _require_unique(frame: pl.DataFrame, path: Path, column: str, meaning: str) -> None:
    duplicated = frame.get_column(column).is_duplicated()
    rows = duplicated.arg_true().to_list()
    if rows:
        value = frame.get_column(column)[rows[0]]
        raise InputError(
            f"{path}: {column} {value!r} and others appear more than once "
            f"({_where(path, rows)}); {meaning}"
        )


def _parse_int(frame: pl.DataFrame, path: Path, column: str) -> pl.Series:
    raw = frame.get_column(column)
    parsed = raw.cast(pl.Int64, strict=False)
    bad = (parsed.is_null()).arg_true().to_list()
    if bad:
        raise InputError(
            f"{path}: column {column!r} must hold whole numbers; found {raw[bad[0]]!r} "
            f"at {_where(path, bad)}"
        )
    return parsed


def _parse_bool(frame: pl.DataFrame, path: Path, column: str) -> pl.Series:
    raw = frame.get_column(column)
    if raw.dtype == pl.Boolean:
        parsed = raw
    else:
        words = raw.cast(pl.String).str.strip_chars().str.to_lowercase()
        parsed = words.replace_strict(_BOOL_WORDS, default=None, return_dtype=pl.Boolean)
    bad = parsed.is_null().arg_true().to_list()
    if bad:
        raise InputError(
            f"{path}: column {column!r} must be true or false; found {raw[bad[0]]!r} "
            f"at {_where(path, bad)}"
        )
    return parsed


def _unguard_ids(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    """Undo the spreadsheet formula guard of CSV exports on account ids.

    ``analyze`` writes an id such as ``-x`` as ``'-x`` so that spreadsheets show it as text;
    the truth may or may not be written the same way, so both sides are compared unguarded.
    """
    if path.suffix == ".parquet":
        return frame
    guarded = "^'[" + "".join(re.escape(c) for c in FORMULA_PREFIXES) + "]"
    column = pl.col(ACCOUNT_ID)
    return frame.with_columns(
        pl.when(column.str.contains(guarded)).then(column.str.slice(1)).otherwise(column)
    )


def _load_clusters(path: Path) -> pl.DataFrame:
    frame = _as_strings(_read_table(path, (CLUSTER_ID, RANK, FLAGGED)), (CLUSTER_ID,))
    _require_values(frame, path, (CLUSTER_ID,))
    _require_unique(frame, path, CLUSTER_ID, "each reported cluster has one row")
    return frame.with_columns(_parse_int(frame, path, RANK), _parse_bool(frame, path, FLAGGED))


def _load_members(path: Path, clusters: pl.DataFrame, clusters_path: Path) -> pl.DataFrame:
    frame = _as_strings(_read_table(path, (ACCOUNT_ID, CLUSTER_ID)), (ACCOUNT_ID, CLUSTER_ID))
    frame = _unguard_ids(frame, path)
    _require_values(frame, path, (ACCOUNT_ID, CLUSTER_ID))
    _require_unique(frame, path, ACCOUNT_ID, "an account belongs to at most one cluster")
    unknown = (
        frame.with_row_index("row")
        .join(clusters.select(CLUSTER_ID), on=CLUSTER_ID, how="anti")
        .sort("row")
    )
    if unknown.height:
        value = unknown.item(0, CLUSTER_ID)
        raise InputError(
            f"{path}: cluster_id {value!r} at {_where(path, unknown.get_column('row').to_list())} "
            f"is not in {clusters_path}; the two files must come from the same run"
        )
    return frame


def _load_truth(path: Path) -> pl.DataFrame:
    # The loaders read every input format and validate ids; evaluation adds only the tolerance
    # for formula-guarded ids and for truth files without a kind column.
    truth = read_truth(path)
    if truth.height == 0:
        raise InputError(f"{path}: the truth lists no accounts; expected one row per account")
    if KIND not in truth.columns:
        truth = truth.with_columns(pl.lit(None, dtype=pl.String).alias(KIND))
    return _unguard_ids(truth.select(ACCOUNT_ID, OPERATION_ID, KIND), path)


# -- metrics ------------------------------------------------------------------------------------


def _pairs(expr: pl.Expr) -> pl.Expr:
    """Number of unordered pairs, n choose 2, summed; exact in Int64 up to ~4e9 items."""
    n = expr.cast(pl.Int64)
    return (n * (n - 1) // 2).sum()


def adjusted_rand_index(frame: pl.DataFrame, truth: str, predicted: str) -> float:
    """Adjusted Rand index between two labelings of the rows of `frame`.

    A null label means "a cluster of its own", so benign accounts and unflagged accounts need no
    made-up singleton labels. The index is computed from the contingency table (Hubert and Arabie
    1985): with :math:`n_{ij}` the rows labelled *i* in `truth` and *j* in `predicted`, and
    :math:`a_i`, :math:`b_j` the marginals, ``(index - expected) / (max - expected)`` where
    ``index = sum C(n_ij, 2)``, ``expected = sum C(a_i, 2) * sum C(b_j, 2) / C(n, 2)`` and
    ``max = (sum C(a_i, 2) + sum C(b_j, 2)) / 2``. Singletons contribute no pairs, so only
    non-null labels are grouped: time and memory are linear in the number of rows.

    Parameters
    ----------
    frame : polars.DataFrame
        One row per item.
    truth, predicted : str
        Names of the two label columns; null means a singleton.

    Returns
    -------
    float
        1.0 for identical partitions, about 0 for independent ones, negative when worse than
        chance. Partitions with no pairs to compare (fewer than two rows, or both all
        singletons) count as identical and score 1.0.

    Examples
    --------
    >>> import polars as pl
    >>> f = pl.DataFrame({"t": ["a", "a", "b", "b", None], "p": ["x", "x", "y", "y", None]})
    >>> adjusted_rand_index(f, "t", "p")
    1.0
    >>> g = pl.DataFrame({"t": ["a", "a", "b", "b"], "p": ["x", "y", "x", "y"]})
    >>> adjusted_rand_index(g, "t", "p")
    -0.5
    """
    n_rows = frame.height
    # Fixed names let a column be compared with itself.
    labels = frame.lazy().select(pl.col(truth).alias("truth"), pl.col(predicted).alias("pred"))
    truth, predicted = "truth", "pred"
    both = (
        labels.filter(pl.col(truth).is_not_null() & pl.col(predicted).is_not_null())
        .group_by(truth, predicted)
        .len()
        .select(_pairs(pl.col("len")))
    )
    rows = (
        labels.filter(pl.col(truth).is_not_null())
        .group_by(truth)
        .len()
        .select(_pairs(pl.col("len")))
    )
    cols = (
        labels.filter(pl.col(predicted).is_not_null())
        .group_by(predicted)
        .len()
        .select(_pairs(pl.col("len")))
    )
    index, sum_a, sum_b = (int(f.item() or 0) for f in pl.collect_all([both, rows, cols]))
    total = n_rows * (n_rows - 1) // 2
    # Python integers from here on: sum_a * sum_b reaches ~1e25 at two million rows.
    expected_num = sum_a * sum_b
    numerator = index * total - expected_num
    denominator = (sum_a + sum_b) * total - 2 * expected_num
    if total == 0 or denominator == 0:
        # max == expected only when both sides are all singletons or both one cluster.
        return 1.0
    return 2 * numerator / denominator


@dataclasses.dataclass(frozen=True)
class AccountMetrics:
    """Account-level precision, recall and F1 of one way of selecting accounts.

    Precision is ``None`` when nothing was selected, recall when the truth has no operation
    accounts, F1 when either is ``None``.

    Examples
    --------
    >>> m = AccountMetrics.from_counts(n_selected=10, n_true_positive=9, n_positive=12)
    >>> m.precision, m.recall, round(m.f1 or 0, 4)
    (0.9, 0.75, 0.8182)
    """

    n_selected: int
    n_true_positive: int
    n_positive: int
    precision: float | None
    recall: float | None
    f1: float | None

    @classmethod
    def from_counts(cls, n_selected: int, n_true_positive: int, n_positive: int) -> AccountMetrics:
        """Build the metrics from the three counts they derive from."""
        precision = n_true_positive / n_selected if n_selected else None
        recall = n_true_positive / n_positive if n_positive else None
        f1: float | None = None
        if precision is not None and recall is not None:
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(n_selected, n_true_positive, n_positive, precision, recall, f1)


@dataclasses.dataclass(frozen=True)
class Ranking:
    """Whether the planted operations outrank every benign-majority cluster.

    Attributes
    ----------
    min_op_size : int
        Operations with fewer accounts are left out of the comparison.
    n_ops_considered : int
        Operations with at least `min_op_size` accounts.
    n_ops_without_flagged_cluster : int
        Considered operations none of whose accounts is in a flagged cluster; any such operation
        fails the check.
    worst_op_main_rank : int or None
        The largest (worst) rank among the considered operations' main clusters.
    best_benign_majority_rank : int or None
        The smallest (best) rank among reported clusters, flagged or not, whose members are
        mostly benign.
    ops_rank_above_benign : bool
        Every considered operation has a main cluster and it ranks above every benign-majority
        cluster.
    """

    min_op_size: int
    n_ops_considered: int
    n_ops_without_flagged_cluster: int
    worst_op_main_rank: int | None
    best_benign_majority_rank: int | None
    ops_rank_above_benign: bool


def _ranking(operations: pl.DataFrame, best_benign: int | None, min_op_size: int) -> Ranking:
    considered = operations.filter(pl.col("size") >= min_op_size)
    main_ranks = considered.get_column("main_rank")
    unranked = main_ranks.null_count()
    worst = main_ranks.max()
    worst_rank = int(worst) if isinstance(worst, int) else None
    above = unranked == 0 and (
        worst_rank is None or best_benign is None or worst_rank < best_benign
    )
    return Ranking(
        min_op_size=min_op_size,
        n_ops_considered=considered.height,
        n_ops_without_flagged_cluster=unranked,
        worst_op_main_rank=worst_rank,
        best_benign_majority_rank=best_benign,
        ops_rank_above_benign=above,
    )


@dataclasses.dataclass(frozen=True)
class _Check:
    name: str
    ok: bool
    detail: str


@dataclasses.dataclass(frozen=True, eq=False)
class Evaluation:
    """The score of one run against the truth; build it with :func:`evaluate`.

    Attributes
    ----------
    out_dir, truth_path : pathlib.Path
        What was scored.
    min_op_size : int
        Operations smaller than this are reported but left out of the ranking and the
        per-operation checks (small camouflage groups are not what the engine promises to find).
    counts : dict of str to int
        Sizes of the population, the truth and the run.
    flagged, reported : AccountMetrics
        Precision, recall and F1 of the members of flagged clusters, and of every reported
        cluster.
    ari : float
        Adjusted Rand index of flagged clusters against operations (:func:`adjusted_rand_index`).
    operations : polars.DataFrame
        One row per operation: ``operation_id, kind, size, n_flagged, recall, n_clusters,
        main_cluster, main_rank, main_share, best_rank, main_purity``.
    kinds : polars.DataFrame
        One row per kind of benign account: ``kind, n_accounts, n_flagged, n_reported, fpr``.
    ranking : Ranking
        Operations' main clusters against benign-majority clusters.

    Examples
    --------
    An operation of three accounts, two of them caught together with one benign account:

    >>> import polars as pl
    >>> clusters = pl.DataFrame({"cluster_id": ["C1"], "rank": [1], "flagged": [True]})
    >>> members = pl.DataFrame({"account_id": ["a", "b", "x"], "cluster_id": ["C1"] * 3})
    >>> truth = pl.DataFrame({"account_id": ["a", "b", "c", "x"],
    ...                       "operation_id": ["op", "op", "op", None], "kind": None})
    >>> ev = evaluate_frames(clusters, members, truth, min_op_size=2)
    >>> round(ev.flagged.precision, 3), round(ev.flagged.recall, 3)
    (0.667, 0.667)
    >>> ev.operations.select("operation_id", "n_flagged", "main_cluster").row(0)
    ('op', 2, 'C1')
    """

    out_dir: Path
    truth_path: Path
    min_op_size: int
    counts: dict[str, int]
    flagged: AccountMetrics
    reported: AccountMetrics
    ari: float
    operations: pl.DataFrame
    kinds: pl.DataFrame
    ranking: Ranking

    def _checks(
        self,
        min_op_size: int | None = None,
        min_recall: float = MIN_RECALL,
        min_main_share: float = MIN_MAIN_SHARE,
        min_precision: float = MIN_PRECISION,
        max_fpr: float = MAX_FPR,
        min_ari: float = MIN_ARI,
    ) -> list[_Check]:
        size = self.min_op_size if min_op_size is None else min_op_size
        big = self.operations.filter(pl.col("size") >= size)
        checks = []
        for column, bound in (("recall", min_recall), ("main_share", min_main_share)):
            # An operation with nothing flagged has no main share; it fails both checks.
            values = big.select(OPERATION_ID, pl.col(column).fill_null(0.0).alias(column)).sort(
                column, OPERATION_ID
            )
            ok = bool((values.get_column(column) >= bound).all())
            detail = f"need {column} >= {bound:g} in each of {big.height} ops of >= {size} accounts"
            if values.height:
                op_id, lowest = values.row(0)
                detail += f"; lowest {op_id} {lowest:.4f}"
            checks.append(_Check(f"op_{column}", ok, detail))

        precision = self.flagged.precision
        if precision is None:
            ok = self.flagged.n_positive == 0
            detail = "no account flagged"
        else:
            ok = precision >= min_precision
            detail = f"precision {precision:.4f}, need >= {min_precision:g}"
        checks.append(_Check("precision", ok, detail))

        ranking = self.ranking if size == self.ranking.min_op_size else self.rank_check(size)
        if ranking.n_ops_without_flagged_cluster:
            detail = (
                f"{ranking.n_ops_without_flagged_cluster} op(s) of >= {size} accounts "
                "have no flagged cluster"
            )
        else:
            detail = (
                f"worst op main-cluster rank {_fmt(ranking.worst_op_main_rank)}, "
                f"best benign-majority rank {_fmt(ranking.best_benign_majority_rank)}"
            )
        checks.append(_Check("ops_rank_above_benign", ranking.ops_rank_above_benign, detail))

        by_fpr = self.kinds.sort("fpr", "kind", descending=[True, False])
        ok = bool((self.kinds.get_column("fpr") <= max_fpr).all())
        detail = f"need fpr <= {max_fpr:g} in each of {self.kinds.height} kinds"
        if by_fpr.height:
            detail += f"; highest {by_fpr.item(0, 'kind')} {by_fpr.item(0, 'fpr'):.6f}"
        checks.append(_Check("lookalike_fpr", ok, detail))

        checks.append(
            _Check("ari", self.ari >= min_ari, f"ARI {self.ari:.4f}, need >= {min_ari:g}")
        )
        return checks

    def rank_check(self, min_op_size: int) -> Ranking:
        """Redo the ranking comparison for another minimum operation size.

        Examples
        --------
        >>> ev = _example_evaluation()
        >>> ev.rank_check(1).ops_rank_above_benign, ev.rank_check(1).worst_op_main_rank
        (True, 1)
        """
        return _ranking(self.operations, self.ranking.best_benign_majority_rank, min_op_size)

    def passes(
        self,
        min_op_size: int | None = None,
        *,
        min_recall: float = MIN_RECALL,
        min_main_share: float = MIN_MAIN_SHARE,
        min_precision: float = MIN_PRECISION,
        max_fpr: float = MAX_FPR,
        min_ari: float = MIN_ARI,
    ) -> dict[str, bool]:
        """The engine's acceptance checks, by name.

        Parameters
        ----------
        min_op_size : int, optional
            Operations with at least this many accounts must meet `min_recall` and
            `min_main_share` and outrank benign-majority clusters; defaults to the size the
            evaluation was made with (15 unless told otherwise).
        min_recall, min_main_share, min_precision, max_fpr, min_ari : float
            The thresholds; defaults are the engine's acceptance criteria.

        Returns
        -------
        dict of str to bool
            ``op_recall``, ``op_main_share``, ``precision``, ``ops_rank_above_benign``,
            ``lookalike_fpr`` and ``ari``.

        Examples
        --------
        >>> _example_evaluation().passes(min_op_size=1)
        {'op_recall': True, 'op_main_share': True, 'precision': False, \
'ops_rank_above_benign': True, 'lookalike_fpr': False, 'ari': False}
        """
        checks = self._checks(
            min_op_size, min_recall, min_main_share, min_precision, max_fpr, min_ari
        )
        return {check.name: check.ok for check in checks}

    def to_dict(self) -> dict[str, Any]:
        """Everything measured, as plain JSON-ready values (``None`` where undefined).

        Examples
        --------
        >>> d = _example_evaluation().to_dict()
        >>> d["flagged_clusters"]["precision"], d["operations"][0]["main_cluster"]
        (0.75, 'C1')
        """
        checks = self._checks()
        return {
            "out_dir": str(self.out_dir),
            "truth": str(self.truth_path),
            "min_op_size": self.min_op_size,
            "counts": dict(self.counts),
            "flagged_clusters": dataclasses.asdict(self.flagged),
            "reported_clusters": dataclasses.asdict(self.reported),
            "adjusted_rand_index": self.ari,
            "ranking": dataclasses.asdict(self.ranking),
            "operations": self.operations.to_dicts(),
            "kinds": self.kinds.to_dicts(),
            "checks": {c.name: {"pass": c.ok, "detail": c.detail} for c in checks},
            "all_checks_pass": all(c.ok for c in checks),
        }

    def to_table(self) -> str:
        """A readable, aligned report: overall metrics, operations, look-alike kinds, checks.

        Examples
        --------
        >>> print(_example_evaluation().to_table().splitlines()[0])
        Evaluation of out against truth.csv
        """
        c = self.counts
        lines = [
            f"Evaluation of {self.out_dir} against {self.truth_path}",
            "",
            f"accounts: {c['n_accounts']:,} ({c['n_operation_accounts']:,} in "
            f"{c['n_operations']:,} operations, {c['n_benign_accounts']:,} benign, "
            f"{c['n_members_not_in_truth']:,} members not in the truth)",
            f"clusters: {c['n_reported_clusters']:,} reported, {c['n_flagged_clusters']:,} "
            f"flagged; {c['n_member_accounts']:,} member accounts, "
            f"{c['n_flagged_accounts']:,} flagged",
            "",
        ]
        metric_rows = [
            [
                label,
                f"{m.n_selected:,}",
                f"{m.n_true_positive:,}",
                _fmt(m.precision),
                _fmt(m.recall),
                _fmt(m.f1),
            ]
            for label, m in (
                ("flagged clusters", self.flagged),
                ("any reported cluster", self.reported),
            )
        ]
        lines += _grid(
            ["accounts in", "selected", "from ops", "precision", "recall", "F1"], metric_rows
        )
        r = self.ranking
        lines += [
            "",
            f"adjusted Rand index (flagged clusters vs operations): {self.ari:.4f}",
            f"ranking of the {r.n_ops_considered} ops of >= {r.min_op_size} accounts:",
            f"  worst main-cluster rank        {_fmt(r.worst_op_main_rank)}",
            f"  best benign-majority rank      {_fmt(r.best_benign_majority_rank)}"
            f" ({c['n_benign_majority_clusters']:,} such clusters, "
            f"{c['n_flagged_benign_majority_clusters']:,} flagged)",
            f"  ops without a flagged cluster  {r.n_ops_without_flagged_cluster}",
            f"  every op above benign          {'yes' if r.ops_rank_above_benign else 'no'}",
            "",
            "Operations",
        ]
        op_columns = [
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
        lines += _grid(
            op_columns,
            [[_fmt(v) for v in row] for row in self.operations.select(op_columns).iter_rows()],
        )
        lines += ["", "Benign and look-alike kinds"]
        kind_columns = ["kind", "n_accounts", "n_flagged", "n_reported", "fpr"]
        lines += _grid(
            kind_columns,
            [
                [_fmt(v, digits=6) for v in row]
                for row in self.kinds.select(kind_columns).iter_rows()
            ],
        )
        checks = self._checks()
        lines += ["", f"Checks ({sum(ch.ok for ch in checks)} of {len(checks)} pass)"]
        lines += _grid(
            ["", "check", "detail"],
            [["PASS" if ch.ok else "FAIL", ch.name, ch.detail] for ch in checks],
            numeric=False,
        )
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        checks = self.passes()
        return (
            f"Evaluation(out_dir={str(self.out_dir)!r}, precision={_fmt(self.flagged.precision)}, "
            f"recall={_fmt(self.flagged.recall)}, ari={self.ari:.4f}, "
            f"checks={sum(checks.values())}/{len(checks)} pass)"
        )


def _fmt(value: object, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _grid(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: bool = True) -> list[str]:
    """Align columns: numeric columns (after the first) to the right, text to the left."""
    if not rows:
        return ["  ".join(headers).rstrip(), "(none)"]
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    right = [
        numeric and i > 0 and all(_is_number(row[i]) for row in rows) for i in range(len(headers))
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(w) if r else cell.ljust(w)
            for cell, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    return [line(headers), *(line(row) for row in rows)]


def _is_number(cell: str) -> bool:
    return cell == "-" or cell.replace(",", "").replace(".", "", 1).lstrip("-").isdigit()


# -- entry points -------------------------------------------------------------------------------


def evaluate_frames(
    clusters: pl.DataFrame,
    members: pl.DataFrame,
    truth: pl.DataFrame,
    *,
    min_op_size: int = MIN_OP_SIZE,
    out_dir: str | Path = "<memory>",
    truth_path: str | Path = "<memory>",
) -> Evaluation:
    """Score clusters and members already in memory against a truth frame.

    The frames are those :func:`evaluate` reads, already validated: `clusters` with
    ``cluster_id`` (string), ``rank`` (integer) and ``flagged`` (boolean); `members` with
    ``account_id`` and ``cluster_id`` (strings, one row per account); `truth` with
    ``account_id``, ``operation_id`` (null for benign) and ``kind`` (null allowed).

    Examples
    --------
    >>> import polars as pl
    >>> clusters = pl.DataFrame({"cluster_id": ["C1"], "rank": [1], "flagged": [True]})
    >>> members = pl.DataFrame({"account_id": ["a", "b"], "cluster_id": ["C1", "C1"]})
    >>> truth = pl.DataFrame(
    ...     {"account_id": ["a", "b", "c"], "operation_id": ["op", "op", None], "kind": None}
    ... )
    >>> ev = evaluate_frames(clusters, members, truth, min_op_size=2)
    >>> ev.flagged.precision, ev.flagged.recall, ev.ari
    (1.0, 1.0, 1.0)
    """
    if KIND not in truth.columns:
        truth = truth.with_columns(pl.lit(None, dtype=pl.String).alias(KIND))
    is_op = pl.col(OPERATION_ID).is_not_null()
    in_cluster = pl.col(CLUSTER_ID).is_not_null()
    accounts = (
        truth.select(ACCOUNT_ID, OPERATION_ID, pl.col(KIND).cast(pl.String))
        .with_columns(pl.lit(True).alias("in_truth"))
        .join(
            members.select(ACCOUNT_ID, CLUSTER_ID).join(
                clusters.select(CLUSTER_ID, RANK, FLAGGED), on=CLUSTER_ID, how="left"
            ),
            on=ACCOUNT_ID,
            how="full",
            coalesce=True,
        )
        .with_columns(
            pl.col("in_truth").fill_null(False),
            pl.col(FLAGGED).fill_null(False),
        )
        .with_columns(
            pl.when(pl.col(FLAGGED)).then(pl.col(CLUSTER_ID)).alias("flagged_cluster"),
        )
    )

    tallies = accounts.select(
        n_accounts=pl.len(),
        n_truth_accounts=pl.col("in_truth").sum(),
        n_operation_accounts=is_op.sum(),
        n_benign_accounts=(~is_op & pl.col("in_truth")).sum(),
        n_operations=pl.col(OPERATION_ID).drop_nulls().n_unique(),
        n_member_accounts=in_cluster.sum(),
        n_flagged_accounts=pl.col(FLAGGED).sum(),
        n_members_not_in_truth=(in_cluster & ~pl.col("in_truth")).sum(),
        n_flagged_true=(pl.col(FLAGGED) & is_op).sum(),
        n_reported_true=(in_cluster & is_op).sum(),
    ).row(0, named=True)
    tallies = {name: int(value) for name, value in tallies.items()}
    flagged = AccountMetrics.from_counts(
        tallies["n_flagged_accounts"],
        tallies.pop("n_flagged_true"),
        tallies["n_operation_accounts"],
    )
    reported = AccountMetrics.from_counts(
        tallies["n_member_accounts"],
        tallies.pop("n_reported_true"),
        tallies["n_operation_accounts"],
    )

    operations = _operations(accounts, members)
    kinds = (
        accounts.filter(~is_op & pl.col("in_truth"))
        .group_by(pl.col(KIND).fill_null(BENIGN_KIND))
        .agg(
            n_accounts=pl.len(),
            n_flagged=pl.col(FLAGGED).sum().cast(pl.Int64),
            n_reported=in_cluster.sum().cast(pl.Int64),
        )
        .with_columns(fpr=pl.col("n_flagged") / pl.col("n_accounts"))
        .sort(KIND)
    )

    # Every member counts towards its cluster's majority, including members the truth does not
    # list (they are benign by the truth's contract).
    mix = (
        accounts.filter(in_cluster)
        .group_by(CLUSTER_ID)
        .agg(
            n=pl.len(),
            n_benign=(~is_op).sum(),
            rank=pl.col(RANK).first(),
            flagged=pl.col(FLAGGED).first(),
        )
        .filter(pl.col("n_benign") * 2 > pl.col("n"))
    )
    best = mix.get_column(RANK).min()
    best_benign = int(best) if isinstance(best, int) else None
    counts = {
        **tallies,
        "n_reported_clusters": clusters.height,
        "n_flagged_clusters": int(clusters.get_column(FLAGGED).sum()),
        "n_benign_majority_clusters": mix.height,
        "n_flagged_benign_majority_clusters": int(mix.get_column(FLAGGED).sum()),
    }
    return Evaluation(
        out_dir=Path(out_dir),
        truth_path=Path(truth_path),
        min_op_size=min_op_size,
        counts=counts,
        flagged=flagged,
        reported=reported,
        ari=adjusted_rand_index(accounts, OPERATION_ID, "flagged_cluster"),
        operations=operations,
        kinds=kinds,
        ranking=_ranking(operations, best_benign, min_op_size),
    )


def _operations(accounts: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """One row per operation: coverage, spread over flagged clusters, main cluster."""
    op_accounts = accounts.filter(pl.col(OPERATION_ID).is_not_null())
    sizes = op_accounts.group_by(OPERATION_ID).agg(
        size=pl.len(), n_flagged=pl.col(FLAGGED).sum().cast(pl.Int64)
    )
    # The operation's kind is its most common non-empty kind; ties go to the smallest name.
    kind = (
        op_accounts.filter(pl.col(KIND).is_not_null())
        .group_by(OPERATION_ID, KIND)
        .len()
        .sort(OPERATION_ID, "len", KIND, descending=[False, True, False])
        .group_by(OPERATION_ID, maintain_order=True)
        .first()
        .select(OPERATION_ID, KIND)
    )
    per_cluster = (
        op_accounts.filter(pl.col(FLAGGED))
        .group_by(OPERATION_ID, CLUSTER_ID)
        .agg(n=pl.len(), rank=pl.col(RANK).first())
    )
    spread = per_cluster.group_by(OPERATION_ID).agg(
        n_clusters=pl.len(), best_rank=pl.col(RANK).min()
    )
    cluster_sizes = members.group_by(CLUSTER_ID).agg(cluster_size=pl.len())
    # The main cluster holds most of the operation's flagged accounts; ties go to the better
    # rank, then the smaller id, so the choice never depends on row order.
    main = (
        per_cluster.sort(
            OPERATION_ID, "n", RANK, CLUSTER_ID, descending=[False, True, False, False]
        )
        .group_by(OPERATION_ID, maintain_order=True)
        .first()
        .join(cluster_sizes, on=CLUSTER_ID, how="left")
        .select(
            OPERATION_ID,
            main_cluster=pl.col(CLUSTER_ID),
            main_rank=pl.col(RANK),
            main_n=pl.col("n"),
            main_purity=pl.col("n") / pl.col("cluster_size"),
        )
    )
    return (
        sizes.join(kind, on=OPERATION_ID, how="left")
        .join(spread, on=OPERATION_ID, how="left")
        .join(main, on=OPERATION_ID, how="left")
        .select(
            OPERATION_ID,
            KIND,
            pl.col("size").cast(pl.Int64),
            "n_flagged",
            recall=pl.col("n_flagged") / pl.col("size"),
            n_clusters=pl.col("n_clusters").fill_null(0).cast(pl.Int64),
            main_cluster="main_cluster",
            main_rank=pl.col("main_rank").cast(pl.Int64),
            main_share=pl.when(pl.col("n_flagged") > 0).then(
                pl.col("main_n") / pl.col("n_flagged")
            ),
            best_rank=pl.col("best_rank").cast(pl.Int64),
            main_purity="main_purity",
        )
        .sort("size", OPERATION_ID, descending=[True, False])
    )


def evaluate(
    out_dir: str | Path, truth_path: str | Path, *, min_op_size: int = MIN_OP_SIZE
) -> Evaluation:
    """Score the output directory of ``sybilgraph analyze`` against a truth table.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        A run's output directory holding ``clusters`` and ``members`` as CSV (read first) or
        Parquet.
    truth_path : str or pathlib.Path
        CSV or Parquet with ``account_id``, ``operation_id`` (empty for benign accounts) and
        optionally ``kind``. Members missing from the truth count as benign.
    min_op_size : int, default 15
        Smaller operations are reported but left out of the ranking and per-operation checks.

    Returns
    -------
    Evaluation

    Raises
    ------
    InputError
        A file is missing or unreadable, a required column or value is missing, an id is
        duplicated, or members name a cluster that ``clusters`` does not list.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = pathlib.Path(tmp)
    ...     _ = (out / "clusters.csv").write_text("rank,cluster_id,flagged\\n1,C0001,true\\n")
    ...     _ = (out / "members.csv").write_text("account_id,cluster_id\\na,C0001\\nb,C0001\\n")
    ...     _ = (out / "truth.csv").write_text("account_id,operation_id\\na,op\\nb,op\\nc,\\n")
    ...     ev = evaluate(out, out / "truth.csv", min_op_size=2)
    >>> ev.flagged.precision, ev.operations.item(0, "main_cluster"), ev.passes()["ari"]
    (1.0, 'C0001', True)
    """
    out_dir, truth_path = Path(out_dir), Path(truth_path)
    if not out_dir.is_dir():
        raise InputError(
            f"{out_dir}: no such directory; expected the output directory of 'sybilgraph analyze'"
        )
    clusters_path = _find_table(out_dir, "clusters")
    members_path = _find_table(out_dir, "members")
    clusters = _load_clusters(clusters_path)
    members = _load_members(members_path, clusters, clusters_path)
    truth = _load_truth(truth_path)
    return evaluate_frames(
        clusters,
        members,
        truth,
        min_op_size=min_op_size,
        out_dir=out_dir,
        truth_path=truth_path,
    )


def _example_evaluation() -> Evaluation:
    """A six-account run used by the docstring examples of :class:`Evaluation`."""
    clusters = pl.DataFrame({"cluster_id": ["C1", "C2"], "rank": [1, 2], "flagged": [True, False]})
    members = pl.DataFrame(
        {
            "account_id": ["a1", "a2", "a3", "b1", "b2", "b3"],
            "cluster_id": ["C1", "C1", "C1", "C1", "C2", "C2"],
        }
    )
    truth = pl.DataFrame(
        {
            "account_id": ["a1", "a2", "a3", "b1", "b2", "b3"],
            "operation_id": ["op1", "op1", "op1", None, None, None],
            "kind": ["distill", "distill", "distill", "vpn", None, None],
        }
    )
    return evaluate_frames(
        clusters, members, truth, min_op_size=15, out_dir="out", truth_path="truth.csv"
    )
