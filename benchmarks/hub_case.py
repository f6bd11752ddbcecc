"""Peak memory and time with values shared by 100,000+ accounts and by every account.

Usage: python benchmarks/hub_case.py DATA_DIR WORK_DIR

Writes two copies of DATA_DIR's events to WORK_DIR: ``plain`` (unchanged) and ``hubs``, where
every event also carries two extra signal columns: ``everyone`` (one value every account
shares) and ``many`` (one value shared by three quarters of the accounts, at least 100,000).
Both are analysed in child processes (``/usr/bin/time -v`` measures peak memory), and a JSON
line per run is printed with wall time, peak RSS and the largest cluster.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
from measure import analyze_command, timed


def variant(data: Path, work: Path) -> dict[str, Path]:
    plain = work / "plain"
    hubs = work / "hubs"
    for d in (plain, hubs):
        d.mkdir(parents=True, exist_ok=True)
    events = pl.scan_parquet(data / "events.parquet")
    events.sink_parquet(plain / "events.parquet")
    ids = events.select("account_id").unique().sort("account_id").collect()["account_id"]
    n_hub = max(100_000, (3 * ids.len()) // 4)
    hub_ids = ids.head(n_hub).to_list()
    events.with_columns(
        pl.lit("shared-by-everyone").alias("everyone"),
        pl.when(pl.col("account_id").is_in(hub_ids))
        .then(pl.lit("shared-by-100k"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("many"),
    ).sink_parquet(hubs / "events.parquet")
    return {"plain": plain, "hubs": hubs}


def measure(events: Path, accounts: Path, out: Path, signals: list[str]) -> dict[str, object]:
    extra = [arg for signal in signals for arg in ("--signal", signal)]
    run = timed(analyze_command(events, out, accounts=accounts, extra=extra))
    clusters = pl.read_csv(out / "clusters.csv")
    return {
        "wall_seconds": round(run["wall_s"], 1),
        "peak_rss_mib": run["peak_mib"],
        "largest_cluster": int(clusters["n_accounts"].cast(int).max() or 0),  # type: ignore[arg-type]
        "flagged_clusters": int(clusters["flagged"].sum()),
    }


def main() -> None:
    data, work = Path(sys.argv[1]), Path(sys.argv[2])
    for name, directory in variant(data, work).items():
        signals = ["everyone", "many"] if name == "hubs" else []
        row = measure(
            directory / "events.parquet", data / "accounts.parquet", work / f"out-{name}", signals
        )
        print(json.dumps({"run": name, **row}), flush=True)


if __name__ == "__main__":
    main()
