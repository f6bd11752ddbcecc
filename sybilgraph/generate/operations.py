"""Planted operations: accounts run by one actor, showing the behaviours their preset switches on.

Each behaviour of :class:`~sybilgraph.generate.presets.Operation` changes one family of
evidence; a behaviour left out falls back to what a careful actor would do instead (aged accounts
with ordinary e-mails, unrelated cards, residential proxies, popular clients, unique prompts,
human-looking volume and hours). Camouflage is always present: cover traffic on popular
templates and SDK prompts, and some accounts with their own card or residential IPs.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from sybilgraph.generate import vocab
from sybilgraph.generate.cohort import DAY_US, HOUR_US, Cohort, Context, Hook, profile_code
from sybilgraph.generate.emails import (
    disposable_emails,
    gmail_variants,
    name_digit_emails,
    person_emails,
)
from sybilgraph.generate.population import residential_ips
from sybilgraph.generate.presets import CoordinatedTiming, HydraFront, Operation
from sybilgraph.generate.values import (
    F64,
    I64,
    U64,
    Pool,
    apportion,
    ipv4_codes,
    ipv6_codes,
    random_codes,
    subnet_hosts,
)

__all__ = ["burst_hook", "failover_hook", "operation"]

_L = len(vocab.USER_AGENTS)
_MINUTE_US = 60_000_000


def _spans(ctx: Context, rng: np.random.Generator, op: Operation) -> tuple[I64, I64]:
    """Working span of each account: the whole span, or one regrowth generation each."""
    n = op.n_accounts
    start = ctx.day_us(op.start_day)
    end = ctx.day_us(op.end_day if op.end_day is not None else ctx.days)
    if op.regrowth is None:
        return np.full(n, start, dtype=np.int64), np.full(n, end, dtype=np.int64)
    waves = op.regrowth.waves
    wave = np.arange(n) * waves // n
    length = (end - start) / waves
    jitter = rng.integers(0, 6 * HOUR_US, n)
    lag = np.where(wave > 0, int(op.regrowth.lag_hours * HOUR_US), 0)
    begin = start + (wave * length).astype(np.int64) + lag + jitter
    banned = start + ((wave + 1) * length).astype(np.int64) + rng.integers(-12, 12, n) * HOUR_US
    banned = np.where(wave == waves - 1, end, np.minimum(banned, end))
    return begin.astype(np.int64), np.maximum(banned, begin + HOUR_US).astype(np.int64)


def _creation(
    ctx: Context, rng: np.random.Generator, op: Operation, begin: I64, country: I64
) -> tuple[I64, pl.Series]:
    """Sign-up times and e-mails: bursts from one generator, or aged ordinary accounts."""
    n = op.n_accounts
    spec = op.creation
    if spec is None:
        age = rng.uniform(10, 300, n) * DAY_US
        profile = profile_code("residential", ctx.country_offsets[country])
        day = ((begin - age.astype(np.int64) - ctx.start_us) // DAY_US) * DAY_US + ctx.start_us
        return ctx.times_in_days(rng, day, profile), person_emails(rng, country)

    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(spec.batch_size[0], spec.batch_size[1] + 1)))
    sizes[-1] -= sum(sizes) - n
    batch = np.repeat(np.arange(len(sizes)), sizes)
    first_begin = np.minimum.reduceat(begin, np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    lead = rng.uniform(spec.lead_days[0], spec.lead_days[1], len(sizes)) * DAY_US
    burst_start = first_begin - lead.astype(np.int64)
    minutes = rng.uniform(spec.batch_minutes[0], spec.batch_minutes[1], len(sizes))
    created = burst_start[batch] + (rng.random(n) * minutes[batch] * _MINUTE_US).astype(np.int64)

    style = np.asarray([spec.email_styles[b % len(spec.email_styles)] for b in range(len(sizes))])[
        batch
    ]
    email = pl.Series("email", [None] * n, dtype=pl.String)
    for name in spec.email_styles:
        rows = np.flatnonzero(style == name)
        if name == "name_digits":
            made = name_digit_emails(rng, len(rows))
        elif name == "gmail_variants":
            made = gmail_variants(rng, len(rows), spec.base_mailboxes)
        elif name == "disposable":
            made = disposable_emails(rng, len(rows))
        else:
            raise ValueError(f"unknown e-mail style {name!r}")
        email = email.scatter(rows, made)
    return created, email


def _cards(rng: np.random.Generator, op: Operation, n: int) -> U64:
    """Shared batch cards (each on many accounts), some own cards; or unrelated cards."""
    if op.payment is None:
        return np.where(rng.random(n) < 0.5, random_codes(rng, n), np.uint64(0))
    lo, hi = op.payment.accounts_per_card
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(lo, hi + 1)))
    cards = random_codes(rng, len(sizes))
    card = np.repeat(cards, sizes)[:n][rng.permutation(n)]
    own = rng.random(n) < op.camouflage.own_card_share
    card[own] = random_codes(rng, int(own.sum()))
    return card


def _ips(rng: np.random.Generator, op: Operation, n: int) -> Pool:
    """Proxy exits (an account-specific subset of the pool) or residential proxies."""
    spec = op.proxy
    if spec is None:
        k = rng.integers(2, 7, n)
        return Pool.from_lengths(k, residential_ips(rng, int(k.sum()), 0.1))
    nets = ipv4_codes(rng, spec.n_subnets, vocab.HOSTING_FIRST_OCTETS) & ~np.uint64(255)
    exits = subnet_hosts(rng, nets, spec.n_exits)
    k = rng.integers(spec.exits_per_account[0], spec.exits_per_account[1] + 1, n)
    values = exits[rng.integers(0, spec.n_exits, int(k.sum()))]
    if spec.ipv6_share > 0:
        block = ipv6_codes(rng, 1, server=True)[0]
        v6_exits = ipv6_codes(rng, max(2, spec.n_exits // 4), prefix=int(block), server=True)
        swap = rng.random(len(values)) < spec.ipv6_share
        values[swap] = v6_exits[rng.integers(0, len(v6_exits), int(swap.sum()))]
    own = rng.random(n) < op.camouflage.residential_share
    lengths = np.where(own, 2, k)
    kept = np.repeat(~own, k)
    out = np.empty(int(lengths.sum()), dtype=np.uint64)
    out_owner = np.repeat(np.arange(n), lengths)
    out[~own[out_owner]] = values[kept]
    out[own[out_owner]] = residential_ips(rng, int(own.sum()) * 2, 0.1)
    return Pool.from_lengths(lengths, out)


def _volumes(rng: np.random.Generator, op: Operation, begin: I64, end: I64) -> I64:
    """Requests per account: load-balanced (near-equal) or heavy-tailed, summing exactly."""
    n = op.n_accounts
    if op.timing is not None:
        weight = np.clip(1 + op.timing.volume_jitter * rng.standard_normal(n), 0.5, 1.5)
    else:
        weight = rng.lognormal(0.0, 0.8, n)
    # Rate, not total, is what the actor balances: shorter-lived generations make fewer.
    weight = weight * (end - begin) / (end - begin).max()
    total = op.total_events if op.total_events is not None else round(op.events_per_account * n)
    return apportion(int(total), weight.astype(np.float64))


def burst_hook(timing: CoordinatedTiming, begin: I64, end: I64) -> Hook:
    """Move a share of each day's requests into a few short windows shared by the whole op."""

    def hook(rng: np.random.Generator, day_start: int, acc: I64, ts: I64) -> tuple[I64, I64]:
        k = int(rng.integers(timing.bursts_per_day[0], timing.bursts_per_day[1] + 1))
        if k == 0 or len(ts) == 0:
            return acc, ts
        length = int(timing.burst_minutes * _MINUTE_US)
        starts = day_start + rng.integers(0, DAY_US - length, k)
        move = rng.random(len(ts)) < timing.burst_share
        new = starts[rng.integers(0, k, int(move.sum()))] + rng.integers(0, length, int(move.sum()))
        ts = ts.copy()
        # A burst outside an account's working span (before sign-up, after a ban) skips it.
        lo = np.maximum(begin[acc[move]], day_start)
        hi = np.minimum(end[acc[move]], day_start + DAY_US)
        ts[move] = np.where((new >= lo) & (new < hi), new, ts[move])
        return acc, ts

    return hook


def failover_hook(hydra: HydraFront, begin: I64, end: I64) -> Hook:
    """One stream of requests cut into runs, one account per run: an account works until it
    is rate-limited and the next takes over within seconds.

    The front works in one to three sessions a day; inside a session requests follow each
    other seconds to tens of seconds apart, and a hand-over to the next account takes 1-8
    seconds.
    """

    def hook(rng: np.random.Generator, day_start: int, acc: I64, ts: I64) -> tuple[I64, I64]:
        m = len(acc)
        if m == 0:
            return acc, ts
        # acc is grouped by account (np.repeat); rank of each request within its account.
        first = np.r_[0, np.flatnonzero(np.diff(acc)) + 1]
        count = np.diff(np.r_[first, m])
        rank = np.arange(m) - np.repeat(first, count)
        runs = np.minimum(hydra.runs_per_day, count)
        run_base = np.repeat(np.r_[0, np.cumsum(runs)[:-1]], count)
        run = run_base + rank * np.repeat(runs, count) // np.repeat(count, count)
        order = np.lexsort((rank, rng.permutation(int(runs.sum()))[run]))
        acc, run = acc[order], run[order]

        second = 1_000_000
        # A busy front works faster, so that a day's stream fits in the day.
        gaps = rng.exponential(min(30 * second, DAY_US // (2 * m)), m).astype(np.int64)
        handover = np.r_[True, run[1:] != run[:-1]]
        gaps[handover] = rng.integers(1 * second, 8 * second, int(handover.sum()))
        sessions = int(rng.integers(1, 4))
        cut = np.sort(
            rng.choice(np.flatnonzero(handover), min(sessions, int(handover.sum())), replace=False)
        )
        cut[0] = 0
        session = np.cumsum(np.isin(np.arange(m), cut)) - 1
        elapsed = np.cumsum(gaps)
        elapsed -= elapsed[cut][session]
        room = max(1, DAY_US - int(elapsed.max()) - 1)
        starts = day_start + rng.integers(0, room, len(cut))
        stream_ts = starts[session] + elapsed
        # Keep each request inside the day and its account's working span.
        lo = np.maximum(begin[acc], day_start)
        hi = np.minimum(end[acc], day_start + DAY_US) - 1
        return acc, np.clip(stream_ts, lo, hi)

    return hook


def operation(ctx: Context, rng: np.random.Generator, op: Operation) -> Cohort:
    """The accounts and request model of one planted operation."""
    n = op.n_accounts
    begin, end = _spans(ctx, rng, op)
    # Claimed countries look like the user base; the hours give a 24x7 operation away.
    country = ctx.countries(rng, n)
    created, email = _creation(ctx, rng, op, begin, country)
    begin = np.maximum(begin, created)

    ips = _ips(rng, op, n)
    cover = op.camouflage.cover_share
    hooks: list[Hook] = []
    extra: tuple[str, ...] = ()
    if op.hydra is not None:
        if op.hydra.user_agent:
            extra, agent = (op.hydra.user_agent,), _L
        else:
            agent = 0  # mimic the most popular client string
        agents = Pool.single(np.full(n, agent, dtype=np.int64))
        shared = random_codes(rng, op.hydra.n_devices)
        devices = Pool.from_lengths(np.full(n, op.hydra.n_devices), np.tile(shared, n))
    else:
        agents = Pool.single(ctx.agent_zipf.sample(rng, n))
        devices = Pool.single(random_codes(rng, n))

    if op.templates is not None:
        t = op.templates
        templates = random_codes(rng, t.n_templates)
        k = rng.integers(t.templates_per_account[0], t.templates_per_account[1] + 1, n)
        k = np.minimum(k, t.n_templates)
        prompt_own = Pool.from_lengths(k, templates[rng.integers(0, t.n_templates, int(k.sum()))])
        p_own: F64 = np.full(n, t.template_share)
        system_prompts = random_codes(rng, t.n_system_prompts)
        system_own = Pool.from_lengths(np.full(n, t.n_system_prompts), np.tile(system_prompts, n))
        p_sdk: F64 = np.full(n, cover)
        p_none: F64 = np.full(n, max(0.0, 1 - cover - t.system_share))
    else:
        prompt_own = Pool.empty(n)
        p_own = np.zeros(n)
        system_own = Pool.empty(n)
        p_sdk = np.full(n, max(cover, 0.3))
        p_none = 1 - p_sdk

    if op.timing is not None:
        profile = profile_code("flat", np.zeros(n, dtype=np.int64))
        if op.timing.bursts_per_day[1] > 0:
            hooks.append(burst_hook(op.timing, begin, end))
    else:
        profile = profile_code("residential", ctx.country_offsets[country])
    if op.hydra is not None:
        hooks.append(failover_hook(op.hydra, begin, end))

    return Cohort(
        kind=op.kind,
        operation_id=op.operation_id,
        created_at=created.astype(np.int64),
        email=email,
        card=_cards(rng, op, n),
        signup_ip=ips.first().astype(np.uint64),
        country=country,
        org=pl.Series("org_id", [None] * n, dtype=pl.String),
        n_events=_volumes(rng, op, begin, end),
        active_start=begin,
        active_end=end,
        profile=profile,
        day_weights=np.ones(ctx.days),
        ips=ips,
        agents=agents,
        devices=devices,
        p_system_none=p_none,
        p_system_sdk=p_sdk,
        system_own=system_own,
        p_public=np.full(n, cover),
        p_own=p_own,
        prompt_own=prompt_own,
        hooks=hooks,
        extra_agents=extra,
    )
