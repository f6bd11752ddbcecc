"""The seed corpus of nasty files (``corpus/``, made by ``make_corpus.py``) always runs: each file
has a pinned outcome, through the readers and through the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _fuzzkit import Reader, check_one_line, load_or_refuse
from make_corpus import CORPUS

from sybilgraph.load import read_accounts, read_edges, read_events

READERS: dict[str, Reader] = {"events": read_events, "accounts": read_accounts, "edges": read_edges}
REFUSED = "refused"
# File name -> (rows read, rows rejected), or REFUSED for a one-line InputError.
EXPECTED: dict[str, tuple[int, int] | str] = {
    "accounts_bad_values.csv": (3, 1),
    "edges_bad_values.csv": (8, 7),
    "events_blank_header_names.csv": (1, 0),
    "events_blank_lines_only.csv": REFUSED,
    "events_bom_crlf.csv": (3, 0),
    "events_corrupt.csv.gz": REFUSED,
    "events_duplicate_headers.csv": (1, 0),
    "events_empty.csv": (0, 0),
    "events_far_dates.parquet": (3, 2),
    "events_formulas.csv": (4, 0),
    "events_gzip_of_nothing.csv.gz": REFUSED,
    "events_header_escape.csv": REFUSED,
    "events_header_only.csv": (0, 0),
    "events_invalid_utf8.csv": (2, 0),
    "events_ips.csv": (12, 0),
    "events_json_array.ndjson": REFUSED,
    "events_latin1.csv": (1, 0),
    "events_long_account_id.csv": (1, 0),
    "events_long_field.csv": (1, 0),
    "events_mixed_types.ndjson": (4, 1),
    "events_no_header.csv": REFUSED,
    "events_not_gzip.csv.gz": (1, 0),
    "events_not_json.ndjson": REFUSED,
    "events_not_parquet.parquet": REFUSED,
    "events_nul_and_newlines.csv": (2, 0),
    "events_null_spellings.csv": (6, 5),
    "events_only_magic.parquet": REFUSED,
    "events_ragged_fewer_fields.csv": (3, 0),
    "events_timestamps_extreme.csv": (13, 10),
    "events_truncated.csv.gz": REFUSED,
    "events_truncated.csv.zst": REFUSED,
    "events_truncated.parquet": REFUSED,
    "events_unbalanced_quote.csv": REFUSED,
    "events_utf16.csv": REFUSED,
    "events_wrong_types.parquet": REFUSED,
    "events_corrupt_page.parquet": REFUSED,
    "events_cr_only.csv": (2, 0),
    "events_list_signal.parquet": REFUSED,
    "events_ms_beyond_range.parquet": (2, 2),
    "events_ragged_more_fields.csv": REFUSED,
}


def test_corpus_is_small_and_fully_pinned() -> None:
    files = sorted(p.name for p in CORPUS.iterdir() if not p.name.startswith("."))
    assert files == sorted(EXPECTED)
    assert sum((CORPUS / f).stat().st_size for f in files) < 200_000


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name: str) -> None:
    expected = EXPECTED[name]
    reader = READERS[name.split("_", 1)[0]]
    path = CORPUS / name
    if isinstance(expected, str):
        outcome = load_or_refuse(reader, path)
        assert outcome.error is not None, f"{name} loaded; expected a refusal"
        assert str(path) in outcome.error
    else:
        rows, rejected = expected
        outcome = load_or_refuse(reader, path, rows)
        assert outcome.loaded is not None
        assert outcome.loaded.n_rejected == rejected


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "sybilgraph", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        check=False,
    )


# The nastiest files that must be refused (each run starts a Python process, so a few): a
# truncated binary, an encoding that is not CSV, a broken quote, a page that made polars panic
# and a row with more fields than the header.
CLI_REFUSED = [
    ("validate", "events_truncated.parquet"),
    ("validate", "events_utf16.csv"),
    ("analyze", "events_truncated.csv.gz"),
    ("analyze", "events_unbalanced_quote.csv"),
    ("validate", "events_corrupt_page.parquet"),
    ("analyze", "events_ragged_more_fields.csv"),
]


@pytest.mark.parametrize(("command", "name"), CLI_REFUSED)
def test_cli_refuses_with_one_line(tmp_path: Path, command: str, name: str) -> None:
    path = str(CORPUS / name)
    args = [command, path] if command == "validate" else [command, path, "-o", "out", "-q"]
    done = _cli(*args, cwd=tmp_path)
    assert "Traceback" not in done.stderr
    assert "panicked" not in done.stderr
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    check_one_line(lines[0])
    assert not (tmp_path / "out").exists()


def test_cli_analyzes_hostile_but_valid_files(tmp_path: Path) -> None:
    names = ["events_formulas.csv", "events_nul_and_newlines.csv", "events_invalid_utf8.csv"]
    done = _cli("analyze", *(str(CORPUS / n) for n in names), "-o", "out", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "out" / "summary.json").is_file()
