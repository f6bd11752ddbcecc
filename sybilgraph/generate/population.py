"""Ordinary users: the benign population, and the base every look-alike starts from.

An ordinary account signed up some time in the year before the window (recent sign-ups more
likely) or inside it; makes a heavy-tailed number of requests (lognormal: most a handful, a
few thousands) at the hours people are awake in its country; connects from one to three
residential IPs of its own, from its own devices, with one or two popular clients; most of its
requests carry no system prompt, the rest an SDK default or the user's own; most prompts are
unique, some use popular public templates.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from sybilgraph.generate import vocab
from sybilgraph.generate.cohort import DAY_US, Cohort, Context, profile_code
from sybilgraph.generate.emails import person_emails
from sybilgraph.generate.presets import Benign
from sybilgraph.generate.values import (
    F64,
    I64,
    U64,
    Pool,
    ipv4_codes,
    ipv6_codes,
    random_codes,
)

__all__ = ["beta_mean", "ordinary", "residential_ips", "signup_times"]


def beta_mean(rng: np.random.Generator, mean: float, n: int, concentration: float = 2.0) -> F64:
    """Per-account shares spread around ``mean`` (Beta with the given concentration)."""
    if mean <= 0.0:
        return np.zeros(n)
    if mean >= 1.0:
        return np.ones(n)
    return rng.beta(mean * concentration, (1 - mean) * concentration, n)


def residential_ips(rng: np.random.Generator, n: int, ipv6_share: float) -> U64:
    """``n`` home addresses from consumer ISP space; a share of them IPv6."""
    ips = ipv4_codes(rng, n, vocab.RESIDENTIAL_FIRST_OCTETS)
    v6 = rng.random(n) < ipv6_share
    ips[v6] = ipv6_codes(rng, int(v6.sum()))
    return ips


def signup_times(ctx: Context, rng: np.random.Generator, p: Benign, profile: np.ndarray) -> I64:
    """Sign-up times: in the window for a share, else going back up to a year, recent more
    likely (an exponential decay in age)."""
    n = len(profile)
    in_window = rng.random(n) < p.created_in_window_share
    age = np.minimum(rng.exponential(p.history_scale_days, n), p.history_days - 1)
    day = np.where(
        in_window,
        rng.integers(0, ctx.days, n),
        -1 - np.floor(age).astype(np.int64),
    )
    return ctx.times_in_days(rng, ctx.start_us + day * DAY_US, profile)


def ordinary(
    ctx: Context,
    rng: np.random.Generator,
    n: int,
    p: Benign,
    *,
    kind: str = "benign",
    curve: str = "residential",
    country: I64 | None = None,
) -> Cohort:
    """``n`` ordinary accounts; look-alike builders start from this and change what differs."""
    country = ctx.countries(rng, n) if country is None else country
    profile = profile_code(curve, ctx.country_offsets[country])
    created = signup_times(ctx, rng, p, profile)

    active_start = np.maximum(created, ctx.start_us)
    active_end = np.full(n, ctx.end_us, dtype=np.int64)
    partial = rng.random(n) < p.partial_activity_share
    a, b = np.sort(rng.random((2, n)), axis=0)
    span = ctx.end_us - active_start
    active_start = np.where(partial, active_start + (a * span).astype(np.int64), active_start)
    active_end = np.where(
        partial, np.maximum(active_start + DAY_US // 24, active_start + (b - a) * span), active_end
    ).astype(np.int64)
    active_end = np.minimum(active_end, ctx.end_us)

    n_events = np.ceil(rng.lognormal(np.log(p.events_median), p.events_sigma, n))
    n_events = np.minimum(n_events, p.events_cap).astype(np.int64)
    n_events[rng.random(n) < p.dormant_share] = 0

    card = np.where(rng.random(n) < p.card_share, random_codes(rng, n), np.uint64(0))

    n_ips = rng.integers(1, p.max_ips + 1, n)
    ip_values = residential_ips(rng, int(n_ips.sum()), 0.0)
    ips = Pool.from_lengths(n_ips, ip_values)
    v6_home = rng.random(n) < p.ipv6_share
    ip_values[ips.offsets[:-1][v6_home]] = ipv6_codes(rng, int(v6_home.sum()))

    n_agents = 1 + (rng.random(n) < p.second_ua_share)
    agents = Pool.from_lengths(n_agents, ctx.agent_zipf.sample(rng, int(n_agents.sum())))
    n_devices = 1 + (rng.random(n) < p.second_device_share)
    devices = Pool.from_lengths(n_devices, random_codes(rng, int(n_devices.sum())))

    p_none = beta_mean(rng, p.no_system_prompt_share, n)
    p_sdk = (1 - p_none) * beta_mean(rng, p.sdk_system_prompt_share, n)
    n_own_system = rng.integers(1, 3, n)
    system_own = Pool.from_lengths(n_own_system, random_codes(rng, int(n_own_system.sum())))

    return Cohort(
        kind=kind,
        operation_id="",
        created_at=created,
        email=person_emails(rng, country),
        card=card,
        signup_ip=ips.first().astype(np.uint64),
        country=country,
        org=pl.Series("org_id", [None] * n, dtype=pl.String),
        n_events=n_events,
        active_start=active_start,
        active_end=active_end,
        profile=profile,
        day_weights=ctx.weekday_weights(0.85, launch=True),
        ips=ips,
        agents=agents,
        devices=devices,
        p_system_none=p_none,
        p_system_sdk=p_sdk,
        system_own=system_own,
        p_public=beta_mean(rng, p.public_template_share, n),
        p_own=np.zeros(n),
        prompt_own=Pool.empty(n),
    )
