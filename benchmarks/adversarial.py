"""Crafted inputs that try to exhaust memory, each analysed in its own measured process.

Usage: python benchmarks/adversarial.py WORK_DIR [--scale 1.0] [--case NAME ...]

Every case is a background population of ordinary accounts (a few requests each, IPs and
devices drawn from large pools, user agents from a small one) plus one attack; the
``background-only`` case is the background alone, the yardstick for the others:

* ``value-on-1m-accounts``: one device id on 1,000,000 accounts;
* ``1m-values-on-one-account``: one account with 1,000,000 distinct IPs, each of them also used
  by one background account (so every value is shared and survives to the linking stage);
* ``10m-rows-on-one-account``: one account with 10,000,000 requests.

``--scale`` multiplies the attack sizes (0.01 for a quick check). Each case is written to
``WORK_DIR/<case>/events.parquet`` once and analysed under ``/usr/bin/time -v``; one JSON line per
case gives wall time, peak resident memory and what the run capped, from its ``summary.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import polars as pl
from measure import analyze_command, timed

BACKGROUND_ACCOUNTS = 200_000
BACKGROUND_EVENTS = 1_000_000
START = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)


def _frame(
    account: np.ndarray, ip: np.ndarray, device: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    n = account.size
    seconds = rng.integers(0, 30 * 86_400, n)
    start_us = int(START.timestamp()) * 1_000_000
    return pl.DataFrame(
        {
            "account_id": pl.Series(account).cast(pl.String).str.zfill(9),
            "timestamp": pl.Series(start_us + seconds * 1_000_000).cast(pl.Datetime("us", "UTC")),
            "ip": pl.Series(ip).cast(pl.String),
            "user_agent": "agent/" + pl.Series(rng.integers(0, 40, n)).cast(pl.String),
            "device_id": "dev-" + pl.Series(device).cast(pl.String),
        }
    )


def _dotted(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.int64) + (11 << 24)
    return np.array(
        [
            f"{a}.{b}.{c}.{d}"
            for a, b, c, d in zip(x >> 24, (x >> 16) & 255, (x >> 8) & 255, x & 255, strict=True)
        ]
    )


def background(rng: np.random.Generator) -> pl.DataFrame:
    account = rng.integers(0, BACKGROUND_ACCOUNTS, BACKGROUND_EVENTS)
    ip = _dotted(rng.integers(0, 4_000_000, BACKGROUND_EVENTS))
    device = rng.integers(0, 1_000_000_000, BACKGROUND_EVENTS)
    return _frame(account, ip, device, rng)


def build(case: str, scale: float, path: Path) -> None:
    rng = np.random.default_rng(7)
    parts = [background(rng)]
    attacker = np.int64(999_999_999)
    if case == "background-only":
        pass
    elif case == "value-on-1m-accounts":
        n = int(1_000_000 * scale)
        account = np.arange(10_000_000, 10_000_000 + n)
        parts.append(_frame(account, _dotted(rng.integers(0, 4_000_000, n)), np.full(n, 7), rng))
    elif case == "1m-values-on-one-account":
        n = int(1_000_000 * scale)
        ips = _dotted(np.arange(5_000_000, 5_000_000 + n))
        partners = rng.integers(0, BACKGROUND_ACCOUNTS, n)
        # Devices of their own (no chance collisions), so the IPs are the only thing shared.
        devices = np.arange(2 * n) + 2 * 10**9
        parts.append(_frame(np.full(n, attacker), ips, devices[:n], rng))
        parts.append(_frame(partners, ips, devices[n:], rng))
    elif case == "10m-rows-on-one-account":
        n = int(10_000_000 * scale)
        ip = np.array(["203.0.113.9"])[np.zeros(n, dtype=np.int64)]
        parts.append(_frame(np.full(n, attacker), ip, np.full(n, 3), rng))
    else:
        raise SystemExit(f"unknown case {case}")
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.concat(parts).write_parquet(path)


def measure(events: Path, out: Path) -> dict[str, object]:
    run = timed(analyze_command(events, out))
    summary = json.loads((out / "summary.json").read_text())
    counts = summary["counts"]
    return {
        "wall_s": round(run["wall_s"], 1),
        "peak_mib": run["peak_mib"],
        "rows_read": summary["rows_read"],
        "values_capped": counts["values_capped"],
        "hub_values": counts.get("hub_values"),
        "sync_sample_rate": counts["sync_sample_rate"],
        "candidate_pairs": counts["candidate_pairs"],
        "link_partitions": counts.get("link_partitions"),
        "largest_cluster": max((c for c in _sizes(out)), default=0),
    }


def _sizes(out: Path) -> list[int]:
    clusters = out / "clusters.csv"
    if not clusters.exists():
        return []
    return pl.read_csv(clusters).get_column("n_accounts").to_list()


CASES = (
    "background-only",
    "value-on-1m-accounts",
    "1m-values-on-one-account",
    "10m-rows-on-one-account",
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--case", action="append", choices=CASES)
    args = parser.parse_args(argv)
    for case in args.case or CASES:
        events = args.work / f"{case}-{args.scale:g}" / "events.parquet"
        if not events.exists():
            build(case, args.scale, events)
        result = measure(events, events.parent / "out")
        print(json.dumps({"case": case, "scale": args.scale, **result}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
