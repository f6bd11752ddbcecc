"""Signals: normalisation and derived values."""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
from collections.abc import Iterable
from pathlib import Path

import polars as pl
import pytest

from sybilgraph import signals
from sybilgraph.errors import ScratchError, SettingsError
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


def shared_windows(
    rows: Iterable[tuple[str, str, dt.datetime]], minutes: int, offsets: int
) -> list[tuple[str, str]]:
    """The (account, label) pairs of the windows two accounts share, from the definition:
    each (account, label prefix, time) row is in one window of each of ``offsets`` grids of
    ``minutes``-minute windows, grid ``g`` shifted by ``g * width // offsets`` seconds."""
    width = minutes * 60
    shifts = [g * width // offsets for g in range(offsets)]
    fmt = "%Y-%m-%dT%H:%M" if all(x % 60 == 0 for x in shifts) else "%Y-%m-%dT%H:%M:%S"
    users: dict[str, set[str]] = {}
    for account, prefix, at in rows:
        epoch = int(at.timestamp())
        for shift in shifts:
            first = ((epoch + shift) // width) * width - shift
            label = f"{prefix}{dt.datetime.fromtimestamp(first, UTC).strftime(fmt)}/{minutes}m"
            users.setdefault(label, set()).add(account)
    return sorted(
        (account, label) for label, who in users.items() if len(who) >= 2 for account in who
    )


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


@pytest.mark.parametrize("bits", range(8, 33))
def test_ipv4_networks_match_the_standard_library(bits: int) -> None:
    rng = random.Random(bits)
    ips = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(300)]
    ips += ["0.0.0.0", "255.255.255.255", "2001:db8::1", "not an ip"]
    got = pl.DataFrame({"ip": ips}).select(signals._ipv4_network(pl.col("ip"), bits))
    want = [
        str(ipaddress.ip_network(f"{ip}/{bits}", strict=False)) if "." in ip else None
        for ip in ips[:-1]
    ] + [None]
    assert got.to_series().to_list() == want


def test_empty_strings_are_not_values() -> None:
    ev = events(account_id=["a", "b"], device_id=["", "   "])
    obs = build_observations(ev, None, None, Settings())
    assert obs.table.collect().height == 0


def test_email_normalisation_and_stems() -> None:
    acc = pl.LazyFrame(
        {
            "account_id": ["a", "b", "c", "d", "e"],
            "email": [
                "John.Smith+promo@gmail.com",
                "johnsmith@googlemail.com",
                "jsmith1984@mail.ru",
                "j.smith77@mail.ru",
                "johnsmith42@gmail.com",
            ],
        }
    )
    obs = build_observations(None, acc, None, Settings())
    # Only values two accounts share are observed: each of c, d and e has a mailbox of its own.
    assert values_of(obs.table, "email") == [
        ("a", "johnsmith@gmail.com"),
        ("b", "johnsmith@gmail.com"),
    ]
    # The stem keeps the address's own domain: b's is googlemail.com's and shared by nobody.
    assert values_of(obs.table, "email_stem") == [
        ("a", "johnsmith@gmail.com"),
        ("c", "jsmith@mail.ru"),
        ("d", "jsmith@mail.ru"),
        ("e", "johnsmith@gmail.com"),
    ]
    assert values_of(obs.table, "email_domain") == [
        ("a", "gmail.com"),
        ("c", "mail.ru"),
        ("d", "mail.ru"),
        ("e", "gmail.com"),
    ]


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


@pytest.mark.parametrize(("minutes", "offsets"), [(10, 2), (7, 3), (1, 2)])
def test_signup_bursts_match_their_definition(minutes: int, offsets: int) -> None:
    # Bursts are grouped on integer keys; here they are made from the definition, one label
    # per (account, grid). With one-minute windows on two grids, the shifted grid's windows
    # start on the half minute and are labelled to the second.
    rng = random.Random(minutes * 10 + offsets)
    start = dt.datetime(2025, 5, 1, tzinfo=UTC)
    created = [start + dt.timedelta(seconds=rng.randrange(6 * 3600)) for _ in range(300)]
    ids = [f"a{i}" for i in range(len(created))]
    acc = pl.LazyFrame({"account_id": ids, "created_at": created}).with_columns(
        pl.col("created_at").cast(pl.Datetime("us", "UTC"))
    )
    s = Settings(signup_burst_minutes=minutes, sync_offsets=offsets)
    obs = build_observations(None, acc, None, s)
    expected = shared_windows(zip(ids, [""] * len(ids), created, strict=True), minutes, offsets)
    assert expected
    assert values_of(obs.table, "signup_burst") == expected


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


def _observed(obs_table: pl.LazyFrame) -> pl.DataFrame:
    return obs_table.collect().sort(pl.all())


def test_colliding_account_keys_fall_back_to_the_next_seed(monkeypatch) -> None:
    ev = events(
        account_id=["a", "b", "c", "a"],
        ip=["10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.2"],
        device_id=["d1", "d1", "d2", "d2"],
    )
    acc = pl.LazyFrame({"account_id": ["a", "b", "z"], "payment_fingerprint": ["p", "p", "p"]})
    expected = _observed(build_observations(ev, acc, None, Settings()).table)
    real_key = signals._account_key
    seeds: list[int] = []

    def colliding_first(account_id: pl.Expr, seed: int) -> pl.Expr:
        seeds.append(seed)
        if seed == signals._KEY_SEEDS[0]:
            # Every account gets the same key under the first seed.
            return (account_id.str.len_bytes() * 0).cast(pl.UInt64).alias(signals.ACCOUNT_KEY)
        return real_key(account_id, seed)

    monkeypatch.setattr(signals, "_account_key", colliding_first)
    obs = build_observations(ev, acc, None, Settings())
    assert set(seeds) == {signals._KEY_SEEDS[0], signals._KEY_SEEDS[1]}
    assert obs.activity.get_column(signals.ACCOUNT_KEY).n_unique() == obs.activity.height == 4
    assert _observed(obs.table).equals(expected)


def test_account_keys_colliding_under_every_seed_are_an_error(monkeypatch) -> None:
    def constant(account_id: pl.Expr, seed: int) -> pl.Expr:
        return (account_id.str.len_bytes() * 0).cast(pl.UInt64).alias(signals.ACCOUNT_KEY)

    monkeypatch.setattr(signals, "_account_key", constant)
    with pytest.raises(RuntimeError, match="colliding 64-bit keys"):
        build_observations(events(account_id=["a", "b"], ip=["x", "x"]), None, None, Settings())


def test_window_value_hashes_colliding_fall_back_to_the_next_seed(monkeypatch) -> None:
    at = dt.datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    ev = events(
        account_id=["a", "b", "a", "b", "c"],
        ip=["10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.3"],
        timestamp=[at] * 5,
    )
    s = Settings(sync_types=("ip",))
    expected = _observed(build_observations(ev, None, None, s).table)
    # Two shared IPs, two accounts each, on two grids.
    assert expected.filter(pl.col("signal_type") == "ip_window").height == 8
    real_hash = signals._value_hash
    seeds: list[int] = []

    def colliding_first(value: pl.Expr, seed: int) -> pl.Expr:
        seeds.append(seed)
        if seed == signals._KEY_SEEDS[0]:
            return (value.str.len_bytes() * 0).cast(pl.UInt64).alias("_h")
        return real_hash(value, seed)

    monkeypatch.setattr(signals, "_value_hash", colliding_first)
    assert _observed(build_observations(ev, None, None, s).table).equals(expected)
    assert set(seeds) == {signals._KEY_SEEDS[0], signals._KEY_SEEDS[1]}
    monkeypatch.setattr(signals, "_value_hash", lambda value, seed: colliding_first(value, 0))
    with pytest.raises(RuntimeError, match="collide under every hash seed"):
        build_observations(ev, None, None, s)


def test_an_unshared_value_hashing_like_a_shared_one_makes_no_token(monkeypatch) -> None:
    at = dt.datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    ev = events(
        account_id=["a", "b", "c"],
        ip=["10.0.0.1", "10.0.0.1", "10.0.0.9"],
        timestamp=[at] * 3,
    )
    s = Settings(sync_types=("ip",))
    expected = _observed(build_observations(ev, None, None, s).table)
    real_hash = signals._value_hash

    def alias_of_shared(value: pl.Expr, seed: int) -> pl.Expr:
        # 10.0.0.9 (account c alone) gets the hash of 10.0.0.1 (accounts a and b).
        return real_hash(
            pl.when(value == "10.0.0.9").then(pl.lit("10.0.0.1")).otherwise(value), seed
        )

    monkeypatch.setattr(signals, "_value_hash", alias_of_shared)
    got = _observed(build_observations(ev, None, None, s).table)
    windows = got.filter(pl.col("signal_type") == "ip_window")
    assert sorted(set(windows["account_id"])) == ["a", "b"]
    assert got.equals(expected)


def test_spool_on_disk_gives_the_same_observations(tmp_path: Path) -> None:
    n = 300
    ev = events(
        account_id=[f"a{i % 30}" for i in range(n)],
        ip=[f"10.0.{i % 3}.{i % 11}" for i in range(n)],
        prompt_fingerprint=[f"p{i % 97}" if i % 2 else f"own{i}" for i in range(n)],
        timestamp=[
            # 360 requests an hour, so IPs and prompts recur on other accounts within a window.
            dt.datetime(2025, 5, 1, tzinfo=UTC) + dt.timedelta(seconds=10 * i)
            for i in range(n)
        ],
    )
    s = Settings(sync_types=("ip", "prompt_fingerprint"))
    in_memory = build_observations(ev, None, None, s)
    on_disk = build_observations(ev, None, None, s, spool_dir=tmp_path)
    assert list(tmp_path.iterdir()), "the spool was not written to spool_dir"
    assert _observed(on_disk.table).equals(_observed(in_memory.table))
    types = set(_observed(on_disk.table)["signal_type"])
    assert {"ip", "ip_prefix", "prompt_fingerprint", "ip_window", "prompt_window"} <= types


@pytest.mark.parametrize("bits", [16, 32, 48, 64, 80, 96, 128])
def test_ipv6_networks_match_the_standard_library(bits: int) -> None:
    rng = random.Random(bits)
    addresses = ["::", "::1", "::ffff:1.2.3.4", "1::", "1:0:0:1::", "0:0:1::", "fe80::1:2"]
    for _ in range(2_000):
        # Hextets that are often zero, so that runs of zeros of every length are compressed.
        words = [rng.choice([0, 0, 0, rng.randrange(1 << 16)]) for _ in range(8)]
        addresses.append(
            str(ipaddress.IPv6Address(sum(w << (16 * i) for i, w in enumerate(words))))
        )
        addresses.append(":".join(f"{w:04X}" for w in words))
    network = signals._ipv6_network(bits)
    for address in [*addresses, "10.0.0.1", "not:an:ip", "1:2:3:4:5:6:7:8:9"]:
        try:
            expected: str | None = str(ipaddress.ip_network(f"{address}/{bits}", strict=False))
            if ":" not in address:
                expected = None
        except ValueError:
            expected = None
        assert network(address) == expected, address


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_scratch_disk_is_a_clear_error(tmp_path: Path) -> None:
    # Writes to /dev/full fail with "no space left on device", as on a full disk.
    (tmp_path / "events-spool.parquet").symlink_to("/dev/full")
    ev = events(account_id=["a", "b"], ip=["10.0.0.1", "10.0.0.1"])
    with pytest.raises(ScratchError, match=r"scratch copy of the events.*TMPDIR"):
        build_observations(ev, None, None, Settings(), spool_dir=tmp_path)


def test_every_part_has_one_row_per_account_and_value(
    population: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    # The encoding groups a type again only when it has several parts.
    events, accounts = population
    obs = build_observations(events.lazy(), accounts.lazy(), None, Settings())
    assert {typ for typ, _ in obs.parts} >= {"ip", "ip_prefix"}
    assert {typ for typ, _ in obs.keyed} == {"ip_window", "prompt_window", "signup_burst"}
    for typ, part in obs.parts:
        frame = part.collect()
        assert frame.height > 0, typ
        assert not frame.select("account_key", "signal_value").is_duplicated().any(), typ
    for typ, keyed in obs.keyed:
        frame = keyed.frame.collect()
        assert frame.height > 0, typ
        assert not frame.select("account_key", *keyed.keys).is_duplicated().any(), typ
        # One readable label per key, and no two keys with the same label.
        named = keyed.name(frame.select(keyed.keys).unique().lazy()).collect()
        assert named.height == frame.select(keyed.keys).n_unique(), typ
        assert named.get_column("signal_value").n_unique() == named.height, typ


def test_window_labels_tell_apart_grids_that_start_within_a_minute() -> None:
    # One-minute windows on two grids start on the minute and on the half minute: a request
    # at 10:00:40 is in the 10:00:00 window of one and the 10:00:30 window of the other.
    at = dt.datetime(2025, 5, 1, 10, 0, 40, tzinfo=UTC)
    ev = events(account_id=["a", "b"], ip=["10.0.0.1"] * 2, timestamp=[at, at])
    s = Settings(sync_types=("ip",), sync_window_minutes=1, sync_offsets=2)
    obs = build_observations(ev, None, None, s)
    tokens = obs.table.filter(pl.col("signal_type") == "ip_window").collect()
    assert sorted(tokens.filter(pl.col("account_id") == "a")["signal_value"]) == [
        "10.0.0.1 @ 2025-05-01T10:00:00/1m",
        "10.0.0.1 @ 2025-05-01T10:00:30/1m",
    ]


@pytest.mark.parametrize(("minutes", "offsets"), [(60, 2), (7, 3), (1, 1)])
def test_window_tokens_match_their_definition(minutes: int, offsets: int) -> None:
    # The tokens are grouped on packed integer keys; here they are made from the definition,
    # one label per (event, grid), with requests on the first and the last second of the range.
    rng = random.Random(minutes * 10 + offsets)
    width = minutes * 60
    start = dt.datetime(2025, 5, 1, 0, 0, 1, tzinfo=UTC)
    # The last request is on a window's last second, so that on every shifted grid it is in
    # a window after the last one of the unshifted grid.
    last = ((int(start.timestamp()) + 3 * 86_400) // width + 1) * width - 1
    end = dt.datetime.fromtimestamp(last, UTC)
    stamps = [start + dt.timedelta(seconds=rng.randrange(3 * 86_400)) for _ in range(600)]
    accounts = [f"a{rng.randrange(30)}" for _ in stamps]
    ips = [f"10.0.0.{rng.randrange(4)}" for _ in stamps]
    # Two accounts use each IP on the first second and two others on the last.
    for n in range(4):
        stamps += [start, start, end, end]
        accounts += ["first-1", "first-2", "last-1", "last-2"]
        ips += [f"10.0.0.{n}"] * 4
    s = Settings(sync_types=("ip",), sync_window_minutes=minutes, sync_offsets=offsets)
    obs = build_observations(events(account_id=accounts, ip=ips, timestamp=stamps), None, None, s)
    prefixes = [f"{ip} @ " for ip in ips]
    expected = shared_windows(zip(accounts, prefixes, stamps, strict=True), minutes, offsets)
    assert expected
    assert values_of(obs.table, "ip_window") == expected


def test_too_many_window_tokens_to_number_is_an_error() -> None:
    grid = signals._TokenGrid.of(Settings(), (0, 10**12))
    grid.check(1_000)
    with pytest.raises(SettingsError, match="too many synchrony tokens"):
        grid.check(10**12)


def test_a_column_of_few_values_gives_the_same_observations_as_categorical(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    n = 2_000
    ev = events(
        account_id=[f"a{i % 300}" for i in range(n)],
        user_agent=[f"Mozilla/5.0 client {i % 7}" if i % 5 else None for i in range(n)],
        timestamp=[dt.datetime(2025, 5, 1, tzinfo=UTC) + dt.timedelta(seconds=i) for i in range(n)],
    )
    assert signals._distinct_share(ev, "user_agent") <= signals._FEW_DISTINCT
    categorical = _observed(build_observations(ev, None, None, Settings()).table)
    monkeypatch.setattr(signals, "_FEW_DISTINCT", -1.0)
    plain = _observed(build_observations(ev, None, None, Settings()).table)
    assert categorical.equals(plain)
    assert categorical.filter(pl.col("signal_type") == "user_agent").height > 0


def test_signup_ip_networks_come_from_every_signup_ip() -> None:
    # Two sign-up IPs of one account each, in one /24: the addresses link nobody, the network
    # links both accounts.
    acc = pl.LazyFrame({"account_id": ["a", "b"], "signup_ip": ["10.0.0.1", "10.0.0.2"]})
    obs = build_observations(None, acc, None, Settings())
    assert values_of(obs.table, "signup_ip") == []
    assert values_of(obs.table, "ip_prefix") == [("a", "10.0.0.0/24"), ("b", "10.0.0.0/24")]
