"""Make text taken from input files safe to put in a one-line error message.

Column names, values and even file names come from data that may be hostile: a quoted header
can hold a newline (breaking the one-line message the command line prints), an ANSI escape
sequence (clearing or recolouring the terminal it is printed on) or a bidirectional override
(making the message read differently from what it says). Every message that quotes data passes
it through :func:`shown` first.
"""

from __future__ import annotations

__all__ = ["shown", "shown_path"]

# Long enough for any sensible column name or path, short enough that one hostile 100 kB header
# does not become a 100 kB message.
_MAX_CHARS = 200


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def shown(text: object, max_chars: int = _MAX_CHARS) -> str:
    """``text`` with every non-printable character escaped (``\\xNN``), cut to ``max_chars``.

    Printable characters, including non-ASCII letters, stay as they are; line breaks,
    control characters, format characters (bidirectional overrides, zero-width spaces) and
    unassigned code points are written as Python escapes.

    Examples
    --------
    >>> shown("acc\\nount")
    'acc\\\\nount'
    >>> print(shown("\\x1b[2Jred é"))
    \\x1b[2Jred é
    >>> shown("x" * 10, max_chars=4)
    'xxxx...'
    """
    value = str(text)
    cut = len(value) > max_chars
    value = value[:max_chars]
    escaped = "".join(c if c.isprintable() else _escape(c) for c in value)
    return escaped + ("..." if cut else "")


def shown_path(path: object) -> str:
    """A file name for a message: escaped like :func:`shown`, but never cut short.

    Examples
    --------
    >>> shown_path("logs/day\\n1.csv")
    'logs/day\\\\n1.csv'
    """
    return shown(path, max_chars=len(str(path)))
