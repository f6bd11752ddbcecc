"""Parse every timestamp form of the data contract into ``Datetime("us", "UTC")``.

Accepted forms, per value (one column may mix them):

* native datetimes: naive ones are taken as UTC, zoned ones converted to UTC; dates are midnight
  UTC;
* ISO-8601 strings, ``T`` or a space between date and time, optional fractional seconds, with a
  zone (``Z``, ``+02:00``, ``+0200``; converted to UTC) or without one (taken as UTC), or a bare
  date;
* epoch seconds or milliseconds, as integers, floats or numeric strings. The two are told apart by
  magnitude: every instant from 1990 to 2100 is between 6.3e8 and 4.2e9 in seconds and between
  6.3e11 and 4.2e12 in milliseconds, and the two ranges do not overlap.

Only instants in the years 1990 to 2100 (inclusive) are accepted; anything outside is treated as
unparseable, because such values are nearly always a unit mistake (microseconds read as
milliseconds) or a placeholder (``0``, ``1970-01-01``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from sybilgraph.schema import DATETIME

__all__ = ["MAX_TIME", "MIN_TIME", "parse_timestamps"]

MIN_TIME = datetime(1990, 1, 1, tzinfo=UTC)
#: Exclusive upper bound: the first instant after the year 2100.
MAX_TIME = datetime(2101, 1, 1, tzinfo=UTC)
_MIN_S = int(MIN_TIME.timestamp())
_MAX_S = int(MAX_TIME.timestamp())

_ZONED_FORMATS = ("%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M%z")
_NAIVE_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def _in_range(value: pl.Expr) -> pl.Expr:
    return pl.when(value.is_between(MIN_TIME, MAX_TIME, closed="left")).then(value)


def _from_epoch_int(value: pl.Expr) -> pl.Expr:
    micros = (
        pl.when(value.is_between(_MIN_S, _MAX_S, closed="left"))
        .then(value * 1_000_000)
        .when(value.is_between(_MIN_S * 1000, _MAX_S * 1000, closed="left"))
        .then(value * 1000)
    )
    return micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _from_epoch_float(value: pl.Expr) -> pl.Expr:
    micros = (
        pl.when(value.is_between(_MIN_S, _MAX_S, closed="left"))
        .then(value * 1e6)
        .when(value.is_between(_MIN_S * 1000.0, _MAX_S * 1000.0, closed="left"))
        .then(value * 1e3)
    )
    return micros.round(0).cast(pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _from_string(raw: pl.Expr) -> pl.Expr:
    text = raw.str.strip_chars()
    iso = text.str.replace(r"^(\d{4}-\d{2}-\d{2})[Tt ]", "$1 ").str.replace(r"[Zz]$", "+00:00")
    candidates = [iso.str.strptime(DATETIME, fmt, strict=False) for fmt in _ZONED_FORMATS]
    candidates += [
        iso.str.strptime(pl.Datetime("us"), fmt, strict=False).dt.replace_time_zone("UTC")
        for fmt in _NAIVE_FORMATS
    ]
    candidates.append(_from_epoch_int(text.cast(pl.Int64, strict=False)))
    candidates.append(_from_epoch_float(text.cast(pl.Float64, strict=False)))
    return pl.coalesce(candidates)


def parse_timestamps(raw: pl.Expr, dtype: pl.DataType | type[pl.DataType]) -> pl.Expr:
    """Expression turning a column of ``dtype`` into UTC datetimes, null where it cannot.

    A null result means the value was missing or could not be parsed; callers tell the two apart
    by looking at the raw value.

    Parameters
    ----------
    raw : pl.Expr
        The column as read.
    dtype : pl.DataType
        Its type in the file.

    Returns
    -------
    pl.Expr
        ``Datetime("us", "UTC")`` values within 1990..2100, null otherwise.

    Examples
    --------
    >>> df = pl.DataFrame({"t": ["2024-04-22T10:00:00+02:00", "1713772800", "1713772800000", "x"]})
    >>> df.select(parse_timestamps(pl.col("t"), pl.String)).to_series().dt.hour().to_list()
    [8, 8, 8, None]
    """
    if isinstance(dtype, type):
        dtype = dtype()
    if isinstance(dtype, pl.Datetime):
        zoned = (
            raw.dt.replace_time_zone("UTC")
            if dtype.time_zone is None
            else raw.dt.convert_time_zone("UTC")
        )
        return _in_range(zoned.cast(DATETIME))
    if isinstance(dtype, pl.Date):
        return _in_range(raw.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
    if dtype.is_integer():
        return _from_epoch_int(raw.cast(pl.Int64, strict=False))
    if dtype.is_float():
        return _from_epoch_float(raw.cast(pl.Float64))
    if isinstance(dtype, (pl.String, pl.Categorical, pl.Enum)):
        return _in_range(_from_string(raw.cast(pl.String)))
    return pl.lit(None, dtype=DATETIME)
