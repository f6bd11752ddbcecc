"""The exception tree of sybilgraph.

Every failure the tool expects (a missing file, a column that is not there, a setting out of
range) raises a subclass of :class:`SybilgraphError` whose message says what was expected, what
was found and where. The command line turns these into one readable line and exit code 1 (data)
or 2 (usage); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["InputError", "ScratchError", "SettingsError", "SybilgraphError"]


class SybilgraphError(Exception):
    """Base class of every error sybilgraph raises on purpose.

    Examples
    --------
    >>> try:
    ...     raise InputError("events.csv: no 'account_id' column")
    ... except SybilgraphError as err:
    ...     print(err)
    events.csv: no 'account_id' column
    """

    exit_code: int = 1


class InputError(SybilgraphError):
    """An input file cannot be read or lacks what the data contract requires (exit code 1).

    Examples
    --------
    >>> InputError("events.csv: not a CSV file").exit_code
    1
    """

    exit_code = 1


class SettingsError(SybilgraphError):
    """A setting has a wrong type or value, or a settings file cannot be parsed (exit code 2).

    Examples
    --------
    >>> SettingsError("The 'resolution' setting must be a float > 0. Got -1 instead.").exit_code
    2
    """

    exit_code = 2


class ScratchError(SybilgraphError):
    """A scratch file of the run cannot be written, usually for lack of disk space (exit code 1).

    Examples
    --------
    >>> ScratchError("/tmp/x: no space left on device").exit_code
    1
    """

    exit_code = 1
