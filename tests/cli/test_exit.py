"""The console entry point ends the process itself: exit codes and piped output survive it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from population import small_population

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "sybilgraph", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_piped_output_is_complete_after_a_run(tmp_path: Path) -> None:
    events, accounts = small_population(seed=5)
    events.write_parquet(tmp_path / "events.parquet")
    accounts.write_parquet(tmp_path / "accounts.parquet")
    done = _run(
        "analyze",
        "events.parquet",
        "--accounts",
        "accounts.parquet",
        "-o",
        "out",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    # The ranked table is what the run prints on stdout; all of it reaches the pipe.
    lines = done.stdout.splitlines()
    assert lines[0].startswith("rank  cluster"), done.stdout
    assert lines[1].lstrip().startswith("1  C0001"), done.stdout
    assert (tmp_path / "out" / "clusters.csv").exists()
    # Progress and the closing line go to stderr.
    assert "Wrote " in done.stderr


def test_exit_codes_of_failures(tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_text("ip\n10.0.0.1\n")
    bad = _run("analyze", "events.csv", "-o", "out", "-q", cwd=tmp_path)
    assert bad.returncode == 1
    assert "account_id" in bad.stderr
    usage = _run("analyze", "--no-such-option", cwd=tmp_path)
    assert usage.returncode == 2
    assert "no-such-option" in usage.stderr
    assert _run("--version", cwd=tmp_path).stdout.startswith("sybilgraph")
