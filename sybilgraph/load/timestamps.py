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

from collections.abc import Callable
from datetime import UTC, datetime

import polars as pl

from sybilgraph.schema import DATETIME

__all__ = ["MAX_TIME", "MIN_TIME", "parse_timestamps", "timestamp_stages"]

MIN_TIME = datetime(1990, 1, 1, tzinfo=UTC)
#: Exclusive upper bound: the first instant after the year 2100.
MAX_TIME = datetime(2101, 1, 1, tzinfo=UTC)
_MIN_S = int(MIN_TIME.timestamp())
_MAX_S = int(MAX_TIME.timestamp())

# Forms tried in order, each only on the values no earlier form parsed. First those polars
# parses on its fast path (no fractional seconds, no zone) and epoch integers, on the text as
# read; then, on the text stripped and normalised (a space between date and time, "Z" as
# "+00:00"), the general forms, several times slower each.
_FAST_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
_ZONED_FORMATS = ("%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M%z")
_NAIVE_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M")


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


Form = Callable[[pl.Expr], pl.Expr]


def _naive_form(fmt: str) -> Form:
    return lambda text: _naive(text, fmt)


def _zoned_form(fmt: str) -> Form:
    return lambda text: text.str.strptime(DATETIME, fmt, strict=False)


def _epoch_int(text: pl.Expr) -> pl.Expr:
    return _from_epoch_int(text.cast(pl.Int64, strict=False))


def _epoch_float(text: pl.Expr) -> pl.Expr:
    return _from_epoch_float(text.cast(pl.Float64, strict=False))


def _fixed_width_form(fmt: str) -> Form:
    # A failed fast-path parse falls back to the slow parser; a length check first is cheap.
    width = len(datetime(2000, 1, 1).strftime(fmt))
    return lambda text: _naive(pl.when(text.str.len_bytes() == width).then(text), fmt)


_RAW_FORMS: tuple[Form, ...] = (*map(_fixed_width_form, _FAST_FORMATS), _epoch_int)
_NORMALISED_FORMS: tuple[Form, ...] = (
    *map(_zoned_form, _ZONED_FORMATS),
    *map(_naive_form, _NAIVE_FORMATS),
    _epoch_int,
    _epoch_float,
)


def timestamp_stages(
    column: str, dtype: pl.DataType | type[pl.DataType], out: str
) -> list[list[pl.Expr]]:
    """Expressions, in successive ``with_columns`` contexts, that parse ``column`` into ``out``.

    Strings are parsed in tiers, one ``with_columns`` context each: every form is tried only
    on the values that no earlier form parsed (the others are null on its input, and nulls
    cost nearly nothing), starting with the formats polars parses on its fast path. A column in
    one common format thus pays for about one parse, and a value that matches no form for one
    attempt per form. Separate contexts, rather than one nested expression, make sure no tier
    is computed twice. The stages also write a helper column ``<out>__iso``.

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
    iso = f"{out}__iso"
    parsed = pl.col(out)

    def tier(form: Form, source: pl.Expr) -> list[pl.Expr]:
        # Values parsed already are null on the way in, and nulls cost nearly nothing.
        return [pl.coalesce(parsed, form(pl.when(parsed.is_null()).then(source))).alias(out)]

    stages = [[_RAW_FORMS[0](text).alias(out)]]
    stages += [tier(form, text) for form in _RAW_FORMS[1:]]
    missed = pl.when(parsed.is_null()).then(text).str.strip_chars()
    normalised = missed.str.replace(r"^(\d{4}-\d{2}-\d{2})[Tt ]", "$1 ")
    stages.append([normalised.str.replace(r"[Zz]$", "+00:00").alias(iso)])
    stages += [tier(form, pl.col(iso)) for form in _NORMALISED_FORMS]
    stages.append([_in_range(parsed).alias(out)])
    return stages


_DAY_S = 86_400
_UNITS_PER_SECOND = {"ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _physical_in_range(raw: pl.Expr, low: int, high: int) -> pl.Expr:
    """``raw`` where its stored integer (UTC, in its own unit) is in ``[low, high)``, else null.

    Checked before any cast, because a value that does not fit the target unit makes the cast
    fail, or panic, instead of giving null.
    """
    return pl.when(raw.to_physical().is_between(low, high, closed="left")).then(raw)


def _from_native(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Datetime):
        # Zoned or not, the stored integer counts from the epoch in UTC.
        scale = _UNITS_PER_SECOND[dtype.time_unit]
        raw = _physical_in_range(raw, _MIN_S * scale, _MAX_S * scale)
        if dtype.time_zone is None:
            return raw.dt.replace_time_zone("UTC").cast(DATETIME)
        return raw.dt.convert_time_zone("UTC").cast(DATETIME)
    if isinstance(dtype, pl.Date):
        # MIN_TIME and MAX_TIME are midnights, so whole days bound them exactly.
        days = _physical_in_range(raw, _MIN_S // _DAY_S, _MAX_S // _DAY_S)
        return days.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
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
