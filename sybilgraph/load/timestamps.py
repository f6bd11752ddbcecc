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

__all__ = ["MAX_TIME", "MIN_TIME", "parse_timestamps", "timestamp_stages"]

MIN_TIME = datetime(1990, 1, 1, tzinfo=UTC)
#: Exclusive upper bound: the first instant after the year 2100.
MAX_TIME = datetime(2101, 1, 1, tzinfo=UTC)
_MIN_S = int(MIN_TIME.timestamp())
_MAX_S = int(MAX_TIME.timestamp())

# Formats polars parses on its fast path (no fractional seconds, no zone): tried on every value.
_FAST_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
# The general forms, several times slower each: tried only on the values the fast ones missed.
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


def _naive(text: pl.Expr, fmt: str) -> pl.Expr:
    return text.str.strptime(pl.Datetime("us"), fmt, strict=False).dt.replace_time_zone("UTC")


def _slow_forms(rest: pl.Expr) -> list[pl.Expr]:
    rest = rest.str.strip_chars()
    iso = rest.str.replace(r"^(\d{4}-\d{2}-\d{2})[Tt ]", "$1 ").str.replace(r"[Zz]$", "+00:00")
    forms = [iso.str.strptime(DATETIME, fmt, strict=False) for fmt in _ZONED_FORMATS]
    forms += [_naive(iso, fmt) for fmt in _NAIVE_FORMATS]
    forms.append(_from_epoch_int(rest.cast(pl.Int64, strict=False)))
    forms.append(_from_epoch_float(rest.cast(pl.Float64, strict=False)))
    return forms


def timestamp_stages(
    column: str, dtype: pl.DataType | type[pl.DataType], out: str
) -> list[list[pl.Expr]]:
    """Expressions, in successive ``with_columns`` contexts, that parse ``column`` into ``out``.

    Strings are parsed in two passes kept in separate columns (``<out>__fast`` and
    ``<out>__rest``): every value is tried against the few formats polars parses on its fast
    path and against epoch numbers; only the values that missed (``<out>__rest``, null
    elsewhere) go through the general ISO forms, which are several times slower. Null values
    cost nearly nothing, so a column in one common format pays for one fast pass. Separate
    contexts, rather than one nested expression, make sure no stage is computed twice.

    Parameters
    ----------
    column : str
        The column as read.
    dtype : pl.DataType
        Its type in the file.
    out : str
        Name of the parsed ``Datetime("us", "UTC")`` column: null where the value was
        missing, unparseable or outside 1990..2100.

    Returns
    -------
    list of list of pl.Expr
        One list per context, to apply in order.

    Examples
    --------
    >>> df = pl.DataFrame({"t": ["2024-04-22T10:00:00+02:00", "1713772800", "x"]})
    >>> for stage in timestamp_stages("t", pl.String, "p"):
    ...     df = df.with_columns(stage)
    >>> df["p"].dt.hour().to_list()
    [8, 8, None]
    """
    if isinstance(dtype, type):
        dtype = dtype()
    raw = pl.col(column)
    if not isinstance(dtype, (pl.String, pl.Categorical, pl.Enum)):
        return [[_in_range(_from_native(raw, dtype)).alias(out)]]
    text = raw.cast(pl.String) if not isinstance(dtype, pl.String) else raw
    fast, rest = f"{out}__fast", f"{out}__rest"
    fast_forms = [_naive(text, fmt) for fmt in _FAST_FORMATS]
    fast_forms.append(_from_epoch_int(text.cast(pl.Int64, strict=False)))
    return [
        [pl.coalesce(fast_forms).alias(fast)],
        [pl.when(pl.col(fast).is_null()).then(text).alias(rest)],
        [pl.coalesce(pl.col(fast), *_slow_forms(pl.col(rest))).alias(out)],
        [_in_range(pl.col(out)).alias(out)],
    ]


def _from_native(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return raw.dt.replace_time_zone("UTC").cast(DATETIME)
        return raw.dt.convert_time_zone("UTC").cast(DATETIME)
    if isinstance(dtype, pl.Date):
        return raw.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if dtype.is_integer():
        return _from_epoch_int(raw.cast(pl.Int64, strict=False))
    if dtype.is_float():
        return _from_epoch_float(raw.cast(pl.Float64))
    return pl.lit(None, dtype=DATETIME)


def parse_timestamps(
    frame: pl.DataFrame, column: str, dtype: pl.DataType | type[pl.DataType] | None = None
) -> pl.Series:
    """Parse one column of an in-memory frame into UTC datetimes (null where it cannot).

    The readers apply the same stages lazily (:func:`timestamp_stages`); this is the
    convenient form for a frame already in memory.

    Examples
    --------
    >>> df = pl.DataFrame({"t": ["2024-04-22T10:00:00+02:00", "1713772800000", "2024-04-22"]})
    >>> parse_timestamps(df, "t").dt.hour().to_list()
    [8, 8, 0]
    """
    out = f"{column}__parsed"
    stages = timestamp_stages(column, dtype if dtype is not None else frame.schema[column], out)
    lazy = frame.lazy()
    for stage in stages:
        lazy = lazy.with_columns(stage)
    return lazy.select(pl.col(out).alias(column)).collect().to_series()
