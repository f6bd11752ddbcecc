"""report.html in a real browser: headless Chromium loads it with no console message at all.

The page has no script, so any console line is a problem: a CSP violation (something tried to
load or run), a parse error, an uncaught exception. Skipped only when Chromium is missing and
SYBILGRAPH_REQUIRE_BROWSER is unset; with it set, a missing browser fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sybilgraph.export.report import write_report

CHROMIUM = "/usr/bin/chromium"
# Console messages and script or policy failures, as Chromium logs them with --enable-logging.
PROBLEM = re.compile(r":CONSOLE|Uncaught|Refused|Content Security Policy", re.IGNORECASE)


@pytest.fixture(scope="module")
def chromium() -> str:
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.environ.get("SYBILGRAPH_REQUIRE_BROWSER"):
        pytest.fail(f"SYBILGRAPH_REQUIRE_BROWSER is set but {CHROMIUM} is not installed")
    pytest.skip(
        f"{CHROMIUM} not installed (apt-get install -y chromium); "
        "set SYBILGRAPH_REQUIRE_BROWSER=1 to make this a failure"
    )


def _run(chromium: str, page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            *extra,
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp,
    )


def _problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if PROBLEM.search(line)]


def test_report_loads_without_console_errors(
    chromium: str, hostile_out: Path, tmp_path: Path
) -> None:
    page = write_report(hostile_out, tmp_path / "report.html")
    shot = tmp_path / "report.png"
    result = _run(chromium, page, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000")
    assert result.returncode == 0, result.stderr[-2000:]
    assert _problems(result.stderr) == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a blank 1280x2000 PNG is a few kB
    keep = os.environ.get("SYBILGRAPH_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)

    dom = _run(chromium, page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert _problems(dom.stderr) == []
    assert 'id="cluster-1"' in dom.stdout
    assert "Ranked clusters" in dom.stdout
    assert "<script" not in dom.stdout


def test_the_console_check_sees_a_blocked_script(
    chromium: str, hostile_out: Path, tmp_path: Path
) -> None:
    """The check above can fail: an injected script is refused by the page's CSP and logged."""
    page = write_report(hostile_out, tmp_path / "report.html")
    page.write_text(
        page.read_text().replace("<main>", "<main><script>document.title='x'</script>", 1)
    )
    result = _run(chromium, page, tmp_path, "--dump-dom")
    assert any("Content Security Policy" in line for line in _problems(result.stderr))
