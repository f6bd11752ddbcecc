"""Attacker-chosen strings reach the CSV outputs as text, never as spreadsheet formulas.

Account ids and user agents are chosen by the adversary; a spreadsheet runs a cell starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return. The CSVs written by ``analyze`` are
parsed back with the standard library and no cell may start with one of those, unless
``--unsafe-csv`` asked for the values verbatim.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+cmd",
    "-2+3",
    "@SUM(A1)",
    "\tleading-tab",
    "\rleading-cr",
    "<script>alert(1)</script>",
]


def _events(path: Path) -> None:
    """A ring of hostile-named accounts sharing a card and a device, so they are reported,
    among benign accounts with their own (without them, the shared values look like hubs)."""
    n = len(HOSTILE)
    benign = [f"benign-{i}" for i in range(300)]
    pl.DataFrame(
        {
            "account_id": [a for a in HOSTILE for _ in range(3)] + benign,
            "payment_fingerprint": ["card-ring"] * (3 * n) + [f"card-{b}" for b in benign],
            "device_id": ["dev-ring"] * (3 * n) + [f"dev-{b}" for b in benign],
            "user_agent": [HOSTILE[(i + 1) % n] for i in range(3 * n)] + ["ok"] * len(benign),
        }
    ).write_parquet(path)


def _run(events: Path, out: Path, *extra: str) -> None:
    env = {**os.environ}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    args = [sys.executable, "-m", "sybilgraph", "analyze", str(events), "-o", str(out), "-q"]
    done = subprocess.run(
        [*args, "--signal", "user_agent", *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _cells(out: Path) -> list[str]:
    cells: list[str] = []
    for path in sorted(out.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                cells.extend(row)
    return cells


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    root = tmp_path_factory.mktemp("csvsafety")
    events = root / "events.parquet"
    _events(events)
    _run(events, root / "safe")
    _run(events, root / "unsafe", "--unsafe-csv")
    return _cells(root / "safe"), _cells(root / "unsafe")


def test_no_cell_starts_like_a_formula(outputs: tuple[list[str], list[str]]) -> None:
    safe, _ = outputs
    assert safe, "no CSV cells written"
    bad = [c for c in safe if c.startswith(FORMULA_START)]
    assert bad == []


def test_hostile_ids_survive_as_quoted_text(outputs: tuple[list[str], list[str]]) -> None:
    safe, _ = outputs
    # Every hostile id is a member of the reported cluster; it is written with a leading quote
    # (formula-like) or as it is (the HTML-like one, which is harmless in a CSV).
    for value in HOSTILE:
        expected = "'" + value if value.startswith(FORMULA_START) else value
        assert expected in safe, value


def test_unsafe_csv_writes_values_verbatim(outputs: tuple[list[str], list[str]]) -> None:
    _, unsafe = outputs
    for value in HOSTILE:
        assert value in unsafe, value
    assert not any(c.startswith("'=") for c in unsafe)
