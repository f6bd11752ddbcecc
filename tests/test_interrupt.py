"""Interrupted runs leave the previous outputs untouched and no partial files.

``analyze`` is killed with SIGTERM at several moments (after a delay, after a given stage's
progress line); the output directory must then be the previous complete run, byte for byte, a
whole new one (when the signal came after it was moved into place), or absent, and no temporary
directory may be left beside it. A crash inside the write block is tested on
:func:`atomic_directory` directly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from population import small_population

from sybilgraph import cli
from sybilgraph.errors import InputError
from sybilgraph.export.atomic import atomic_directory

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _analyze(events: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sybilgraph", "analyze", str(events), "-o", str(out), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=out.parent,
    )


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _same_tables(new: dict[str, bytes], old: dict[str, bytes]) -> bool:
    """Whether ``new`` is a whole output of the same run as ``old``: the same files, and the same
    bytes in every one but the two that record the run's timings."""
    timed = {"summary.json", "report.html"}
    return set(new) == set(old) and all(new[k] == old[k] for k in set(old) - timed)


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


# -- atomic_directory directly: a crash inside the block ---------------------------------------


def _write_then_fail(out: Path, error: BaseException, *, overwrite: bool = False) -> None:
    with atomic_directory(out, overwrite=overwrite) as tmp:
        (tmp / "clusters.csv").write_text("half of the new")
        raise error


def test_crash_inside_the_block_keeps_the_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_directory(out) as tmp:
        (tmp / "clusters.csv").write_text("previous\n")
        (tmp / "summary.json").write_text("{}\n")
    before = _snapshot(out)
    with pytest.raises(RuntimeError, match="stage failed"):
        _write_then_fail(out, RuntimeError("stage failed"), overwrite=True)
    assert _snapshot(out) == before
    assert _leftovers(out) == []


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit, MemoryError])
def test_interrupt_before_the_first_output_leaves_nothing(tmp_path: Path, error: type) -> None:
    out = tmp_path / "out"
    with pytest.raises(error):
        _write_then_fail(out, error())
    assert not out.exists()
    assert _leftovers(out) == []


def test_success_replaces_the_previous_output_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_directory(out) as tmp:
        (tmp / "old_only.csv").write_text("old")
    with atomic_directory(out, overwrite=True) as tmp:
        (tmp / "clusters.csv").write_text("new")
    assert _snapshot(out) == {"clusters.csv": b"new"}
    assert _leftovers(out) == []


def test_existing_output_needs_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="--overwrite"), atomic_directory(out):
        pytest.fail("the block must not run")
    assert _snapshot(out) == {"keep.txt": b"mine"}
    assert _leftovers(out) == []


def test_analyze_refuses_a_non_empty_output_without_overwrite(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("account_id,ip\na,10.0.0.1\nb,10.0.0.1\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    done = subprocess.run(
        [sys.executable, "-m", "sybilgraph", "analyze", str(events), "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "--overwrite" in lines[0]
    assert "Traceback" not in done.stderr
    assert _snapshot(out) == {"keep.txt": b"mine"}


# -- the command killed mid-run ------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A population that takes a few seconds to analyse, so a signal lands mid-run."""
    events, _ = small_population(seed=3, n_benign=20_000, n_ring=200)
    path = tmp_path_factory.mktemp("interrupt") / "events.parquet"
    events.write_parquet(path)
    return path


def _kill_after_stage(proc: subprocess.Popen[str], stage: str | None, delay: float) -> list[str]:
    """SIGTERM ``proc`` once a progress line names ``stage`` (or right away), after ``delay``."""
    assert proc.stderr is not None
    seen: list[str] = []
    if stage is not None:
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("[") and f" {stage} " in line:
                break
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)
    seen.extend(proc.stderr.readlines())
    proc.wait(timeout=120)
    return seen


@pytest.mark.parametrize(
    ("stage", "delay"),
    [
        pytest.param(None, 0.3, marks=pytest.mark.slow),
        pytest.param(None, 1.5, marks=pytest.mark.slow),
        pytest.param("load", 0.0, marks=pytest.mark.slow),
        ("signals", 0.0),
        ("link", 0.0),
        pytest.param("score", 0.0, marks=pytest.mark.slow),
    ],
)
def test_sigterm_leaves_the_previous_output_or_nothing(
    tmp_path: Path, big_events: Path, stage: str | None, delay: float
) -> None:
    out = tmp_path / "out"
    first = _analyze(big_events, out, "-q")
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    before = _snapshot(out)

    proc = _analyze(big_events, out, "--overwrite")
    stderr = "".join(_kill_after_stage(proc, stage, delay))
    assert "Traceback" not in stderr
    after = _snapshot(out)
    if proc.returncode == 0:
        # The run finished before the signal: its output is complete, and replaced the old one.
        assert _same_tables(after, before)
    else:
        # 143: the handler turned SIGTERM into a clean exit; -15: the signal came before the
        # handler was installed (while importing), when nothing had been written yet. Either
        # the previous output is untouched, or the signal came after the new output had been
        # moved into place, which is then whole.
        assert proc.returncode in (143, -signal.SIGTERM), stderr
        assert after == before or _same_tables(after, before)
    assert _leftovers(out) == []

    rerun = _analyze(big_events, out, "--overwrite", "-q")
    assert rerun.wait(timeout=300) == 0
    after = _snapshot(out)
    assert set(after) == set(before)
    # Same inputs and seed: the tables of the rerun are the tables of the first run.
    assert after["clusters.csv"] == before["clusters.csv"]


def test_sigterm_on_a_first_run_leaves_no_output(tmp_path: Path, big_events: Path) -> None:
    out = tmp_path / "fresh"
    proc = _analyze(big_events, out)
    stderr = "".join(_kill_after_stage(proc, "signals", 0.0))
    assert proc.returncode == 143, stderr
    assert not out.exists()
    assert _leftovers(out) == []
    rerun = _analyze(big_events, out, "-q")
    assert rerun.wait(timeout=300) == 0
    assert (out / "summary.json").is_file()


# -- a signal while native code is calling back into Python --------------------------------------


def _frame_in(filename: str) -> object:
    """A frame whose code comes from ``filename``, as if a native library had called it."""
    namespace: dict[str, object] = {}
    exec(compile("import sys\nframe = sys._getframe()", filename, "exec"), namespace)
    return namespace["frame"]


def test_sigterm_inside_a_native_callback_waits_for_it_to_return(monkeypatch) -> None:
    timers: list[float] = []
    monkeypatch.setattr(cli.signal, "setitimer", lambda which, seconds: timers.append(seconds))
    inside = _frame_in(os.path.join(os.sep, "site-packages", "polars", "datatypes", "classes.py"))
    outside = _frame_in(os.path.join(os.sep, "work", "sybilgraph", "pipeline.py"))
    # Inside polars: nothing is raised, and a timer is set to look again.
    cli._on_sigterm(signal.SIGTERM, inside)  # type: ignore[arg-type]
    assert timers == [cli._RETRY_SECONDS]
    cli._on_alarm(signal.SIGALRM, inside)  # type: ignore[arg-type]
    assert timers == [cli._RETRY_SECONDS] * 2
    # Back in the tool's own code, the next look raises, once.
    with pytest.raises(cli.Terminated):
        cli._on_alarm(signal.SIGALRM, outside)  # type: ignore[arg-type]
    cli._on_alarm(signal.SIGALRM, outside)  # type: ignore[arg-type]
    # A signal outside any native callback raises at once, in polars' own code as well.
    with pytest.raises(KeyboardInterrupt):
        cli._on_sigint(signal.SIGINT, outside)  # type: ignore[arg-type]
    wrapper = _frame_in(os.path.join(os.sep, "site-packages", "polars", "lazyframe", "frame.py"))
    with pytest.raises(cli.Terminated):
        cli._on_sigterm(signal.SIGTERM, wrapper)  # type: ignore[arg-type]
    assert timers == [cli._RETRY_SECONDS] * 2


def _frame_called_from(caller: str, filename: str) -> object:
    """A frame whose code comes from ``filename``, called by code from ``caller``."""
    inner: dict[str, object] = {}
    exec(compile("import sys\ndef grab():\n    return sys._getframe()", filename, "exec"), inner)
    outer: dict[str, object] = {"grab": inner["grab"]}
    exec(compile("frame = grab()", caller, "exec"), outer)
    return outer["frame"]


def test_sigterm_further_down_a_native_callback_waits_for_it_to_return(monkeypatch) -> None:
    # llvmlite's cache callback calls ctypes.cast: a signal arriving in ctypes' frame is still
    # inside the callback, and an exception raised there would be printed and dropped.
    timers: list[float] = []
    monkeypatch.setattr(cli.signal, "setitimer", lambda which, seconds: timers.append(seconds))
    callback = os.path.join(os.sep, "site-packages", "llvmlite", "binding", "executionengine.py")
    deeper = _frame_called_from(callback, os.path.join(os.sep, "lib", "ctypes", "__init__.py"))
    cli._on_sigterm(signal.SIGTERM, deeper)  # type: ignore[arg-type]
    assert timers == [cli._RETRY_SECONDS]
    outside = _frame_in(os.path.join(os.sep, "work", "sybilgraph", "link.py"))
    with pytest.raises(cli.Terminated):
        cli._on_alarm(signal.SIGALRM, outside)  # type: ignore[arg-type]
    # The same ctypes frame called from the tool's own code is no callback: raised at once.
    plain = _frame_called_from(
        os.path.join(os.sep, "work", "sybilgraph", "link.py"),
        os.path.join(os.sep, "lib", "ctypes", "__init__.py"),
    )
    with pytest.raises(cli.Terminated):
        cli._on_sigterm(signal.SIGTERM, plain)  # type: ignore[arg-type]
    assert timers == [cli._RETRY_SECONDS]
