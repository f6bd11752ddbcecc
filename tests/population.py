"""A small hand-built population with one planted ring, shared by several test modules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

UTC = dt.UTC
START = dt.datetime(2025, 5, 1, tzinfo=UTC)


def small_population(
    seed: int = 0, n_benign: int = 600, n_ring: int = 30
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Benign accounts with their own IPs and cards, some behind one carrier IP, and a ring
    that shares proxy exits, templates and cards and signed up in bursts."""
    rng = np.random.default_rng(seed)
    ev: dict[str, list] = {
        "account_id": [],
        "timestamp": [],
        "ip": [],
        "prompt_fingerprint": [],
        "user_agent": [],
    }
    acc: dict[str, list] = {"account_id": [], "created_at": [], "payment_fingerprint": []}

    def add(account: str, n: int, ip: list[str], prompt: list[str], ua: str) -> None:
        ev["account_id"] += [account] * n
        ev["timestamp"] += [START + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 20160, n)]
        ev["ip"] += [ip[int(i)] for i in rng.integers(0, len(ip), n)]
        ev["prompt_fingerprint"] += [prompt[int(i)] for i in rng.integers(0, len(prompt), n)]
        ev["user_agent"] += [ua] * n

    for i in range(n_benign):
        carrier = i % 5 == 0
        ips = ["100.64.0.1"] if carrier else [f"{20 + i % 200}.{i % 251}.{i % 7}.{i % 250}"]
        add(
            f"user-{i:04d}",
            int(rng.integers(1, 15)),
            ips,
            [f"p{i}-{k}" for k in range(5)],
            f"ua-{int(rng.zipf(1.6)) % 30}",
        )
        acc["account_id"].append(f"user-{i:04d}")
        acc["created_at"].append(START - dt.timedelta(days=int(rng.integers(1, 300))))
        acc["payment_fingerprint"].append(f"card-{i}" if rng.random() < 0.7 else None)
    exits = [f"45.9.8.{k}" for k in range(12)]
    templates = [f"tmpl-{k}" for k in range(6)]
    for i in range(n_ring):
        add(f"ring-{i:03d}", 60, exits, templates, "ua-ring")
        acc["account_id"].append(f"ring-{i:03d}")
        acc["created_at"].append(START + dt.timedelta(hours=i // 10, minutes=i % 10))
        acc["payment_fingerprint"].append(f"prepaid-{i // 6}")
    events = pl.DataFrame(ev).with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")))
    accounts = pl.DataFrame(acc).with_columns(pl.col("created_at").cast(pl.Datetime("us", "UTC")))
    return events, accounts
