"""Outputs appear complete or not at all.

Results are written into a temporary directory beside the target and moved into place only
when every file is complete, so a downstream job never picks up a half-written run, and an
interrupted run leaves the previous outputs untouched.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sybilgraph.errors import InputError

__all__ = ["atomic_directory", "held_signals"]

#: SIGALRM too: the command line uses it to act on a SIGTERM that came during a native callback.
_HELD = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGALRM") if hasattr(signal, name)
)


@contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGTERM, SIGINT (and SIGALRM) until the block is done, then deliver them.

    For short steps that must not stop half-way: moving outputs into place, removing scratch
    files. A signal that arrives inside the block is recorded and raised again once the
    previous handlers are back, so it still stops the run, just after the step. Outside the
    main thread (where handlers cannot be changed) the block runs unshielded.

    Examples
    --------
    >>> def note(signum, frame):
    ...     print("signal delivered")
    >>> before = signal.signal(signal.SIGTERM, note)
    >>> with held_signals():
    ...     signal.raise_signal(signal.SIGTERM)
    ...     print("step finished")
    step finished
    signal delivered
    >>> _ = signal.signal(signal.SIGTERM, before)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def record(signum: int, frame: object) -> None:
        caught.append(signum)

    # A handler installed outside Python (getsignal gives None) cannot be restored: leave it.
    previous = {
        number: handler for number in _HELD if (handler := signal.getsignal(number)) is not None
    }
    for number in previous:
        signal.signal(number, record)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(caught):
            signal.raise_signal(number)


@contextmanager
def atomic_directory(target: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``target`` when the block succeeds.

    Parameters
    ----------
    target
        The output directory to create or replace.
    overwrite
        Replace an existing, non-empty ``target``; without it an existing output is an error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_directory(root / "out") as tmp:
    ...     _ = (tmp / "a.txt").write_text("x")
    >>> sorted(p.name for p in (root / "out").iterdir())
    ['a.txt']
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise InputError(
            f"{target}: output directory exists and is not empty; pass --overwrite to replace it"
        )
    parent = target.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        yield tmp
        for path in tmp.iterdir():
            if path.is_file():
                with path.open("rb") as handle:
                    os.fsync(handle.fileno())
        # The swap is one step: a signal between the two renames would leave no output at all.
        with held_signals():
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
                os.rename(target, old / "previous")
                os.rename(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, target)
    except BaseException:
        with held_signals():
            shutil.rmtree(tmp, ignore_errors=True)
        raise
