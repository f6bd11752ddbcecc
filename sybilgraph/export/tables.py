"""Writing result tables as CSV (spreadsheet-safe by default) or Parquet.

Account ids, user agents and e-mails come from the adversary. A spreadsheet reads a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula, so by default
such string cells are prefixed with a single quote, which spreadsheets show as text (the
OWASP "CSV injection" advice). ``safe=False`` writes the values verbatim.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

__all__ = ["FORMULA_PREFIXES", "neutralise_formulas", "write_table"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix with ``'`` every string cell that a spreadsheet would run as a formula.

    Examples
    --------
    >>> df = pl.DataFrame({"a": ['=HYPERLINK("x")', "ok", "-1"], "n": [1, 2, 3]})
    >>> neutralise_formulas(df)["a"].to_list()
    ['\\'=HYPERLINK("x")', 'ok', "'-1"]
    """
    pattern = "^[" + "".join("\\" + c if c in "-+" else c for c in FORMULA_PREFIXES) + "]"
    exprs = [
        pl.when(pl.col(name).str.contains(pattern))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    ]
    return frame.with_columns(exprs) if exprs else frame


def write_table(
    frame: pl.DataFrame, directory: Path, name: str, fmt: str, *, safe: bool = True
) -> Path:
    """Write ``frame`` as ``name.csv`` or ``name.parquet`` in ``directory``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_table(pl.DataFrame({"a": [1]}), d, "t", "csv").name
    't.csv'
    """
    if fmt == "parquet":
        path = directory / f"{name}.parquet"
        frame.write_parquet(path, compression="zstd", statistics=False)
        return path
    path = directory / f"{name}.csv"
    out = neutralise_formulas(frame) if safe else frame
    out.write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%S%.fZ")
    return path
