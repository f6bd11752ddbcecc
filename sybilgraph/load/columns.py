"""Column mapping: from the user's column names to the data contract's."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sybilgraph.errors import InputError, SettingsError
from sybilgraph.load.escape import shown_path

__all__ = ["file_renames", "parse_column_maps"]


def parse_column_maps(values: Sequence[str]) -> dict[str, str]:
    """Parse ``--map SOURCE=TARGET`` items into a column mapping.

    Parameters
    ----------
    values : sequence of str
        Items such as ``"client_ip=ip"``; spaces around either name are ignored.

    Returns
    -------
    dict of str to str
        The user's column name to the contract's.

    Raises
    ------
    SettingsError
        If an item is not ``SOURCE=TARGET`` with two non-empty names, or one source is mapped
        to two different targets.

    Examples
    --------
    >>> parse_column_maps(["client_ip=ip", "user = account_id"])
    {'client_ip': 'ip', 'user': 'account_id'}
    """
    mapping: dict[str, str] = {}
    for item in values:
        source, sep, target = item.partition("=")
        source, target = source.strip(), target.strip()
        if not sep or not source or not target or "=" in target:
            raise SettingsError(
                f"The --map value {item!r} must look like SOURCE=TARGET, e.g. --map client_ip=ip."
            )
        if mapping.get(source, target) != target:
            raise SettingsError(
                f"The column {source!r} is mapped twice: to {mapping[source]!r} and to {target!r}."
            )
        mapping[source] = target
    return mapping


def file_renames(path: str, names: Collection[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """The renames that ``mapping`` implies for one file with columns ``names``.

    Sources the file does not have are skipped (one mapping serves events and accounts files
    alike). Two columns that would end up with the same name are an error, because keeping
    either silently would hide the other.

    Raises
    ------
    InputError
        If a mapped column would collide with another column of the file.

    Examples
    --------
    >>> file_renames("e.csv", ["client_ip", "user"], {"client_ip": "ip", "tz": "timestamp"})
    {'client_ip': 'ip'}
    """
    renames = {src: dst for src, dst in mapping.items() if src in names and src != dst}
    final: dict[str, list[str]] = {}
    for name in names:
        final.setdefault(renames.get(name, name), []).append(name)
    clashes = {dst: srcs for dst, srcs in final.items() if len(srcs) > 1}
    if clashes:
        dst, srcs = sorted(clashes.items())[0]
        raise InputError(
            f"{shown_path(path)}: columns {' and '.join(map(repr, srcs))} would both be named "
            f"{dst!r} after column mapping; drop one or map it to another name"
        )
    return renames
