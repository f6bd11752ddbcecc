"""Stage 4: how much one shared value says about the accounts that share it.

The weight of a value ``v`` of type ``t`` used by ``d`` of the ``N`` accounts is

    w(v) = prior(t) * ln(N / d) / ln(N)

The second factor is the surprisal of two random accounts both using ``v`` (``2 ln(N/d)``),
scaled to [0, 1]: a value only two accounts use scores close to 1, a value every account uses
scores 0. So a carrier NAT IP used by thousands is weak evidence while a proxy exit used by a few
hundred accounts (and nobody else) stays strong: large values are down-weighted continuously,
never cut by a fixed cap that would also cut an operation's own exits. Values used by more than
``max_value_share`` of the population carry no linking weight at all (they stay in the evidence
tables), which bounds the work an attacker can cause by sharing one value across a million
accounts.

The discount for sharing inside one declared organisation is applied per account pair in
:mod:`sybilgraph.link`, where both ends are known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from sybilgraph.edges import EdgeTable
from sybilgraph.settings import Settings

__all__ = ["WeightedValues", "weigh"]


@dataclass(frozen=True)
class WeightedValues:
    """Values with their linking weight, and the edges of the values that can link.

    Attributes
    ----------
    values
        Every shared value: the columns of :attr:`EdgeTable.values` plus ``rarity``, ``weight``
        (0 when it cannot link) and ``hub`` (linked through the sparse ring).
    edges
        ``account, value, hub`` for values with ``weight > 0``.
    n_capped
        Values used by more than ``max_value_share`` of the population.
    """

    values: pl.DataFrame
    edges: pl.DataFrame
    n_capped: int


#: Synchrony token types and the signal type of the value they time.
WINDOW_BASES: dict[str, str] = {"ip_window": "ip", "prompt_window": "prompt_fingerprint"}


def _cap_window_tokens(values: pl.DataFrame) -> pl.DataFrame:
    """A value used in the same hour is never stronger evidence than the value itself.

    A window token is rare by construction (few accounts act in one hour), but two users of a
    popular public template meeting in the same hour is a coincidence the template's own
    popularity explains. So a token's weight is capped at its base value's weight.
    """
    tokens = values.filter(pl.col("signal_type").is_in(list(WINDOW_BASES)))
    if tokens.height == 0:
        return values
    # The base values are looked up among the values of the base types only (36,000 rows on
    # the article preset, where the whole table has 2.3 million, most of them tokens).
    bases = values.filter(pl.col("signal_type").is_in(sorted(set(WINDOW_BASES.values())))).select(
        pl.col("signal_type").alias("_bt"),
        pl.col("signal_value").alias("_bv"),
        pl.col("weight").alias("_base_weight"),
    )
    base = tokens.select(
        "value",
        pl.col("signal_type").replace_strict(WINDOW_BASES, return_dtype=pl.String).alias("_bt"),
        pl.col("signal_value").str.replace(r" @ [^ ]+$", "").alias("_bv"),
    ).join(bases, on=["_bt", "_bv"], how="left")
    return (
        values.join(base.select("value", "_base_weight"), on="value", how="left")
        .with_columns(
            pl.when(pl.col("signal_type").is_in(list(WINDOW_BASES)))
            .then(pl.min_horizontal("weight", pl.col("_base_weight").fill_null(0.0)))
            .otherwise(pl.col("weight"))
            .alias("weight")
        )
        .drop("_base_weight")
    )


def weigh(table: EdgeTable, settings: Settings) -> WeightedValues:
    """Weigh every shared value by rarity and type prior.

    Examples
    --------
    >>> import polars as pl
    >>> from sybilgraph.edges import EdgeTable
    >>> values = pl.DataFrame({"value": [0, 1], "signal_type": ["device_id", "ip"],
    ...     "signal_value": ["d", "i"], "family": ["client", "network"], "degree": [2, 600]},
    ...     schema_overrides={"value": pl.UInt32})
    >>> accounts = pl.DataFrame({"account": list(range(1000))}, schema={"account": pl.UInt32})
    >>> edges = pl.DataFrame({"account": [0, 1], "value": [0, 0]},
    ...     schema={"account": pl.UInt32, "value": pl.UInt32})
    >>> w = weigh(EdgeTable(edges, accounts, values), Settings())
    >>> [round(x, 3) for x in w.values["weight"]]
    [0.9, 0.0]
    """
    n = max(table.n_accounts, 2)
    log_n = math.log(n)
    cap = settings.max_value_share * n
    prior = pl.col("signal_type").map_elements(settings.prior, return_dtype=pl.Float64)
    types = table.values.select("signal_type").unique()
    priors = types.with_columns(prior.alias("prior"))
    values = (
        table.values.join(priors, on="signal_type", how="left")
        .with_columns(
            (pl.lit(n, dtype=pl.Float64) / pl.col("degree"))
            .log()
            .truediv(log_n)
            .clip(0.0, 1.0)
            .alias("rarity")
        )
        .with_columns(
            pl.when(
                (pl.col("degree") >= settings.min_accounts_per_value) & (pl.col("degree") <= cap)
            )
            .then(pl.col("prior") * pl.col("rarity"))
            .otherwise(0.0)
            .alias("weight"),
            (pl.col("degree") > settings.hub_degree).alias("hub"),
        )
        .drop("prior")
    )
    values = _cap_window_tokens(values)
    n_capped = int(values.select((pl.col("degree") > cap).sum()).item())
    linking = values.filter(pl.col("weight") > 0).select("value", "hub")
    # Integer columns only: this table has one row per linking observation (46 million on the
    # article preset) and lives until scoring; the values' attributes are in ``values``.
    edges = table.edges.select("account", "value").join(linking, on="value", how="inner")
    return WeightedValues(values=values, edges=edges, n_capped=n_capped)
