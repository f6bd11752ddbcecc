"""Pseudonymised exports keep the structure and hide every identifying string."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import sybilgraph
from sybilgraph.errors import SettingsError
from sybilgraph.export.pseudonymize import key_from_env, pseudonym

KEY = b"0123456789abcdef-test-key"


def test_outputs_carry_no_raw_ids_or_values(
    population: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    result = sybilgraph.analyze(*population)
    result.write(tmp_path / "plain")
    result.write(tmp_path / "pseudo", pseudonymize_key=KEY)
    members = pl.read_csv(tmp_path / "pseudo" / "members.csv")
    evidence = pl.read_csv(tmp_path / "pseudo" / "evidence.csv")
    raw_ids = set(result.members["account_id"])
    assert not raw_ids & set(members["account_id"])
    assert set(members["account_id"]) == {pseudonym(KEY, "account_id", a) for a in raw_ids}
    assert not set(result.evidence["signal_value"]) & set(evidence["signal_value"])
    # Structure is unchanged: same clusters, same sizes, same evidence counts.
    plain = pl.read_csv(tmp_path / "plain" / "clusters.csv")
    assert plain.equals(pl.read_csv(tmp_path / "pseudo" / "clusters.csv"))
    assert evidence.height == result.evidence.height
    text = "".join(p.read_text() for p in (tmp_path / "pseudo").glob("*.csv"))
    assert "ring-0" not in text
    assert "45.9.8." not in text


def test_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SG_TEST_KEY", raising=False)
    with pytest.raises(SettingsError, match="SG_TEST_KEY"):
        key_from_env("SG_TEST_KEY")
    monkeypatch.setenv("SG_TEST_KEY", "short")
    with pytest.raises(SettingsError, match="at least 16 bytes"):
        key_from_env("SG_TEST_KEY")
    monkeypatch.setenv("SG_TEST_KEY", "x" * 32)
    assert key_from_env("SG_TEST_KEY") == b"x" * 32


def test_pseudonyms_depend_on_key_and_kind() -> None:
    assert pseudonym(KEY, "ip", "1.2.3.4") != pseudonym(KEY + b"!", "ip", "1.2.3.4")
    assert pseudonym(KEY, "ip", "x") != pseudonym(KEY, "device_id", "x")
