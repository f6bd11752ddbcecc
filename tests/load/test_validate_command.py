"""``sybilgraph validate`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sybilgraph.cli import cli


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["validate", *args])
    return result.exit_code, result.stdout, result.stderr


def _files(tmp_path: Path) -> tuple[Path, Path]:
    events = tmp_path / "events.csv"
    events.write_text(
        "user,ts,client_ip,payment_fingerprint\n"
        "u1,2024-04-22T10:00:00Z,10.0.0.1,c1\n"
        "u2,1713772800,bogus,c1\n"
        ",2024-04-22,10.0.0.3,c2\n"
        "u3,never,10.0.0.4,\n"
    )
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("user,created_at,email\nu1,2024-04-01,u1@example.org\nu2,2024-04-02,u2\n")
    return events, accounts


def test_help_has_an_example() -> None:
    code, out, _ = _run("--help")
    assert code == 0
    assert "Example:\n      sybilgraph validate data/events.parquet" in out
    assert "--map THEIRS=OURS" in out


def test_text_report(tmp_path: Path) -> None:
    events, accounts = _files(tmp_path)
    code, out, err = _run(
        str(events),
        "--accounts",
        str(accounts),
        "--map",
        "user=account_id",
        "--map",
        "ts=timestamp",
        "--map",
        "client_ip=ip",
    )
    assert code == 0, err
    assert out.startswith("events: 1 file, 4 rows read, 2 loaded, 2 rejected\n")
    assert "distinct accounts: 2" in out
    assert "time range: 2024-04-22 08:00:00 UTC .. 2024-04-22 10:00:00 UTC" in out
    assert "signal columns: ip, payment_fingerprint" in out
    rows = [line.split() for line in out.splitlines()]
    assert ["missing_account_id", "user", "1"] in rows
    assert ["bad_timestamp", "ts", "1"] in rows
    assert ["client_ip", "bad_ip", "1"] in rows
    assert ["org_id", "100.0%"] in rows
    assert "accounts: 1 file, 2 rows read, 2 loaded, 0 rejected" in out
    assert ["email", "bad_email", "1"] in rows


def test_json_report_and_settings_file(tmp_path: Path) -> None:
    events, _ = _files(tmp_path)
    toml = tmp_path / "s.toml"
    toml.write_text('[columns]\nuser = "account_id"\nts = "timestamp"\n')
    code, out, err = _run(str(events), "--settings", str(toml), "--map", "client_ip=ip", "--json")
    assert code == 0, err
    report = json.loads(out)["input"]
    assert report["rows"] == {"read": 4, "loaded": 2, "rejected": 2}
    assert report["files"][0]["rows"] == 4
    assert report["files"][0]["format"] == "csv"
    assert report["null_rates"]["payment_fingerprint"] == 0.0
    assert {r["reason"] for r in report["rejects"]} == {"missing_account_id", "bad_timestamp"}
    assert report["dropped_values"] == [{"column": "client_ip", "reason": "bad_ip", "count": 1}]


def test_missing_account_id_exits_1_with_one_line(tmp_path: Path) -> None:
    events, _ = _files(tmp_path)
    code, out, err = _run(str(events))
    assert code == 1
    assert out == ""
    assert err == (
        f"Error: {events}: no 'account_id' column; found columns: user, ts, client_ip, "
        "payment_fingerprint. Map yours with --map user=account_id\n"
    )


def test_unreadable_file_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "events.parquet"
    broken.write_bytes(b"PAR1 truncated")
    code, _, err = _run(str(broken))
    assert code == 1
    assert err.startswith(f"Error: {broken}: cannot read as Parquet")
    assert err.count("\n") == 1


def test_missing_input_and_bad_map(tmp_path: Path) -> None:
    code, _, err = _run(str(tmp_path / "nope.csv"))
    assert (code, err) == (1, f"Error: {tmp_path / 'nope.csv'}: no such file or directory\n")
    events, _ = _files(tmp_path)
    code, _, err = _run(str(events), "--map", "user")
    assert code == 2
    assert "must look like SOURCE=TARGET" in err
