"""Where the link stage's time goes: part by part, and chunk by chunk of the scoring loop.

Usage: python benchmarks/link_profile.py EVENTS WORK_DIR [--accounts ACCOUNTS] [--runs 1]

EVENTS (and ACCOUNTS) are what ``analyze`` takes: files or directories. The first call runs
the pipeline once and saves the link stage's inputs (the weighted values and edges, and the
accounts' organisations) under WORK_DIR; later calls with the same WORK_DIR start from them.
Each run then times, in one process, the steps ``link()`` takes, with the functions it calls
(the accounts' ranks, the incidence, the hub table, the ring gate, the candidate bound, then
the scoring loop on each chunk of accounts), and ends with ``link()`` itself, whose pairs
must equal the pairs of the first run. One JSON line per run.

The chunks follow the accounts' rank (their number of hub values), so the last chunks hold the
accounts with the longest hub lists. Nanoseconds per candidate pair tell a chunk that scores
more pairs from one that scores dearer ones. A chunk's ``kept`` pairs are those the loop
writes out: the passing pairs and any within its 1e-6 of slack below the floor, which
``link()`` then tests exactly.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from sybilgraph import link as link_stage
from sybilgraph.pipeline import run
from sybilgraph.settings import Settings
from sybilgraph.weigh import WeightedValues


def inputs(events: Path, accounts: Path | None, work: Path) -> tuple[WeightedValues, pl.DataFrame]:
    """The link stage's inputs, computed by one pipeline run and saved under ``work``."""
    saved = {name: work / f"{name}.parquet" for name in ("values", "edges", "org")}
    if not all(path.exists() for path in saved.values()):
        work.mkdir(parents=True, exist_ok=True)
        result = run(events, accounts, settings=Settings())
        frames = {
            "values": result.weighted.values,
            "edges": result.weighted.edges,
            "org": result.table.accounts.select("account", "org_id"),
        }
        # Each file is written aside and renamed, so an interrupted call leaves none half made.
        for name, frame in frames.items():
            partial = saved[name].with_suffix(".partial")
            frame.write_parquet(partial)
            partial.replace(saved[name])
    weighted = WeightedValues(
        values=pl.read_parquet(saved["values"]), edges=pl.read_parquet(saved["edges"]), n_capped=0
    )
    return weighted, pl.read_parquet(saved["org"])


def profile(weighted: WeightedValues, org_frame: pl.DataFrame, s: Settings) -> dict[str, object]:
    """The steps of one link stage, timed, and the scoring loop chunk by chunk."""
    parts: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        parts[name] = round(now - clock, 3)
        clock = now

    plan = link_stage._plan(weighted, org_frame, s, step=lap)
    chunks: list[dict[str, object]] = []
    total = 0
    for lo, hi in link_stage._chunks(plan.bound, s.link_partition_rows()):
        start = time.perf_counter()
        chunk = link_stage._score_chunk(plan, lo, hi, s)
        seconds = time.perf_counter() - start
        candidates = int(chunk.n_candidates.sum())
        total += candidates
        chunks.append(
            {
                "ranks": [int(lo), int(hi)],
                "slots": int(chunk.offsets[-1]),
                "candidates": candidates,
                "kept": int(chunk.n_pass.sum()),
                "seconds": round(seconds, 3),
                "ns_per_candidate": round(1e9 * seconds / max(candidates, 1), 1),
            }
        )
    lap("scoring")
    hub_rows = np.diff(plan.inc.hub_ptr_by_account)
    return {
        "accounts": int(plan.order.size),
        "linking_edges": weighted.edges.height,
        "hub_values": int(plan.hubs.weight.size),
        "hub_entries": int(plan.hubs.ids.size),
        "hub_id_bytes": int(plan.hubs.ids.itemsize),
        "hub_entries_p99_per_account": float(np.percentile(hub_rows, 99)) if hub_rows.size else 0,
        "candidates": total,
        "parts_s": parts,
        "chunks": chunks,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("events", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--accounts", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    s = Settings()
    weighted, org = inputs(args.events, args.accounts, args.work)
    first: pl.DataFrame | None = None
    for _ in range(args.runs):
        line = profile(weighted, org, s)
        start = time.perf_counter()
        pairs = link_stage.link(weighted, org, s).pairs
        line["link_s"] = round(time.perf_counter() - start, 3)
        line["pairs"] = pairs.height
        first = pairs if first is None else first
        line["same_pairs_as_first_run"] = pairs.equals(first)
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
