"""``analyze`` against a plain networkx pipeline on a 1/N sample of a scenario's accounts.

Usage: python benchmarks/networkx_baseline.py DATA_DIR WORK_DIR [--fraction 50] [--max-degree 50]

DATA_DIR is a generated scenario (``events.parquet``, ``accounts.parquet``, ``truth.csv``).
The accounts whose id hashes to 0 modulo ``--fraction`` are kept, with all their events, in
``WORK_DIR/sample``. Both pipelines run on that sample in their own process under
``/usr/bin/time -v`` and both outputs are scored with ``sybilgraph evaluate``.

The baseline is what a careful analyst would write with networkx alone: a bipartite graph of
accounts and the values of every signal column, values used by more than ``--max-degree``
accounts dropped (the projection of a value used by ``d`` accounts has ``d²/2`` edges, so
without the cap it does not fit in memory), the weighted projection onto the accounts
(``bipartite.weighted_projected_graph``), Louvain communities (seeded), and every community of
at least three accounts flagged, ranked by its internal edge weight. The graph is built in a
fixed order and the baseline's process hashes strings without a salt, so the seed gives the
same communities on every run. One JSON line per pipeline gives wall time, peak memory and
the main ``evaluate`` figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
from measure import analyze_command, timed

EVENT_SIGNALS = ("ip", "prompt_fingerprint", "system_prompt_hash", "user_agent", "device_id")
ACCOUNT_SIGNALS = ("payment_fingerprint", "signup_ip", "email")


def sample(data: Path, work: Path, fraction: int) -> Path:
    """Write the accounts (and their events and truth) whose id hashes to 0 mod ``fraction``."""
    out = work / "sample"
    if (out / "events.parquet").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    keep = pl.col("account_id").hash(seed=0) % fraction == 0
    pl.scan_parquet(data / "events.parquet").filter(keep).sink_parquet(out / "events.parquet")
    pl.scan_parquet(data / "accounts.parquet").filter(keep).sink_parquet(out / "accounts.parquet")
    pl.read_csv(data / "truth.csv", infer_schema=False).filter(keep).write_csv(out / "truth.csv")
    return out


def run_networkx(data: Path, out: Path, max_degree: int, seed: int) -> None:
    """The plain pipeline; writes ``clusters.csv`` and ``members.csv`` like ``analyze``."""
    import networkx as nx
    from networkx.algorithms import bipartite

    events = pl.read_parquet(data / "events.parquet")
    accounts = pl.read_parquet(data / "accounts.parquet")
    pairs = [
        events.select("account_id", pl.lit(c).alias("t"), pl.col(c).alias("v"))
        for c in EVENT_SIGNALS
        if c in events.columns
    ] + [
        accounts.select("account_id", pl.lit(c).alias("t"), pl.col(c).alias("v"))
        for c in ACCOUNT_SIGNALS
        if c in accounts.columns
    ]
    # In the order first met: the graph is built in a fixed order, so the seeded Louvain gives
    # the same communities on every run.
    edges = pl.concat(pairs).drop_nulls().unique(maintain_order=True)
    graph = nx.Graph()
    ids = accounts.get_column("account_id").to_list()
    graph.add_nodes_from(ids, bipartite=0)
    for account, typ, value in edges.iter_rows():
        graph.add_node(account, bipartite=0)
        graph.add_edge(account, (typ, value))
    values = [n for n in graph if isinstance(n, tuple)]
    graph.remove_nodes_from([v for v in values if graph.degree(v) > max_degree])
    account_nodes = [n for n in graph if not isinstance(n, tuple)]
    projected = bipartite.weighted_projected_graph(graph, account_nodes)
    projected.remove_nodes_from(list(nx.isolates(projected)))
    communities = nx.community.louvain_communities(projected, weight="weight", seed=seed)
    groups = [sorted(c) for c in communities if len(c) >= 3]
    internal = [projected.subgraph(g).size(weight="weight") for g in groups]
    order = sorted(range(len(groups)), key=lambda i: (-internal[i], groups[i][0]))
    out.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "rank": list(range(1, len(order) + 1)),
            "cluster_id": [f"C{r:05d}" for r in range(1, len(order) + 1)],
            "score": [internal[i] for i in order],
            "flagged": [True] * len(order),
            "n_accounts": [len(groups[i]) for i in order],
        },
        schema_overrides={"score": pl.Float64},
    ).write_csv(out / "clusters.csv")
    pl.DataFrame(
        {
            "account_id": [a for i in order for a in groups[i]],
            "cluster_id": [f"C{r:05d}" for r, i in enumerate(order, 1) for _ in groups[i]],
        }
    ).write_csv(out / "members.csv")


def scores(out: Path, truth: Path) -> dict[str, object]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sybilgraph",
            "evaluate",
            str(out),
            "--truth",
            str(truth),
            "--json",
            "-",
            "--min-op-size",
            "5",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(proc.stdout)
    flagged = report["flagged_clusters"]
    return {
        "precision": round(flagged["precision"], 4),
        "recall": round(flagged["recall"], 4),
        "f1": round(flagged["f1"], 4),
        "ari": round(report["adjusted_rand_index"], 4),
        "flagged_clusters": report["counts"]["n_flagged_clusters"],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--fraction", type=int, default=50)
    parser.add_argument("--max-degree", type=int, default=50)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--networkx-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.networkx_only:
        run_networkx(args.data, args.work, args.max_degree, args.seed)
        return 0
    for line in compare(args.data, args.work, args.fraction, args.max_degree, args.seed):
        print(json.dumps(line), flush=True)
    return 0


def compare(
    data: Path, work: Path, fraction: int = 50, max_degree: int = 50, seed: int = 42
) -> list[dict[str, object]]:
    """One comparison on the 1/``fraction`` sample of ``data`` (written under ``work`` once):
    a line per pipeline (wall time, peak memory, ``evaluate`` figures) and the speedup."""
    sampled = sample(data, work, fraction)
    truth = sampled / "truth.csv"
    ours = work / "out-analyze"
    theirs = work / "out-networkx"
    analyze = timed(
        analyze_command(
            sampled / "events.parquet",
            ours,
            accounts=sampled / "accounts.parquet",
            extra=["--seed", str(seed)],
        )
    )
    baseline = timed(
        [
            sys.executable,
            __file__,
            str(sampled),
            str(theirs),
            "--networkx-only",
            "--max-degree",
            str(max_degree),
            "--seed",
            str(seed),
        ],
        # networkx projects the graph by walking sets of nodes, in an order that follows
        # Python's string hashing, salted anew in each process; the seeded Louvain follows it.
        env={"PYTHONHASHSEED": "0"},
    )
    rows = pl.scan_parquet(sampled / "events.parquet").select(pl.len()).collect().item()
    lines: list[dict[str, object]] = [
        {"pipeline": name, "events": rows, **run, **scores(out, truth)}
        for name, run, out in (("analyze", analyze, ours), ("networkx", baseline, theirs))
    ]
    lines.append({"speedup": round(baseline["wall_s"] / analyze["wall_s"], 1)})
    return lines


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
