"""The ``sybilgraph`` command line: a thin face over the library.

Each subcommand lives in its own module, which the group below imports when the command is
run. Expected failures (:class:`~sybilgraph.errors.SybilgraphError`) become one line on stderr
and exit code 1 (data) or 2 (usage); click's own usage errors exit 2.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from types import FrameType
from typing import Any, NoReturn

import click

from sybilgraph._version import __version__
from sybilgraph.cli._common import CONTEXT_SETTINGS
from sybilgraph.errors import SybilgraphError

__all__ = ["cli", "main"]


class Terminated(BaseException):
    """Raised by the SIGTERM handler so that partial outputs are cleaned up on the way out."""


#: Places where native code calls back into Python on the main thread: polars builds its data
#: types, numba's compiler (llvmlite) loads its cache through ctypes callbacks, igraph draws its
#: random numbers from the random module. An exception raised by a signal handler there cannot
#: unwind through the native caller (polars turns it into a panic, ctypes prints and drops it),
#: so the signal is acted on a moment later, once the callback has returned. Everywhere else it
#: is raised at once (polars itself stops a running query for it).
_CALLBACK_SITES = tuple(
    os.sep.join(("", *parts, "")) for parts in (("polars", "datatypes"), ("llvmlite",))
)
_RETRY_SECONDS = 0.05
_pending: list[type[BaseException]] = []


def _inside_native_call(frame: FrameType | None) -> bool:
    """Whether ``frame`` or any frame below which it runs is one of :data:`_CALLBACK_SITES`.

    The whole stack is looked at: a callback may call further Python before the signal
    arrives (llvmlite's cache callback calls ``ctypes.cast``), and an exception raised there
    unwinds into the native caller all the same.
    """
    while frame is not None:
        name = frame.f_code.co_filename
        if any(site in name for site in _CALLBACK_SITES):
            return True
        caller = frame.f_back
        if (
            name.endswith(f"{os.sep}random.py")
            and caller is not None
            and f"{os.sep}igraph{os.sep}" in caller.f_code.co_filename
        ):
            return True
        frame = caller
    return False


def _raise_when_safe(frame: FrameType | None) -> None:
    """Raise the pending exception, or look again shortly if Python is inside a native call."""
    if not _pending:
        return
    if _inside_native_call(frame) and hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, _RETRY_SECONDS)
        return
    raise _pending.pop()()


#: What each stopping signal becomes, and the exit code and word it is reported with.
_STOPS: dict[int, tuple[type[BaseException], int, str]] = {
    signal.SIGTERM: (Terminated, 143, "Terminated"),
    signal.SIGINT: (KeyboardInterrupt, 130, "Interrupted"),
}


def _record(signum: int, frame: FrameType | None) -> None:
    """Note a stopping signal without acting on it."""
    if signum in _STOPS:
        _pending[:] = [_STOPS[signum][0]]


def _on_stop(signum: int, frame: FrameType | None) -> None:
    _record(signum, frame)
    _raise_when_safe(frame)


_on_sigterm = _on_sigint = _on_stop


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    _raise_when_safe(frame)


#: Subcommands and the modules that define them, imported only when the command is run or
#: listed: ``analyze`` need not import the scenario generator, nor ``generate`` the engine.
_COMMANDS = {
    "validate": "sybilgraph.cli.validate",
    "analyze": "sybilgraph.cli.analyze",
    "explain": "sybilgraph.cli.explain",
    "report": "sybilgraph.cli.report",
    "evaluate": "sybilgraph.cli.evaluate",
    "generate": "sybilgraph.cli.generate",
}


class _Group(click.Group):
    """A group that turns library errors into one readable line and an exit code, and
    imports each subcommand's module when it is first needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        command: click.Command = importlib.import_module(_COMMANDS[cmd_name]).command
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SybilgraphError as err:
            click.echo(f"Error: {err}", err=True)
            ctx.exit(err.exit_code)
        except (KeyboardInterrupt, Terminated) as stop:
            ctx.exit(_report_stop(type(stop)))


_OUTPUT_STATE = "outputs are written atomically, so each output directory is as it was or complete."


def _report_stop(kind: type[BaseException]) -> int:
    """Say that the run was stopped, and return its exit code."""
    _, code, verb = next(stop for stop in _STOPS.values() if stop[0] is kind)
    click.echo(f"{verb}; {_OUTPUT_STATE}", err=True)
    return code


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="sybilgraph")
def cli() -> None:
    """Find coordinated fake-account operations in request and account logs.

    sybilgraph links accounts through the values they share (IPs, payment instruments, prompt
    templates, client fingerprints, sign-up bursts, synchronized timing), groups them with
    community detection and writes ranked, explained clusters.

    \b
    Example:
        sybilgraph generate --preset tiny --seed 1 -o data
        sybilgraph analyze data/events.parquet --accounts data/accounts.parquet -o out
        sybilgraph evaluate out --truth data/truth.csv
    """


def main() -> None:
    """Entry point of the console script.

    SIGTERM (what batch schedulers send) is turned into an exception so that a run stopped
    mid-way removes its temporary output directory and leaves the previous outputs untouched.
    SIGTERM and SIGINT that arrive while a native library is calling back into Python are
    acted on as soon as that call returns; one still waiting when the command has finished
    gives the exit code of an interrupted run (its outputs are complete).
    """
    for number in _STOPS:
        signal.signal(number, _on_stop)
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _on_alarm)
    code: int | str | None = 0
    try:
        cli.main(standalone_mode=True)
    except SystemExit as done:
        code = done.code
    finally:
        # From here on a signal is only recorded: nothing is left to stop.
        for name in ("SIGTERM", "SIGINT", "SIGALRM"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), _record)
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
    if _pending:
        code = _report_stop(_pending.pop())
    _exit(code)


def _exit(code: int | str | None) -> NoReturn:
    """Leave the process with ``code`` as :func:`sys.exit` would, without the interpreter's
    teardown.

    Every output is written, closed and renamed into place by now, and the scratch files are
    removed. What is left is the interpreter freeing the modules of polars, numba, igraph and
    their dependencies one object at a time: 0.3-0.5 s, a tenth of a small run. So the
    standard streams are flushed and the process ends at once.
    """
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        click.echo(code, err=True)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 1
    os._exit(status)
