"""What every benchmark script shares: run a command in a child process under
``/usr/bin/time -v`` and read its wall time and peak resident memory, and the ``analyze``
command line they measure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def timed(cmd: Sequence[str], env: Mapping[str, str] | None = None) -> dict[str, float]:
    """Wall time (``wall_s``) and peak memory (``peak_mib``) of ``cmd``, run with ``env`` added
    to this process's environment; exits on failure."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *cmd],
        capture_output=True,
        text=True,
        env={**os.environ, **env} if env else None,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return {"wall_s": round(wall, 2), "peak_mib": round(int(found.group(1)) / 1024) if found else 0}


def analyze_command(
    events: Path, out: Path, *, accounts: Path | None = None, extra: Sequence[str] = ()
) -> list[str]:
    """``python -m sybilgraph analyze EVENTS [--accounts A] -o OUT --overwrite -q [EXTRA]``."""
    cmd = [sys.executable, "-m", "sybilgraph", "analyze", str(events)]
    if accounts is not None:
        cmd += ["--accounts", str(accounts)]
    return [*cmd, "-o", str(out), "--overwrite", "-q", *extra]
