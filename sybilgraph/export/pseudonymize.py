"""Keyed pseudonyms for results that leave the team.

With a secret key, every account id and signal value in the outputs is replaced by the first
32 hex digits of ``HMAC-SHA256(key, kind || 0x00 || value)``. The same input and key always
give the same pseudonym (so two exports can be joined, and the team holding the key can map a
pseudonym back by recomputing it from its own logs), while a reader without the key learns
nothing from it. The key comes from an environment variable, never from the command line, where
it would show in process listings and shell history.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import polars as pl

from sybilgraph.errors import SettingsError

__all__ = ["key_from_env", "pseudonym", "pseudonymize_frame"]

MIN_KEY_BYTES = 16


def key_from_env(variable: str) -> bytes:
    """Read the pseudonymisation key from the environment variable ``variable``.

    Examples
    --------
    >>> os.environ["DOCTEST_KEY"] = "a-long-enough-secret"
    >>> key_from_env("DOCTEST_KEY")
    b'a-long-enough-secret'
    """
    value = os.environ.get(variable)
    if not value:
        raise SettingsError(
            f"--pseudonymize needs a key in the environment variable {variable}; set it "
            f"(at least {MIN_KEY_BYTES} bytes), e.g. export {variable}=$(openssl rand -hex 32)"
        )
    key = value.encode()
    if len(key) < MIN_KEY_BYTES:
        raise SettingsError(
            f"The key in {variable} must be at least {MIN_KEY_BYTES} bytes. Got {len(key)}."
        )
    return key


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """The pseudonym of one value.

    Examples
    --------
    >>> pseudonym(b"k" * 16, "account_id", "alice") == pseudonym(b"k" * 16, "account_id", "alice")
    True
    >>> len(pseudonym(b"k" * 16, "account_id", "alice"))
    32
    """
    mac = hmac.new(key, kind.encode() + b"\x00" + value.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def pseudonymize_frame(frame: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """Replace ``account_id``, ``org_id`` and ``signal_value`` (keyed by type) in ``frame``.

    Examples
    --------
    >>> f = pl.DataFrame({"account_id": ["a", "a", None]})
    >>> out = pseudonymize_frame(f, b"k" * 16)["account_id"]
    >>> out[0] == out[1], out[2]
    (True, None)
    """
    exprs: list[pl.Expr] = []
    for column in ("account_id", "org_id"):
        if column in frame.columns and frame.schema[column] == pl.String:
            ids = frame.get_column(column).drop_nulls().unique()
            mapping = {v: pseudonym(key, column, v) for v in ids.to_list()}
            exprs.append(
                pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)
            )
    if "signal_value" in frame.columns:
        kinds = frame.get_column("signal_type") if "signal_type" in frame.columns else None
        pairs = frame.select(
            (kinds if kinds is not None else pl.lit("signal")).alias("k"), "signal_value"
        ).unique()
        keyed = {(k, v): pseudonym(key, k, v) for k, v in pairs.drop_nulls().iter_rows()}
        struct_map = pl.DataFrame(
            {
                "k": [k for k, _ in keyed],
                "signal_value": [v for _, v in keyed],
                "_p": list(keyed.values()),
            },
            schema={"k": pl.String, "signal_value": pl.String, "_p": pl.String},
        )
        key_col = pl.col("signal_type") if kinds is not None else pl.lit("signal")
        frame = (
            frame.with_columns(key_col.alias("k"), pl.int_range(pl.len()).alias("_row"))
            .join(struct_map, on=["k", "signal_value"], how="left")
            .sort("_row")
            .with_columns(pl.col("_p").alias("signal_value"))
            .drop("k", "_p", "_row")
        )
    return frame.with_columns(exprs) if exprs else frame
