"""Signals: normalisation and derived values."""

from __future__ import annotations

import datetime as dt

import polars as pl

from sybilgraph.settings import Settings
from sybilgraph.signals import build_observations, family_of

UTC = dt.UTC


def events(**cols: list) -> pl.LazyFrame:
    frame = pl.DataFrame(cols)
    if "timestamp" in frame.columns:
        frame = frame.with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")))
    return frame.lazy()


def values_of(obs_table: pl.LazyFrame, signal_type: str) -> list[tuple[str, str]]:
    rows = obs_table.filter(pl.col("signal_type") == signal_type).collect()
    return sorted(zip(rows["account_id"].to_list(), rows["signal_value"].to_list(), strict=True))


def test_ip_prefixes_v4_and_v6() -> None:
    ev = events(
        account_id=["a", "b", "c", "d"],
        ip=["10.1.2.3", " 10.1.2.200 ", "2001:DB8:1:2::7", None],
    )
    obs = build_observations(ev, None, None, Settings(sync_types=()))
    assert values_of(obs.table, "ip_prefix") == [
        ("a", "10.1.2.0/24"),
        ("b", "10.1.2.0/24"),
        ("c", "2001:db8:1::/48"),
    ]
    s16 = Settings(sync_types=(), ipv4_prefix=16)
    assert values_of(build_observations(ev, None, None, s16).table, "ip_prefix")[0] == (
        "a",
        "10.1.0.0/16",
    )


def test_empty_strings_are_not_values() -> None:
    ev = events(account_id=["a", "b"], device_id=["", "   "])
    obs = build_observations(ev, None, None, Settings())
    assert obs.table.collect().height == 0


def test_email_normalisation_and_stems() -> None:
    acc = pl.LazyFrame(
        {
            "account_id": ["a", "b", "c"],
            "email": [
                "John.Smith+promo@gmail.com",
                "johnsmith@googlemail.com",
                "jsmith1984@mail.ru",
            ],
        }
    )
    obs = build_observations(None, acc, None, Settings())
    assert values_of(obs.table, "email") == [
        ("a", "johnsmith@gmail.com"),
        ("b", "johnsmith@gmail.com"),
        ("c", "jsmith1984@mail.ru"),
    ]
    assert ("c", "jsmith@mail.ru") in values_of(obs.table, "email_stem")


def test_signup_bursts_on_offset_grids_do_not_split_a_burst() -> None:
    # Two sign-ups 2 minutes apart straddle a 10-minute boundary: the shifted grid joins them.
    created = [
        dt.datetime(2025, 5, 1, 9, 59, tzinfo=UTC),
        dt.datetime(2025, 5, 1, 10, 1, tzinfo=UTC),
    ]
    acc = pl.LazyFrame({"account_id": ["a", "b"], "created_at": created}).with_columns(
        pl.col("created_at").cast(pl.Datetime("us", "UTC"))
    )
    obs = build_observations(None, acc, None, Settings(signup_burst_minutes=10))
    bursts = obs.table.filter(pl.col("signal_type") == "signup_burst").collect()
    shared = bursts.group_by("signal_value").len().filter(pl.col("len") == 2)
    assert shared.height == 1


def test_sync_tokens_are_sampled_consistently_across_accounts() -> None:
    n = 400
    ev = events(
        account_id=[f"a{i % 40}" for i in range(n)],
        ip=[f"10.0.0.{i % 7}" for i in range(n)],
        timestamp=[
            dt.datetime(2025, 5, 1, tzinfo=UTC) + dt.timedelta(minutes=7 * i) for i in range(n)
        ],
    )
    s = Settings(sync_token_budget=200, sync_types=("ip",))
    one = build_observations(ev, None, None, s)
    two = build_observations(ev, None, None, s)
    assert 0 < one.sync_sample_rate < 1
    t1 = one.table.filter(pl.col("signal_type") == "ip_window").collect().sort(pl.all())
    assert t1.equals(
        two.table.filter(pl.col("signal_type") == "ip_window").collect().sort(pl.all())
    )
    full = build_observations(ev, None, None, Settings(sync_types=("ip",)))
    all_tokens = set(
        full.table.filter(pl.col("signal_type") == "ip_window").collect()["signal_value"]
    )
    kept = set(t1["signal_value"])
    assert kept < all_tokens
    # A kept token is kept for every account that used it.
    per_token_full = (
        full.table.filter(pl.col("signal_type") == "ip_window")
        .collect()
        .filter(pl.col("signal_value").is_in(list(kept)))
        .height
    )
    assert per_token_full == t1.height


def test_families_group_related_types() -> None:
    assert family_of("ip") == family_of("ip_prefix") == "network"
    assert family_of("prompt_fingerprint") == family_of("system_prompt_hash") == "content"
    assert family_of("my_custom_column") == "my_custom_column"
