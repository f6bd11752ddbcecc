"""The generated scenario: determinism, the data contract, and what is planted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

import sybilgraph.generate as gen
from sybilgraph.errors import SettingsError
from sybilgraph.generate import PRESETS, GenerateReport, generate
from sybilgraph.generate.presets import (
    Camouflage,
    CoordinatedTiming,
    Operation,
    ProxyRotation,
    SharedPayment,
)

FILES = ("events.parquet", "accounts.parquet", "truth.csv")
TINY = PRESETS["tiny"]
LOOKALIKE_KINDS = {f.name for f in dataclasses.fields(TINY.lookalikes)}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateReport]:
    out = tmp_path_factory.mktemp("tiny")
    return out, generate("tiny", seed=11, out_dir=out)


@pytest.fixture(scope="module")
def frames(
    tiny: tuple[Path, GenerateReport],
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    out, _ = tiny
    events = pl.read_parquet(out / "events.parquet")
    accounts = pl.read_parquet(out / "accounts.parquet")
    return events, accounts, _truth(out / "truth.csv")


def _truth(path: Path) -> pl.DataFrame:
    """The truth table with benign rows' empty operation_id as null."""
    truth = pl.read_csv(path, schema_overrides={"operation_id": pl.String})
    return truth.with_columns(pl.col("operation_id").replace("", None))


def _bytes(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in FILES}


def test_same_seed_gives_the_same_bytes(tiny: tuple[Path, GenerateReport], tmp_path: Path) -> None:
    out, _ = tiny
    generate("tiny", seed=11, out_dir=tmp_path)
    assert _bytes(tmp_path) == _bytes(out)


def test_different_seeds_give_different_data(
    tiny: tuple[Path, GenerateReport], tmp_path: Path
) -> None:
    out, _ = tiny
    generate("tiny", seed=12, out_dir=tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() != (out / name).read_bytes()


def test_files_follow_the_data_contract(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    events, accounts, truth = frames
    ts = pl.Datetime("us", "UTC")
    assert events.schema == pl.Schema(
        {
            "account_id": pl.String,
            "timestamp": ts,
            "org_id": pl.String,
            "ip": pl.String,
            "prompt_fingerprint": pl.String,
            "system_prompt_hash": pl.String,
            "user_agent": pl.String,
            "device_id": pl.String,
        }
    )
    assert accounts.schema == pl.Schema(
        {
            "account_id": pl.String,
            "created_at": ts,
            "org_id": pl.String,
            "email": pl.String,
            "payment_fingerprint": pl.String,
            "signup_ip": pl.String,
            "country": pl.String,
        }
    )
    assert truth.columns == ["account_id", "operation_id", "kind"]
    required = ["account_id", "timestamp", "ip", "prompt_fingerprint", "user_agent", "device_id"]
    assert events.select(pl.col(required).null_count().sum()).row(0) == (0,) * len(required)
    assert accounts.select(
        pl.col("account_id", "created_at", "email", "country").null_count().sum()
    ).row(0) == (0, 0, 0, 0)
    hexes = events.select("prompt_fingerprint", "device_id", "system_prompt_hash").unpivot()
    assert hexes.drop_nulls()["value"].str.contains(r"^[0-9a-f]{16}$").all()
    assert accounts["country"].str.contains(r"^[A-Z]{2}$").all()


def test_ips_are_valid_and_canonical_with_some_ipv6(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    events, accounts, _ = frames
    ips = pl.concat([events["ip"], accounts["signup_ip"]]).unique().to_list()
    assert all(str(ipaddress.ip_address(ip)) == ip for ip in ips)
    v6 = sum(":" in ip for ip in ips)
    assert 0.02 < v6 / len(ips) < 0.5


def test_truth_covers_every_account_exactly_once(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    events, accounts, truth = frames
    assert truth["account_id"].is_unique().all()
    assert set(truth["account_id"]) == set(accounts["account_id"])
    assert set(events["account_id"]) <= set(accounts["account_id"])
    assert accounts["account_id"].to_list() == sorted(accounts["account_id"])
    benign = truth.filter(pl.col("operation_id").is_null())
    assert len(benign) > 0.9 * len(truth)
    assert not benign["kind"].str.starts_with("op_").any()
    assert truth.drop_nulls("operation_id")["kind"].str.starts_with("op_").all()


def test_every_planted_kind_is_present(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    events, _, truth = frames
    planted = {"benign"} | LOOKALIKE_KINDS | {op.kind for op in TINY.operations}
    assert set(truth["kind"]) == planted
    active = set(events.join(truth, on="account_id")["kind"])
    assert active == planted


def test_operation_sizes_and_volumes_are_as_the_preset_says(
    tiny: tuple[Path, GenerateReport], frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]
) -> None:
    events, _, truth = frames
    sizes = dict(truth.drop_nulls("operation_id").group_by("operation_id").len().iter_rows())
    assert sizes == {op.operation_id: op.n_accounts for op in TINY.operations}
    made = dict(
        events.join(truth, on="account_id")
        .drop_nulls("operation_id")
        .group_by("operation_id")
        .len()
        .iter_rows()
    )
    planned = {
        op.operation_id: round(op.n_accounts * op.events_per_account) for op in TINY.operations
    }
    assert made == planned
    _, report = tiny
    assert {op.operation_id: op.n_events for op in report.operations} == planned


def test_events_are_in_time_order_inside_the_window(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    events, accounts, _ = frames
    assert events["timestamp"].is_sorted()
    assert events["timestamp"].min() >= TINY.start
    assert events["timestamp"].max() < TINY.end
    late = events.join(accounts, on="account_id").filter(pl.col("timestamp") < pl.col("created_at"))
    assert late.is_empty()


def test_ordinary_activity_is_heavy_tailed(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    events, _, truth = frames
    per = events.join(truth.filter(kind="benign"), on="account_id").group_by("account_id").len()
    assert 4 <= per["len"].median() <= 12
    assert per["len"].max() > 20 * per["len"].median()


def test_lookalikes_share_values_for_innocent_reasons(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    events, accounts, truth = frames
    acc = accounts.join(truth, on="account_id")
    ev = events.join(truth, on="account_id")

    # Carrier NAT: each address carries many subscribers.
    cgnat = ev.filter(kind="cgnat").group_by("ip").agg(pl.col("account_id").n_unique())
    assert cgnat["account_id"].max() >= 50
    # Corporate seats: one declared org, one card and one internal system prompt per org.
    corp = acc.filter(kind="corporate_nat")
    assert corp["org_id"].null_count() == 0
    per_org = corp.group_by("org_id").agg(pl.col("payment_fingerprint").n_unique())
    assert (per_org["payment_fingerprint"] == 1).all()
    # Families: 2-5 accounts on one card.
    fam = acc.filter(kind="family").group_by("payment_fingerprint").len()
    assert fam["len"].min() >= 2
    assert fam["len"].max() <= 5
    # Hackathon: every attendee signed up within about two hours.
    hack = acc.filter(kind="hackathon")["created_at"]
    assert (hack.max() - hack.min()) <= dt.timedelta(hours=2)
    # Aggregator: the platform's client string on every sub-account.
    agg = ev.filter(kind="aggregator")
    assert agg["user_agent"].n_unique() == 1
    assert agg["org_id"].n_unique() == 1


def test_operations_show_their_behaviours(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    events, accounts, truth = frames
    acc = accounts.join(truth, on="account_id")
    ev = events.join(truth, on="account_id")

    # Shared payment: batch cards on 10+ accounts each (a few own cards as camouflage).
    hydra_cards = acc.filter(kind="op_hydra").group_by("payment_fingerprint").len()
    assert hydra_cards["len"].max() >= 10
    # Proxy rotation: the farm's traffic sits in a few /24s.
    farm = ev.filter(kind="op_proxy_farm").with_columns(net=pl.col("ip").str.replace(r"\.\d+$", ""))
    top = farm.group_by("net").len().sort("len", descending=True).head(2)["len"].sum()
    assert top / len(farm) > 0.8
    # Hydra front: one client string, hand-overs between accounts within seconds.
    hydra = ev.filter(kind="op_hydra").sort("timestamp")
    assert hydra["user_agent"].n_unique() == 1
    switch = hydra.with_columns(
        gap=pl.col("timestamp").diff().dt.total_seconds(),
        new=pl.col("account_id") != pl.col("account_id").shift(),
    ).filter(pl.col("new") & pl.col("gap").is_not_null())
    assert switch["gap"].median() <= 10
    # Bulk creation: the card farm's 40 accounts signed up in two bursts of minutes.
    burst = acc.filter(kind="op_card_farm")["created_at"].dt.truncate("1h")
    assert burst.n_unique() <= 4
    # Regrowth: the second generation starts after the first stops.
    regrowth = (
        ev.filter(kind="op_regrowth")
        .group_by("account_id")
        .agg(pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last"))
    )
    assert regrowth["first"].max() > regrowth["last"].min()


def test_report_counts_match_the_files(
    tiny: tuple[Path, GenerateReport], frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]
) -> None:
    out, report = tiny
    events, accounts, truth = frames
    assert report.n_events == len(events)
    assert report.n_accounts == len(accounts)
    assert report.accounts_by_kind == dict(truth.group_by("kind").len().iter_rows())
    assert report.file_sizes == {name: (out / name).stat().st_size for name in FILES}
    assert report.lines()[0].startswith("preset 'tiny', seed 11:")


def test_events_are_written_in_bounded_row_groups(tiny: tuple[Path, GenerateReport]) -> None:
    out, _ = tiny
    meta = pq.ParquetFile(out / "events.parquet").metadata
    assert meta.num_rows > 0
    assert all(meta.row_group(i).num_rows <= 2_000_000 for i in range(meta.num_row_groups))


def test_an_exact_total_is_met_exactly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    op = Operation(
        "op-main",
        "op_main",
        37,
        0.0,
        total_events=1_001,
        start_day=2,
        end_day=9,
        payment=SharedPayment(),
        proxy=ProxyRotation(n_subnets=1, n_exits=10),
        timing=CoordinatedTiming(),
        camouflage=Camouflage(own_card_share=0.0),
    )
    preset = dataclasses.replace(TINY, name="exact", operations=(op,))
    monkeypatch.setattr(gen, "PRESETS", {"exact": preset})
    report = generate("exact", seed=5, out_dir=tmp_path)
    (main,) = report.operations
    assert (main.n_accounts, main.n_events, main.active_days) == (37, 1_001, 7)
    truth = _truth(tmp_path / "truth.csv")
    events = pl.read_parquet(tmp_path / "events.parquet").join(truth, on="account_id")
    per = events.filter(kind="op_main").group_by("account_id").len()["len"]
    assert per.sum() == 1_001
    assert per.max() - per.min() <= 0.2 * per.mean()


def test_the_article_preset_describes_the_documented_case() -> None:
    article = PRESETS["article"]
    main = next(op for op in article.operations if op.operation_id == "op-main")
    assert (main.n_accounts, main.total_events) == (25_000, 28_800_000)
    assert article.start == dt.datetime(2025, 4, 22, tzinfo=dt.UTC)
    assert article.end == dt.datetime(2025, 6, 6, tzinfo=dt.UTC)
    assert main.start_day == 0
    assert main.end_day is None
    assert main.regrowth is None
    benign = article.benign.n_accounts
    assert 1_500_000 <= benign <= 2_000_000


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_operation_has_two_evidence_families_but_not_all(name: str) -> None:
    for op in PRESETS[name].operations:
        assert 2 <= len(op.behaviours()) < 7, op.operation_id


def test_sample_preset_has_the_documented_spread_of_operations() -> None:
    sizes = sorted(op.n_accounts for op in PRESETS["sample"].operations)
    assert 6 <= len(sizes) <= 8
    assert sizes[0] < 15
    assert sizes[-1] >= 700


@pytest.mark.parametrize(
    ("preset", "seed", "message"),
    [("huge", 1, "must be one of tiny, sample, medium, article"), ("tiny", -1, "int >= 0")],
)
def test_bad_parameters_raise_settings_errors(
    preset: str, seed: int, message: str, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError, match=message):
        generate(preset, seed, tmp_path)


@pytest.mark.slow
def test_medium_preset_plants_what_it_says(tmp_path: Path) -> None:
    report = generate("medium", seed=3, out_dir=tmp_path)
    medium = PRESETS["medium"]
    assert 180_000 <= report.n_accounts <= 220_000
    assert 2_000_000 <= report.n_events <= 8_000_000
    planned = {op.operation_id: op.n_accounts for op in medium.operations}
    assert {op.operation_id: op.n_accounts for op in report.operations} == planned
    main = next(op for op in report.operations if op.operation_id == "op-main")
    assert main.active_days == 45
    assert main.n_events == 5_000 * 200
