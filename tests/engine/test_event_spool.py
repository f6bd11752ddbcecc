"""The events' spool written in the pass that validates them (``EventSpool``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sybilgraph import signals
from sybilgraph.errors import InputError, ScratchError
from sybilgraph.load import read_accounts, read_events
from sybilgraph.settings import Settings
from sybilgraph.signals import EventSpool, Observations, build_observations

SETTINGS = Settings(sync_types=("ip", "prompt_fingerprint"))


def _write_events(directory: Path) -> list[Path]:
    """Two files: one with a rejected row, one whose user agents are padded with spaces."""
    first = directory / "events-1.csv"
    rows = ["account_id,timestamp,ip,prompt_fingerprint,user_agent"]
    for i in range(120):
        rows.append(
            f"a{i % 12},2025-05-01T00:{i % 60:02d}:00Z,10.0.{i % 3}.{i % 5},p{i % 7},ua{i % 2}"
        )
    rows.append(",2025-05-01T00:00:00Z,10.0.0.1,p1,ua1")  # no account id: rejected
    first.write_text("\n".join(rows) + "\n")
    second = directory / "events-2.csv"
    rows = ["account_id,timestamp,ip,prompt_fingerprint,user_agent"]
    for i in range(80):
        rows.append(f"b{i % 8},2025-05-01T01:{i % 60:02d}:00Z,10.0.{i % 2}.9,p{i % 5},  ua{i % 2} ")
    second.write_text("\n".join(rows) + "\n")
    accounts = directory / "accounts.csv"
    accounts.write_text("account_id,payment_fingerprint\na1,card\nb1,card\nz,card\n")
    return [first, second]


def _observed(obs: Observations) -> tuple[pl.DataFrame, pl.DataFrame]:
    table = obs.table.collect().sort(pl.all())
    activity = obs.activity.drop(signals.ACCOUNT_KEY).sort(pl.all())
    return table, activity


def _observations(
    paths: list[Path], scratch: Path, tap: EventSpool | None
) -> tuple[Observations, pl.DataFrame]:
    loaded = read_events(paths, SETTINGS, tap=tap)
    accounts = read_accounts(paths[0].parent / "accounts.csv")
    obs = build_observations(
        loaded.frame,
        accounts.frame,
        None,
        SETTINGS,
        signal_columns=loaded.signal_columns,
        n_events=loaded.n_valid,
        stripped=True,
        spool_dir=scratch,
        spooled=tap,
    )
    return obs, loaded.rejects


def test_a_spool_made_while_reading_gives_the_same_observations(tmp_path: Path) -> None:
    paths = _write_events(tmp_path)
    (plain_dir := tmp_path / "plain").mkdir()
    (tapped_dir := tmp_path / "tapped").mkdir()
    plain, plain_rejects = _observations(paths, plain_dir, None)
    tap = EventSpool(tapped_dir)
    tapped, tapped_rejects = _observations(paths, tapped_dir, tap)
    assert tapped_rejects.equals(plain_rejects)
    assert tapped_rejects.height == 1
    # The events were not spooled again: only the files made while reading are there.
    assert sorted(p.name for p in tapped_dir.iterdir()) == [
        "events-spool-00000.parquet",
        "events-spool-00001.parquet",
    ]
    got_table, got_activity = _observed(tapped)
    want_table, want_activity = _observed(plain)
    assert got_table.equals(want_table)
    assert got_activity.equals(want_activity)
    assert got_activity.height == 21  # a0-a11, b0-b7 and z from the accounts
    assert {"ip", "ip_window", "prompt_window", "user_agent"} <= set(got_table["signal_type"])


def test_padded_values_are_spooled_stripped(tmp_path: Path) -> None:
    paths = _write_events(tmp_path)
    tap = EventSpool(tmp_path)
    read_events(paths, SETTINGS, tap=tap)
    agents = tap.spool.select("user_agent").unique().collect().get_column("user_agent")
    assert sorted(agents.to_list()) == ["ua0", "ua1"]


def test_colliding_account_keys_spool_the_events_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _write_events(tmp_path)
    (plain_dir := tmp_path / "plain").mkdir()
    expected = _observed(_observations(paths, plain_dir, None)[0])
    real_key = signals._account_key

    def colliding_first(account_id: pl.Expr, seed: int) -> pl.Expr:
        if seed == signals._KEY_SEEDS[0]:
            return (account_id.str.len_bytes() * 0).cast(pl.UInt64).alias(signals.ACCOUNT_KEY)
        return real_key(account_id, seed)

    monkeypatch.setattr(signals, "_account_key", colliding_first)
    (tapped_dir := tmp_path / "tapped").mkdir()
    tap = EventSpool(tapped_dir)
    obs, _ = _observations(paths, tapped_dir, tap)
    # The spool made under the colliding seed is gone; the events were spooled once more.
    assert [p.name for p in tapped_dir.iterdir()] == ["events-spool.parquet"]
    assert obs.activity.get_column(signals.ACCOUNT_KEY).n_unique() == obs.activity.height
    got = _observed(obs)
    assert got[0].equals(expected[0])
    assert got[1].equals(expected[1])


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_scratch_disk_while_reading_is_a_scratch_error(tmp_path: Path) -> None:
    paths = _write_events(tmp_path)
    (scratch := tmp_path / "scratch").mkdir()
    (scratch / "events-spool-00001.parquet").symlink_to("/dev/full")
    with pytest.raises(ScratchError, match=r"rows of .*events-2\.csv.*TMPDIR"):
        read_events(paths, SETTINGS, tap=EventSpool(scratch))


def test_a_broken_file_is_still_an_input_error_with_a_tap(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("account_id,ip\na,10.0.0.1\nb,10.0.0.2,extra,fields\n")
    with pytest.raises(InputError, match=r"events\.csv"):
        read_events(path, tap=EventSpool(tmp_path))


def _activity_sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select("account_id", "n_events", "first_seen", "last_seen", "org_id").sort(
        "account_id"
    )


def _spooled_events(
    directory: Path, rows: list[str], listed_ids: list[str]
) -> tuple[EventSpool, pl.LazyFrame, pl.LazyFrame]:
    """Events written as CSV and read with a spool, and an accounts table listing
    ``listed_ids``: the spool, the events' frame and the accounts' frame."""
    path = directory / "events.csv"
    path.write_text("\n".join(rows) + "\n")
    accounts = directory / "accounts.csv"
    accounts.write_text("\n".join(["account_id", *listed_ids]) + "\n")
    tap = EventSpool(directory)
    loaded = read_events(path, tap=tap)
    return tap, loaded.frame, read_accounts(accounts).frame


def test_the_activity_counted_on_the_spool_equals_the_one_counted_on_the_ids(
    tmp_path: Path,
) -> None:
    rows = ["account_id,timestamp,org_id,ip"]
    for i in range(60):
        org = f"org{i % 2}" if i % 3 == 0 else ""
        rows.append(f"a{i % 9},2025-05-01T00:{i:02d}:00Z,{org},10.0.0.{i % 4}")
    # The accounts table lists some of the events' accounts and one without events.
    tap, events, listed = _spooled_events(tmp_path, rows, ["a1", "a2", "a3", "z"])
    got = signals._spool_activity(tap.spool, events, listed, tap.seed)
    assert got is not None
    want = signals._event_activity(events).collect()
    assert _activity_sorted(got).equals(_activity_sorted(want))
    assert got.get_column("org_id").null_count() < got.height


def test_a_key_named_by_another_id_is_refused() -> None:
    # The spool's key is account "x"'s, but its rows carry the check hash of another id:
    # an id of the events collides with the table's "x", and the key cannot be named by it.
    key = pl.select(signals._account_key(pl.lit("x"), 0)).item()
    other = pl.select(signals._account_check(pl.lit("y"))).item()
    spool = pl.LazyFrame(
        {
            signals.ACCOUNT_KEY: [key],
            signals._SPOOL_CHECK: [other],
            "timestamp": [None],
            signals._SPOOL_ORG: [None],
        },
        schema_overrides={
            signals.ACCOUNT_KEY: pl.UInt64,
            signals._SPOOL_CHECK: pl.UInt32,
            "timestamp": pl.Datetime("us", "UTC"),
            signals._SPOOL_ORG: pl.String,
        },
    )
    listed = pl.LazyFrame({"account_id": ["x"]})
    events = pl.LazyFrame({"account_id": ["y"]})
    assert signals._spool_activity(spool, events, listed, 0) is None
    # Named by its own id, the same key is accepted.
    right = spool.with_columns(
        pl.lit(pl.select(signals._account_check(pl.lit("x"))).item(), dtype=pl.UInt32).alias(
            signals._SPOOL_CHECK
        )
    )
    named = signals._spool_activity(right, events, listed, 0)
    assert named is not None
    assert named.get_column("account_id").to_list() == ["x"]


def test_the_activity_counted_with_the_ips_equals_the_one_counted_alone(tmp_path: Path) -> None:
    # Events without an IP, and one whose IP is not an address (dropped on load), still count
    # towards their account's activity; they are no IP observation.
    rows = ["account_id,timestamp,ip"]
    for i in range(40):
        ip = "" if i % 5 == 0 else ("not-an-ip" if i == 7 else f"10.0.{i % 3}.{i % 4}")
        rows.append(f"a{i % 6},2025-05-01T{i % 24:02d}:{i:02d}:00Z,{ip}")
    tap, events, listed = _spooled_events(tmp_path, rows, ["a1", "a4", "z"])
    ip_rows = signals._ip_and_activity(tap.spool)
    folded = signals._spool_activity(
        tap.spool, events, listed, tap.seed, signals._key_activity_of(ip_rows)
    )
    alone = signals._spool_activity(tap.spool, events, listed, tap.seed)
    assert folded is not None
    assert alone is not None
    assert _activity_sorted(folded).equals(_activity_sorted(alone))
    assert folded.get_column("n_events").sum() == 40
    order = [signals.ACCOUNT_KEY, "signal_value"]
    ips = ip_rows.filter(pl.col("signal_value").is_not_null()).drop("_lo", "_hi").sort(order)
    assert ips.equals(signals._event_signal(tap.spool, "ip").collect().sort(order))
    assert ips.height < ip_rows.height
