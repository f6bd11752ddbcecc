"""Stage 7: features, score, rank and evidence of every cluster; a score for every member.

A cluster is suspicious when its accounts share values that are rare in the population and
used mostly inside the cluster, in several *independent* evidence families (payment, network,
content, client, identity, timing), and when it behaves like one machine: sign-ups in bursts,
near-equal volume per account, traffic concentrated on shared templates, activity on the same
values in the same hour. Size alone never raises a score; rarity and exclusivity do.

Per evidence family ``f`` and member ``m`` the strength combines the two best
``weight(v) * share(v)`` over the values ``v`` of that family the member shares with another
member (``share`` = accounts of the cluster using ``v`` / all accounts using ``v``) as a
noisy-OR, as the link stage does. A family's strength is the mean over members.
A family's strength is then scaled by the size ``k`` of its largest *pool*: the number of
distinct values of one type that the cluster holds mostly to itself, by ``1 - 0.7 exp(-(k - 1) /
2)`` (0.3 for a single value, 0.74 for three, close to 1 for many): operations evade per-value
limits by rotating *pools* (proxy exits, batches of cards, families of templates), each value
shared by a subset of the accounts, while one value shared by a whole group (the venue IP, a
home IP, the office egress) is the signature of a place, a household or an event. Payment
instruments and mailboxes are personal: one of them on many accounts has no such explanation
beyond a household (see the size factor) or a declared organisation (the org discount), so they
are not scaled. No single family convicts: the evidence score is the strongest family
*corroborated* by the others, ``s1 * (1 - prod_{f != 1} (1 - s_f))`` raised to the power 1/2.
Load-balanced volume (``1 - IQR / median`` of events per member, weighted by ``min(1, (n - 1) /
19)``) is a family of its own, coordination. The final score scales the evidence by behaviour
(``0.5 + 0.5 *`` the mean of sign-up burstiness, same- hour synchrony, load-balanced volume and
share of traffic on shared templates) and by size, ``1 - exp(-(n - 1) / household_size)``: a
handful of accounts sharing a card and a home IP is a household more often than a ring. Clusters
whose members declare one organisation are discounted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from sybilgraph import schema
from sybilgraph.cluster import Clustering
from sybilgraph.edges import EdgeTable
from sybilgraph.link import GRIDDED_TYPES
from sybilgraph.link_kernel import edges_in_value_order
from sybilgraph.score_kernel import cluster_values, member_strength
from sybilgraph.settings import Settings
from sybilgraph.sorting import sort_by_id_pair
from sybilgraph.weigh import WeightedValues

__all__ = ["Scored", "score"]

#: Readable nouns of signal types for the one-line summary (singular, plural).
_NOUNS: dict[str, tuple[str, str]] = {
    "payment_fingerprint": ("card", "cards"),
    "ip": ("IP", "IPs"),
    "ip_prefix": ("network", "networks"),
    "signup_ip": ("sign-up IP", "sign-up IPs"),
    "prompt_fingerprint": ("prompt template", "prompt templates"),
    "system_prompt_hash": ("system prompt", "system prompts"),
    "user_agent": ("client string", "client strings"),
    "device_id": ("device", "devices"),
    "email": ("mailbox", "mailboxes"),
    "email_stem": ("e-mail pattern", "e-mail patterns"),
    "email_domain": ("e-mail domain", "e-mail domains"),
}
_TIMING = ("signup_burst", "ip_window", "prompt_window")

#: Families of personal values: one card or one mailbox on many accounts has no "place or event"
#: explanation, so the pool-size scaling below does not apply to them.
PERSONAL_FAMILIES = ("payment", "identity")


@dataclass(frozen=True)
class Scored:
    """Ranked clusters, their members and evidence (cluster ids already assigned).

    Attributes
    ----------
    clusters, members, evidence
        Frames with the columns of ``clusters.csv``, ``members.csv`` and ``evidence.csv``.
    """

    clusters: pl.DataFrame
    members: pl.DataFrame
    evidence: pl.DataFrame


def _strength(member: pl.DataFrame, shared_edges: pl.DataFrame, n_families: int) -> pl.DataFrame:
    """``cluster, account, _family, s``: each member's strength per family, as in linking (the
    two strongest values as a noisy-OR, a value laid on shifted time grids counting once), of
    ``weight * share`` over the member's shared values (:func:`member_strength`)."""
    accounts = member.get_column("account").to_numpy()
    slot = np.full(int(accounts.max()) + 1, -1, dtype=np.int64)
    slot[accounts] = np.arange(accounts.size)
    rows = shared_edges.select(
        "account",
        "_family",
        pl.when(pl.col("_piece") < 0).then(-pl.col("_piece")).otherwise(0).alias("_grid"),
        (pl.col("weight") * pl.col("share")).alias("ws"),
    )
    m, f, s = member_strength(
        slot[rows.get_column("account").to_numpy()],
        rows.get_column("_family").to_numpy(),
        rows.get_column("_grid").to_numpy(),
        rows.get_column("ws").to_numpy(),
        accounts.size,
        n_families,
        len(GRIDDED_TYPES) + 1,
    )
    return pl.DataFrame(
        {
            "cluster": member.get_column("cluster").gather(m),
            "account": member.get_column("account").gather(m),
            "_family": pl.Series(f, dtype=pl.UInt32),
            "s": s,
        }
    )


def _cluster_values(edges: pl.DataFrame, member: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The members' edges and their groups by (cluster, value).

    Returns ``account, cluster, n_events, _group``: every edge of a member, with the index of
    its group; and ``_group, cluster, value, accounts_in_cluster, value_events``, one row per
    (cluster, value), by value (:func:`cluster_values`).
    """
    if not edges_in_value_order(
        edges.get_column("account").to_numpy(), edges.get_column("value").to_numpy()
    ):
        # The edge table is built in this order, as the link stage takes it too.
        edges = sort_by_id_pair(edges, "value", "account")
    account = edges.get_column("account").to_numpy()
    value = edges.get_column("value").to_numpy()
    counts = edges.get_column("n_events")
    n_events = (counts.fill_null(0) if counts.null_count() else counts).to_numpy()
    member_account = member.get_column("account").to_numpy()
    cluster_of = np.full(
        int(max(account.max(initial=0), member_account.max(initial=0))) + 1, -1, dtype=np.int32
    )
    cluster_of[member_account] = member.get_column("cluster").to_numpy()
    rows, cluster, group, g_cluster, g_value, g_count, g_events = cluster_values(
        account, value, n_events, cluster_of, int(cluster_of.max(initial=0)) + 1
    )
    member_edges = pl.DataFrame(
        {"account": account[rows], "cluster": cluster, "n_events": n_events[rows], "_group": group}
    )
    groups = pl.DataFrame(
        {
            "_group": np.arange(g_cluster.size, dtype=np.int64),
            "cluster": g_cluster,
            "value": g_value,
            "accounts_in_cluster": g_count,
            "value_events": g_events,
        }
    )
    return member_edges, groups


def _shared_edges(member_edges: pl.DataFrame, shared: pl.DataFrame) -> pl.DataFrame:
    """The member edges whose group is in ``shared`` (a frame with a ``_group`` column), with
    the columns of their group: a lookup by group index instead of a join."""
    groups = member_edges.get_column("_group").to_numpy()
    position = np.full(int(groups.max(initial=-1)) + 1, -1, dtype=np.int64)
    position[shared.get_column("_group").to_numpy()] = np.arange(shared.height)
    at = position[groups]
    rows = np.flatnonzero(at >= 0)
    return pl.concat(
        [
            member_edges.drop("_group").select(pl.all().gather(rows)),
            shared.drop("_group").select(pl.all().gather(at[rows])),
        ],
        how="horizontal",
    )


def score(
    clustering: Clustering,
    table: EdgeTable,
    weighted: WeightedValues,
    settings: Settings,
) -> Scored:
    """Score, rank and explain every cluster of at least ``min_cluster_size`` accounts.

    Parameters
    ----------
    clustering
        Output of :func:`sybilgraph.cluster.cluster`.
    table
        The encoded bipartite table (for activity and value strings).
    weighted
        Value weights from :func:`sybilgraph.weigh.weigh`.
    settings
        The run's settings.
    """
    n_pop = max(table.n_accounts, 2)
    sizes = clustering.membership.group_by("cluster").len("n_accounts")
    member = clustering.membership.join(sizes, on="cluster").filter(
        pl.col("n_accounts") >= settings.min_cluster_size
    )
    if member.height == 0:
        return _empty()
    # A value laid on shifted time grids counts once per member and family (as in linking):
    # such values share one "piece", a negative code of their type; any other value is its
    # own piece. Made per value here, so that the per-edge grouping below is on integers.
    piece = (
        pl.col("signal_type")
        .replace_strict(
            list(GRIDDED_TYPES),
            [-1 - i for i in range(len(GRIDDED_TYPES))],
            default=pl.col("value").cast(pl.Int64),
            return_dtype=pl.Int64,
        )
        .alias("_piece")
    )
    values = weighted.values.select(
        "value", "signal_type", "signal_value", "family", "degree", "weight", "rarity", piece
    )
    member_edges, in_cluster = _cluster_values(table.edges, member)
    in_cluster = in_cluster.filter(pl.col("accounts_in_cluster") >= 2).join(
        values, on="value", maintain_order="left"
    )
    in_cluster = in_cluster.with_columns(
        (pl.col("accounts_in_cluster") / pl.col("degree")).alias("share")
    )
    # The per-edge table carries integers only: the family as its rank among the families
    # (named again once grouped by cluster) and the two types it is filtered on as flags.
    families = in_cluster.get_column("family").unique().sort()
    shared_edges = _shared_edges(
        member_edges,
        in_cluster.select(
            "_group",
            pl.col("family")
            .replace_strict(families, list(range(families.len())), return_dtype=pl.UInt32)
            .alias("_family"),
            pl.col("signal_type").is_in(["ip_window", "prompt_window"]).alias("_window"),
            (pl.col("signal_type") == "prompt_fingerprint").alias("_content"),
            "_piece",
            "weight",
            "share",
        ),
    )
    in_cluster = in_cluster.drop("_group")

    activity = table.accounts.select(
        "account",
        schema.ACCOUNT_ID,
        "n_events",
        schema.FIRST_SEEN,
        schema.LAST_SEEN,
        schema.CREATED_AT,
        schema.ORG_ID,
    )
    members = member.join(activity, on="account", how="left")

    # -- evidence strength per (member, family) and per family -----------------------------
    strength = _strength(member, shared_edges, families.len())
    member_families = strength.group_by("cluster", "account").agg(
        _corroborated(pl.col("s")).alias("member_evidence"),
        pl.len().alias("member_families"),
    )
    # Pools: how many distinct values of a family the cluster holds mostly to itself.
    pools = (
        in_cluster.filter(
            ~pl.col("signal_type").is_in(["ip_window", "prompt_window", "ip_prefix"])
            & (pl.col("share") >= 0.5)
        )
        .with_columns(
            # Sign-up windows of one day are one wave (an event, a launch), whatever the number
            # of 10-minute windows it spans; a pool of waves spreads over days.
            pl.when(pl.col("signal_type") == "signup_burst")
            .then(pl.col("signal_value").str.slice(0, 10))
            .otherwise(pl.col("signal_value"))
            .alias("_pooled")
        )
        .group_by("cluster", "family", "signal_type")
        .agg(pl.col("_pooled").n_unique().cast(pl.Float64).alias("k"))
        .group_by("cluster", "family")
        .agg(pl.col("k").max())
    )
    family = (
        strength.join(sizes, on="cluster")
        .group_by("cluster", "_family")
        .agg((pl.col("s").sum() / pl.col("n_accounts").first()).alias("s"))
        .with_columns(
            pl.col("_family")
            .replace_strict(list(range(families.len())), families, return_dtype=pl.String)
            .alias("family")
        )
        .drop("_family")
        .join(pools, on=["cluster", "family"], how="left")
        .with_columns(
            pl.when(pl.col("family").is_in(list(PERSONAL_FAMILIES)))
            .then(pl.col("s"))
            .otherwise(
                pl.col("s")
                * (1.0 - 0.7 * ((1.0 - pl.col("k").fill_null(1.0).clip(1.0)) / 2.0).exp())
            )
            .alias("s")
        )
    )
    # Load-balanced volume is what operations do and people never do; measured on enough
    # accounts it is evidence of its own kind (coordination), not only a behaviour multiplier.
    events = pl.col("n_events").cast(pl.Float64)
    volume = (
        members.group_by("cluster")
        .agg(
            pl.len().alias("_n"),
            events.median().alias("_median"),
            (events.quantile(0.75, "linear") - events.quantile(0.25, "linear")).alias("_iqr"),
        )
        .with_columns(
            # Load-balanced volume: the interquartile range is small next to the median
            # (robust to the few camouflage accounts a cluster picks up).
            pl.when(pl.col("_median") > 0)
            .then(1.0 - (pl.col("_iqr") / pl.col("_median")).clip(0.0, 1.0))
            .otherwise(0.0)
            .alias("volume_uniformity")
        )
    )
    coordination = volume.select(
        "cluster",
        pl.lit("coordination").alias("family"),
        # A spread estimated on a handful of accounts is weak: full weight from 20.
        (
            pl.col("volume_uniformity")
            * ((pl.col("_n") - 1).cast(pl.Float64) / 19.0).clip(0.0, 1.0)
        ).alias("s"),
    )
    family = pl.concat([family.select("cluster", "family", "s"), coordination], how="vertical")
    evidence_score = family.group_by("cluster").agg(
        _corroborated(pl.col("s")).alias("evidence_score"),
        (pl.col("s") >= 0.1).sum().cast(pl.Int64).alias("n_evidence_types"),
        pl.col("family").filter(pl.col("s") >= 0.1).sort().str.join(",").alias("signal_types"),
    )

    # -- behaviour -----------------------------------------------------------------------
    burst_width = settings.signup_burst_minutes * 60
    bursts = (
        members.drop_nulls(schema.CREATED_AT)
        .with_columns((pl.col(schema.CREATED_AT).dt.epoch("s") // burst_width).alias("_w"))
        .group_by("cluster", "_w")
        .len("k")
        .group_by("cluster")
        .agg(
            (pl.col("k").filter(pl.col("k") >= 3).sum() / pl.col("k").sum()).alias(
                "signup_burstiness"
            ),
            (pl.col("k") >= 3).sum().cast(pl.Int64).alias("n_signup_bursts"),
        )
    )
    sync = (
        shared_edges.filter(pl.col("_window"))
        .group_by("cluster")
        .agg(pl.col("account").n_unique().alias("_synced"))
    )
    content_traffic = (
        shared_edges.filter(pl.col("_content"))
        .group_by("cluster")
        .agg(pl.col("n_events").sum().alias("_shared_events"))
    )
    org = (
        members.drop_nulls(schema.ORG_ID)
        .group_by("cluster", schema.ORG_ID)
        .len("k")
        .group_by("cluster")
        .agg(pl.col("k").max().alias("_org_k"))
    )
    per_cluster = (
        members.group_by("cluster")
        .agg(
            pl.len().cast(pl.Int64).alias("n_accounts"),
            pl.col("n_events").sum().cast(pl.Int64).alias("n_events"),
            pl.col(schema.FIRST_SEEN).min().alias(schema.FIRST_SEEN),
            pl.col(schema.LAST_SEEN).max().alias(schema.LAST_SEEN),
            pl.col("subgroup").n_unique().cast(pl.Int64).alias("n_subgroups"),
        )
        .join(volume.select("cluster", "volume_uniformity"), on="cluster", how="left")
        .join(evidence_score, on="cluster", how="left")
        .join(bursts, on="cluster", how="left")
        .join(sync, on="cluster", how="left")
        .join(content_traffic, on="cluster", how="left")
        .join(org, on="cluster", how="left")
        .join(
            in_cluster.group_by("cluster").agg(
                (pl.col("weight") * pl.col("share") * pl.col("accounts_in_cluster"))
                .sum()
                .alias("_mass")
            ),
            on="cluster",
            how="left",
        )
        .with_columns(
            pl.col("evidence_score").fill_null(0.0),
            pl.col("n_evidence_types").fill_null(0),
            pl.col("signal_types").fill_null(""),
            pl.col("signup_burstiness").fill_null(0.0),
            pl.col("n_signup_bursts").fill_null(0),
            (pl.col("_synced").fill_null(0) / pl.col("n_accounts")).alias("timing_synchrony"),
            pl.col("volume_uniformity").fill_null(0.0),
            pl.when(pl.col("n_events") > 0)
            .then(pl.col("_shared_events").fill_null(0) / pl.col("n_events"))
            .otherwise(0.0)
            .alias("shared_traffic"),
            (pl.col("_org_k").fill_null(0) / pl.col("n_accounts")).alias("org_consistency"),
            # FRAUDAR-style density: rarity-weighted shared mass per account (Hooi et al. 2016).
            (pl.col("_mass").fill_null(0.0) / pl.col("n_accounts")).alias("weighted_density"),
        )
    )
    behaviour = (
        pl.col("signup_burstiness")
        + pl.col("volume_uniformity")
        + pl.col("shared_traffic")
        + pl.col("timing_synchrony")
    ) / 4.0
    size_factor = (
        1.0 - (-(pl.col("n_accounts") - 1).cast(pl.Float64) / settings.household_size).exp()
    )
    org_factor = 1.0 - pl.col("org_consistency") * (1.0 - settings.org_discount)
    per_cluster = per_cluster.with_columns(
        (pl.col("evidence_score") * (0.5 + 0.5 * behaviour) * size_factor * org_factor)
        .clip(0.0, 1.0)
        .round(6)
        .alias("score")
    )
    # Rank: score, then size, then the smallest account id (a stable tie-break).
    first_id = members.group_by("cluster").agg(pl.col(schema.ACCOUNT_ID).min().alias("_first"))
    per_cluster = (
        per_cluster.join(first_id, on="cluster")
        .sort(["score", "n_accounts", "_first"], descending=[True, True, False])
        .with_row_index("rank", offset=1)
        .with_columns(
            pl.col("rank").cast(pl.Int64),
            pl.format("C{}", pl.col("rank").cast(pl.String).str.zfill(_width(sizes.height))).alias(
                "cluster_id"
            ),
            (pl.col("score") >= settings.review_threshold).alias("flagged"),
        )
    )
    ids = per_cluster.select("cluster", "cluster_id", "rank")

    # -- evidence rows ------------------------------------------------------------------
    evidence = (
        in_cluster.join(ids, on="cluster")
        .with_columns(
            (pl.col("weight") * pl.col("share") * pl.col("accounts_in_cluster").log1p()).alias(
                "_order"
            ),
            pl.col("share").round(6),
        )
        # Value ids follow the (signal_type, signal_value) order: the tie-break of strings,
        # at the cost of integers.
        .sort(
            ["rank", "_order", "accounts_in_cluster", "value"],
            descending=[False, True, True, False],
        )
    )
    summaries = _summaries(evidence, per_cluster, n_pop)
    evidence_out = (
        evidence.group_by("rank", maintain_order=True)
        .head(settings.evidence_per_cluster)
        .select(
            "cluster_id",
            "signal_type",
            "signal_value",
            "accounts_in_cluster",
            pl.col("degree").alias("accounts_total"),
            "share",
            pl.col("weight").round(6),
        )
    )

    clusters = per_cluster.join(summaries, on="cluster", how="left").select(
        "rank",
        "cluster_id",
        "score",
        "flagged",
        "n_accounts",
        "n_events",
        schema.FIRST_SEEN,
        schema.LAST_SEEN,
        "signal_types",
        pl.col("summary").fill_null(""),
        "n_evidence_types",
        pl.col("evidence_score").round(6),
        pl.col("weighted_density").round(6),
        pl.col("signup_burstiness").round(6),
        "n_signup_bursts",
        pl.col("timing_synchrony").round(6),
        pl.col("volume_uniformity").round(6),
        pl.col("shared_traffic").round(6),
        pl.col("org_consistency").round(6),
        "n_subgroups",
    )
    members_out = (
        members.join(ids, on="cluster")
        .join(member_families, on=["cluster", "account"], how="left")
        .join(per_cluster.select("cluster", "score"), on="cluster")
        .with_columns(
            (pl.col("score") * pl.col("member_evidence").fill_null(0.0))
            .clip(0.0, 1.0)
            .round(6)
            .alias("member_score"),
        )
        .with_columns(
            pl.format(
                "{}.{}",
                pl.col("cluster_id"),
                pl.col("subgroup").rank("dense").over("cluster").cast(pl.Int64),
            ).alias("subgroup_id")
        )
        .sort(["rank", "member_score", schema.ACCOUNT_ID], descending=[False, True, False])
        .select(
            schema.ACCOUNT_ID,
            "cluster_id",
            pl.col("rank").alias("cluster_rank"),
            "member_score",
            "n_events",
            schema.FIRST_SEEN,
            schema.LAST_SEEN,
            "subgroup_id",
            schema.CREATED_AT,
            schema.ORG_ID,
        )
    )
    return Scored(clusters=clusters, members=members_out, evidence=evidence_out)


def _corroborated(s: pl.Expr) -> pl.Expr:
    """Strongest evidence family times the noisy-OR of the others, square-rooted."""
    # Capped just below 1 so that the logarithms stay finite when a family is certain.
    s = s.fill_nan(0.0).clip(0.0, 1.0 - 1e-9)
    top = s.max()
    rest = 1.0 - ((1.0 - s).log().sum() - (1.0 - top).log()).exp()
    return (top * rest).clip(0.0, 1.0).sqrt()


def _width(n: int) -> int:
    return max(4, len(str(n)))


def _summaries(evidence: pl.DataFrame, clusters: pl.DataFrame, n_pop: int) -> pl.DataFrame:
    """One readable line per cluster: who shares what, how exclusively, and when."""
    counts = (
        evidence.filter(~pl.col("signal_type").is_in(_TIMING))
        .group_by("cluster", "signal_type")
        .agg(
            pl.len().alias("k"),
            (pl.col("share") >= 0.9).sum().alias("exclusive"),
            (pl.col("weight") * pl.col("share") * pl.col("accounts_in_cluster"))
            .sum()
            .alias("mass"),
        )
        .sort(["cluster", "mass", "signal_type"], descending=[False, True, False])
    )
    by_cluster: dict[int, list[str]] = {}
    for row in counts.iter_rows(named=True):
        parts = by_cluster.setdefault(row["cluster"], [])
        if len(parts) >= 3:
            continue
        singular, plural = _NOUNS.get(row["signal_type"], (row["signal_type"], row["signal_type"]))
        noun = singular if row["k"] == 1 else plural
        text = f"{row['k']} {noun}"
        if row["exclusive"] == row["k"]:
            text += " used only by them"
        elif row["exclusive"]:
            text += f" ({row['exclusive']} used only by them)"
        parts.append(text)
    lines: dict[int, str] = {}
    for row in clusters.iter_rows(named=True):
        parts = by_cluster.get(row["cluster"], [])
        text = f"{row['n_accounts']} accounts"
        text += " share " + _join(parts) if parts else " share only timing evidence"
        extras = []
        if row["n_signup_bursts"] and row["signup_burstiness"] >= 0.3:
            extras.append(
                f"{math.floor(100 * row['signup_burstiness'])}% created in "
                f"{row['n_signup_bursts']} burst{'s' if row['n_signup_bursts'] != 1 else ''}"
            )
        if row["timing_synchrony"] >= 0.3:
            extras.append(
                f"{math.floor(100 * row['timing_synchrony'])}% active on shared values "
                "in the same hour"
            )
        if row["org_consistency"] >= 0.5:
            extras.append(f"{math.floor(100 * row['org_consistency'])}% in one declared org")
        lines[row["cluster"]] = "; ".join([text, *extras])
    del n_pop
    return pl.DataFrame(
        {"cluster": list(lines), "summary": list(lines.values())},
        schema={"cluster": pl.Int64, "summary": pl.String},
    )


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _empty() -> Scored:
    clusters = pl.DataFrame(
        schema={
            "rank": pl.Int64,
            "cluster_id": pl.String,
            "score": pl.Float64,
            "flagged": pl.Boolean,
            "n_accounts": pl.Int64,
            "n_events": pl.Int64,
            schema.FIRST_SEEN: schema.DATETIME,
            schema.LAST_SEEN: schema.DATETIME,
            "signal_types": pl.String,
            "summary": pl.String,
        }
    )
    members = pl.DataFrame(
        schema={
            schema.ACCOUNT_ID: pl.String,
            "cluster_id": pl.String,
            "cluster_rank": pl.Int64,
            "member_score": pl.Float64,
            "n_events": pl.Int64,
            schema.FIRST_SEEN: schema.DATETIME,
            schema.LAST_SEEN: schema.DATETIME,
        }
    )
    evidence = pl.DataFrame(
        schema={
            "cluster_id": pl.String,
            "signal_type": pl.String,
            "signal_value": pl.String,
            "accounts_in_cluster": pl.Int64,
            "accounts_total": pl.Int64,
            "share": pl.Float64,
        }
    )
    return Scored(clusters=clusters, members=members, evidence=evidence)
