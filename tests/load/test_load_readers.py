"""Readers: mapping, forms, rejects, dropped values and the one-line errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sybilgraph.errors import InputError, SettingsError
from sybilgraph.load import (
    parse_column_maps,
    read_accounts,
    read_edges,
    read_events,
    read_input,
    read_truth,
)
from sybilgraph.schema import DATETIME
from sybilgraph.settings import Settings


def _csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_events_frame_is_lazy_and_canonical(tmp_path: Path) -> None:
    p = _csv(
        tmp_path / "e.csv",
        "account_id,timestamp,ip,user_agent,device_id,other\n"
        "a,2024-04-22T10:00:00Z,10.0.0.1,curl,d1,x\n",
    )
    loaded = read_events(p)
    assert isinstance(loaded.frame, pl.LazyFrame)
    assert loaded.frame.collect_schema() == pl.Schema(
        {
            "account_id": pl.String(),
            "timestamp": DATETIME,
            "org_id": pl.String(),
            "ip": pl.String(),
            "user_agent": pl.String(),
            "device_id": pl.String(),
        }
    )
    assert loaded.signal_columns == ("ip", "user_agent", "device_id")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "ndjson"])
def test_frame_is_a_plan_over_the_file_not_data_in_memory(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"e.{fmt}"
    frame = pl.DataFrame({"account_id": ["a", ""], "ip": ["10.0.0.1", "x"]})
    {"csv": frame.write_csv, "parquet": frame.write_parquet, "ndjson": frame.write_ndjson}[fmt](
        path
    )
    plan = read_events(path).frame.explain()
    scan = {"csv": "Csv SCAN", "parquet": "Parquet SCAN", "ndjson": "NDJson SCAN"}[fmt]
    assert scan in plan
    assert "DF [" not in plan  # no in-memory table was scanned


def test_ids_and_times_are_never_extra_signals(tmp_path: Path) -> None:
    p = _csv(tmp_path / "e.csv", "account_id,timestamp,tier\na,2024-04-22,gold\n")
    loaded = read_events(p, Settings(extra_signals=("account_id", "timestamp", "tier")))
    assert loaded.signal_columns == ("tier",)


def test_absent_timestamp_column_gives_null_times(tmp_path: Path) -> None:
    loaded = read_events(_csv(tmp_path / "e.csv", "account_id,ip\na,10.0.0.1\n"))
    out = loaded.frame.collect()
    assert out.schema["timestamp"] == DATETIME
    assert out["timestamp"].to_list() == [None]
    assert loaded.rejects.height == 0


def test_parquet_native_types_are_cast(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    pl.DataFrame(
        {"account_id": [17, 18], "timestamp": [1713772800, 1713772800123], "device_id": [1, 2]}
    ).write_parquet(path)
    out = read_events(path).frame.collect()
    assert out["account_id"].to_list() == ["17", "18"]
    assert out["device_id"].to_list() == ["1", "2"]
    assert out["timestamp"].dt.epoch("ms").to_list() == [1713772800000, 1713772800123]


def test_blank_values_are_missing(tmp_path: Path) -> None:
    p = _csv(tmp_path / "e.csv", 'account_id,ip,user_agent\na,"  ",""\nb,10.0.0.1,"\t"\n')
    loaded = read_events(p)
    out = loaded.frame.collect()
    assert out["ip"].to_list() == [None, "10.0.0.1"]
    assert out["user_agent"].to_list() == [None, None]
    # A blank value is missing, not bad: nothing is counted as dropped.
    assert loaded.dropped_values.height == 0


def test_text_signals_are_stripped_in_the_files_that_need_it(tmp_path: Path) -> None:
    padded = _csv(
        tmp_path / "a.csv",
        'account_id,user_agent,device_id,tag\n a ," curl\t",d1," t1"\nb,curl,d2,t2\n',
    )
    clean = _csv(tmp_path / "b.csv", "account_id,user_agent,device_id,tag\nc,curl,d3,t3\n")
    loaded = read_events([padded, clean], Settings(extra_signals=("tag",)))
    out = loaded.frame.collect()
    assert out["user_agent"].to_list() == ["curl", "curl", "curl"]
    assert out["device_id"].to_list() == ["d1", "d2", "d3"]
    assert out["tag"].to_list() == ["t1", "t2", "t3"]
    # An account id is an identifier, not a signal value: it is kept as written.
    assert out["account_id"].to_list() == [" a ", "b", "c"]


def test_mapping_from_settings_and_extra_signals(tmp_path: Path) -> None:
    p = _csv(tmp_path / "e.csv", "user,ts,client_ip,tls_ja3\nu1,1713772800,10.0.0.1,abc\n")
    settings = Settings(
        columns={"user": "account_id", "ts": "timestamp", "client_ip": "ip"},
        extra_signals=("tls_ja3",),
    )
    loaded = read_events(p, settings)
    out = loaded.frame.collect()
    assert out.columns == ["account_id", "timestamp", "org_id", "ip", "tls_ja3"]
    assert loaded.signal_columns == ("ip", "tls_ja3")


def test_mapping_from_a_toml_columns_table(tmp_path: Path) -> None:
    toml = tmp_path / "s.toml"
    toml.write_text('[columns]\nuser = "account_id"\nclient_ip = "ip"\n')
    p = _csv(tmp_path / "e.csv", "user,client_ip\nu1,bogus\n")
    loaded = read_events(p, Settings.from_toml(toml))
    assert loaded.frame.collect()["account_id"].to_list() == ["u1"]
    # Reports name the user's own column.
    assert loaded.dropped_values.rows() == [("client_ip", "bad_ip", 1)]


def test_parse_column_maps() -> None:
    assert parse_column_maps(["client_ip=ip", " user = account_id "]) == {
        "client_ip": "ip",
        "user": "account_id",
    }
    for bad in ["client_ip", "=ip", "ip=", "a=b=c"]:
        with pytest.raises(SettingsError, match="must look like SOURCE=TARGET"):
            parse_column_maps([bad])
    with pytest.raises(SettingsError, match="mapped twice"):
        parse_column_maps(["a=ip", "a=device_id"])


def test_mapping_onto_an_existing_column_is_an_error(tmp_path: Path) -> None:
    p = _csv(tmp_path / "e.csv", "account_id,client_ip,ip\na,1.1.1.1,2.2.2.2\n")
    with pytest.raises(InputError, match="'client_ip' and 'ip' would both be named 'ip'"):
        read_events(p, Settings(columns={"client_ip": "ip"}))


def test_missing_account_id_is_one_line_with_a_hint(tmp_path: Path) -> None:
    p = _csv(tmp_path / "events.csv", "user,ip,ts\nu,1.1.1.1,1\n")
    with pytest.raises(InputError) as err:
        read_events(p)
    assert str(err.value) == (
        f"{p}: no 'account_id' column; found columns: user, ip, ts. "
        "Map yours with --map user=account_id"
    )


def test_missing_edge_columns_are_reported_together(tmp_path: Path) -> None:
    p = _csv(tmp_path / "edges.csv", "account_id,type\na,ip\n")
    with pytest.raises(InputError, match="no 'signal_type' or 'signal_value' column"):
        read_edges(p)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "ragged.csv",
            b"account_id,ip\na,1.1.1.1,extra\n",
            "cannot read as CSV: found more fields",
        ),
        ("broken.parquet", b"PAR1 not really parquet", "cannot read as Parquet"),
        ("broken.ndjson", b'{"account_id": "a"}\n{"account_id": \n', "cannot read as NDJSON"),
        ("broken.csv.gz", b"\x1f\x8b\x08\x00garbage", "cannot"),
    ],
)
def test_an_unreadable_file_is_one_line_naming_it(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        read_events(path)
    assert str(err.value).startswith(f"{path}: ")
    assert "\n" not in str(err.value)


def test_every_events_reject_reason_and_row_numbers_per_file(tmp_path: Path) -> None:
    a = _csv(
        tmp_path / "a.csv",
        "account_id,timestamp\nok,2024-04-22\n,2024-04-22\nNA,2024-04-22\n"
        "x,not a time\n  ,1900-01-01\n",
    )
    b = _csv(tmp_path / "b.csv", "account_id,timestamp\n,\nfine,\n")
    loaded = read_events([a, b])
    assert loaded.rejects.schema == pl.Schema(
        {"source": pl.String(), "row": pl.Int64(), "reason": pl.String(), "column": pl.String()}
    )
    assert loaded.rejects.rows() == [
        (str(a), 2, "missing_account_id", "account_id"),
        (str(a), 3, "missing_account_id", "account_id"),
        (str(a), 4, "bad_timestamp", "timestamp"),
        # One entry per rejected row, under its first problem in column order.
        (str(a), 5, "missing_account_id", "account_id"),
        (str(b), 1, "missing_account_id", "account_id"),
    ]
    assert loaded.n_rows == 7
    assert loaded.n_rejected == 5
    assert loaded.frame.collect()["account_id"].to_list() == ["ok", "fine"]


def test_every_edges_reject_reason(tmp_path: Path) -> None:
    p = _csv(
        tmp_path / "edges.csv",
        "account_id,signal_type,signal_value,count,timestamp\n"
        "a,ip,10.0.0.1,3,2024-04-22\n"
        "b,,v,1,2024-04-22\n"
        "c,ip,,1,2024-04-22\n"
        "d,ip,10.0.0.1,-2,2024-04-22\n"
        "e,ip,10.0.0.1,2.5,2024-04-22\n"
        "f,ip,10.0.0.1,,yesterday\n"
        "g,ip,not-an-ip,1,\n"
        "h,device_id,not-an-ip,,\n",
    )
    loaded = read_input(p)
    assert loaded.kind == "edges"
    assert [(r, reason) for _, r, reason, _ in loaded.rejects.rows()] == [
        (2, "missing_signal_type"),
        (3, "missing_signal_value"),
        (4, "bad_count"),
        (5, "bad_count"),
        (6, "bad_timestamp"),
        (7, "bad_ip"),
    ]
    out = loaded.frame.collect()
    assert out.columns == [
        "account_id",
        "signal_type",
        "signal_value",
        "count",
        "first_seen",
        "last_seen",
    ]
    assert out["count"].to_list() == [3, 1]
    assert out["first_seen"].to_list() == out["last_seen"].to_list()


def test_edges_first_and_last_seen(tmp_path: Path) -> None:
    p = _csv(
        tmp_path / "edges.csv",
        "account_id,signal_type,signal_value,first_seen,last_seen\n"
        "a,ip,10.0.0.1,2024-04-22,2024-05-01\n",
    )
    out = read_edges(p).frame.collect()
    assert out["count"].to_list() == [1]
    assert out["first_seen"].dt.day().to_list() == [22]
    assert out["last_seen"].dt.month().to_list() == [5]


def test_events_and_edges_cannot_be_mixed(tmp_path: Path) -> None:
    e = _csv(tmp_path / "e.csv", "account_id,ip\na,10.0.0.1\n")
    g = _csv(tmp_path / "g.csv", "account_id,signal_type,signal_value\na,ip,10.0.0.1\n")
    with pytest.raises(InputError, match="edges form"):
        read_input([e, g])


def test_bad_values_are_dropped_not_the_row(tmp_path: Path) -> None:
    p = _csv(
        tmp_path / "accounts.csv",
        "account_id,created_at,email,signup_ip,country\n"
        "a,2024-04-01,a@example.org,10.0.0.1,FR\n"
        "b,someday,no-at-sign,300.1.1.1,DE\n"
        "c,,c@example.org,::ffff:10.0.0.1,\n"
        ",2024-04-01,x@example.org,10.0.0.1,FR\n",
    )
    loaded = read_accounts(p)
    assert loaded.rejects["reason"].to_list() == ["missing_account_id"]
    assert sorted(loaded.dropped_values.rows()) == [
        ("created_at", "bad_timestamp", 1),
        ("email", "bad_email", 1),
        ("signup_ip", "bad_ip", 1),
    ]
    out = loaded.frame.collect()
    assert out.columns == ["account_id", "created_at", "email", "signup_ip", "country"]
    assert out.row(1) == ("b", None, None, None, "DE")
    assert out["signup_ip"].to_list() == ["10.0.0.1", None, "::ffff:10.0.0.1"]
    assert loaded.signal_columns == ("email", "signup_ip")


def test_values_of_rejected_rows_are_not_counted_as_dropped(tmp_path: Path) -> None:
    p = _csv(tmp_path / "e.csv", "account_id,ip\n,bogus\na,bogus\n")
    assert read_events(p).dropped_values.rows() == [("ip", "bad_ip", 1)]


def test_read_truth(tmp_path: Path) -> None:
    p = _csv(
        tmp_path / "truth.csv", "account_id,operation_id,kind\na,op1,sybil\nb,,cgnat\na,op1,sybil\n"
    )
    assert read_truth(p).rows() == [("a", "op1", "sybil"), ("b", None, "cgnat")]
    clash = _csv(tmp_path / "clash.csv", "account_id,operation_id\na,op1\na,op2\n")
    with pytest.raises(InputError, match="account 'a' appears with different operations"):
        read_truth(clash)
    blank = _csv(tmp_path / "blank.csv", "account_id,operation_id\n,op1\n")
    with pytest.raises(InputError, match=r"1 row\(s\) without an account_id \(rows 1\)"):
        read_truth(blank)
    with pytest.raises(InputError, match="no 'operation_id' column"):
        read_truth(_csv(tmp_path / "t2.csv", "account_id\na\n"))
