"""Cohorts (groups of accounts generated alike) and the day-by-day event engine.

Every population (ordinary users, one look-alike, one operation) is a :class:`Cohort`: one row
per account in flat numpy arrays, plus what its requests look like: an activity profile, a
total number of requests, and per-account pools of IPs, clients, devices, system prompts and
prompt templates.

Events are drawn one UTC day at a time, for all cohorts, so that the events file is written in
time order with memory bounded by one day of traffic. Each account's total is split exactly
over the days of its active span (sequential binomial draws, which together are a multinomial),
so planted volumes are exact however the window is chunked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from sybilgraph.generate import vocab
from sybilgraph.generate.presets import Preset
from sybilgraph.generate.values import F64, I64, U64, Pool, Zipf, random_codes, stream

__all__ = ["CURVES", "Cohort", "Context", "DayEvents", "draw_day"]

HOUR_US: Final = 3_600_000_000
DAY_US: Final = 24 * HOUR_US

#: Activity by local hour (0-23), relative weights.
CURVES: Final[dict[str, tuple[float, ...]]] = {
    # Evenings peak, nights quiet.
    "residential": (3, 2, 1.5, 1, 1, 1.2, 2, 4, 6, 7, 7.5, 8, 8, 8, 8, 8, 8, 9, 10, 11, 12, 11,
                    8, 5),
    # Office hours with a lunch dip; almost nothing at night.
    "business": (0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 1, 4, 9, 12, 12, 11, 7, 10, 12, 12, 11, 8, 4, 2,
                 1.5, 1, 0.6, 0.3),
    # Late afternoons and late nights.
    "student": (7, 5, 3, 1.5, 0.7, 0.5, 0.8, 2, 4, 6, 8, 9, 9, 10, 10, 10, 10, 10, 11, 12, 13,
                13, 12, 10),
    # A platform serving customers in many time zones: flattened business hours.
    "platform": (4, 3.5, 3, 3, 3, 3.5, 4.5, 6, 8, 9, 9.5, 9.5, 9, 9.5, 9.5, 9.5, 9, 8, 7, 6.5,
                 6, 5.5, 5, 4.5),
    # Machines: round the clock.
    "flat": (1,) * 24,
}  # fmt: skip
_CURVE_NAMES: Final = tuple(CURVES)


def profile_code(curve: str, utc_offset: I64 | int) -> npt.NDArray[np.int16]:
    """Encode (curve, UTC offset in hours) as one small integer per account."""
    off = np.asarray(utc_offset, dtype=np.int64) % 24
    return (_CURVE_NAMES.index(curve) * 24 + off).astype(np.int16)


@dataclass
class Context:
    """What every cohort builder shares: the window, the seed and the public catalogues."""

    preset: Preset
    seed: int
    #: Window start and end (exclusive) in microseconds since the epoch.
    start_us: int
    end_us: int
    #: Codes of popular public prompt templates and SDK default system prompts, by rank.
    public_templates: U64
    sdk_prompts: U64
    template_zipf: Zipf
    sdk_zipf: Zipf
    agent_zipf: Zipf
    country_cdf: F64
    country_offsets: I64

    @classmethod
    def build(cls, preset: Preset, seed: int) -> Context:
        """The context of one run."""
        rng = stream(seed, "catalogues")
        start = int(preset.start.timestamp()) * 1_000_000
        shares = np.array([c[1] for c in vocab.COUNTRIES])
        return cls(
            preset=preset,
            seed=seed,
            start_us=start,
            end_us=start + preset.days * DAY_US,
            public_templates=random_codes(rng, preset.n_public_templates),
            sdk_prompts=random_codes(rng, preset.n_sdk_prompts),
            template_zipf=Zipf.of(preset.n_public_templates, 1.1),
            sdk_zipf=Zipf.of(preset.n_sdk_prompts, 1.2),
            agent_zipf=Zipf.of(len(vocab.USER_AGENTS), 1.15),
            country_cdf=np.cumsum(shares) / shares.sum(),
            country_offsets=np.array([c[2] for c in vocab.COUNTRIES], dtype=np.int64),
        )

    @property
    def first_weekday(self) -> int:
        """Weekday (Monday = 0) of the window's first day."""
        return int((self.start_us // DAY_US + 3) % 7)  # 1970-01-01 was a Thursday

    @property
    def days(self) -> int:
        """Days in the window."""
        return self.preset.days

    def day_us(self, day: int | float) -> int:
        """Start of window day ``day`` in microseconds since the epoch."""
        return self.start_us + int(day * DAY_US)

    def countries(self, rng: np.random.Generator, n: int) -> I64:
        """``n`` country indices (into :data:`vocab.COUNTRIES`) by share of users."""
        idx = np.searchsorted(self.country_cdf, rng.random(n), side="right")
        return np.minimum(idx, len(self.country_cdf) - 1).astype(np.int64)

    def weekday_weights(self, weekend: float, *, launch: bool = False) -> F64:
        """Per-day activity factor: ``weekend`` on Saturdays and Sundays, and (for ordinary
        users) the launch-day boost."""
        first = self.first_weekday
        weekday = (first + np.arange(self.days)) % 7
        w = np.where(weekday >= 5, weekend, 1.0)
        if launch and 0 <= self.preset.launch_day < self.days:
            w[self.preset.launch_day] *= self.preset.launch_boost
            if self.preset.launch_day + 1 < self.days:
                w[self.preset.launch_day + 1] *= 1 + (self.preset.launch_boost - 1) / 2
        return w.astype(np.float64)

    def times_in_days(
        self, rng: np.random.Generator, day_start: I64, profile: npt.NDArray[np.int16]
    ) -> I64:
        """One timestamp inside each given UTC day, at an hour drawn from the profile."""
        return (
            day_start
            + sample_hours(rng, profile) * HOUR_US
            + rng.integers(0, HOUR_US, len(day_start))
        )


def sample_hours(rng: np.random.Generator, profile: npt.NDArray[np.int16]) -> I64:
    """A UTC hour per row, drawn from each row's (curve, offset) profile."""
    curve = profile // 24
    offset = (profile % 24).astype(np.int64)
    local = np.empty(len(profile), dtype=np.int64)
    u = rng.random(len(profile))
    for i, name in enumerate(_CURVE_NAMES):
        rows = curve == i
        if rows.any():
            w = np.asarray(CURVES[name], dtype=np.float64)
            cdf = np.cumsum(w) / w.sum()
            local[rows] = np.minimum(np.searchsorted(cdf, u[rows], side="right"), 23)
    # Local hour h at UTC offset o is UTC hour h - o.
    return (local - offset) % 24


#: ``hook(rng, day_start_us, accounts, timestamps) -> (accounts, timestamps)`` reshapes one
#: cohort's events of one day (bursts, failover).
Hook = Callable[[np.random.Generator, int, I64, I64], tuple[I64, I64]]


@dataclass
class Cohort:
    """Accounts generated alike, and how their requests are drawn."""

    kind: str
    operation_id: str
    # ---- the accounts table -----------------------------------------------------------------
    created_at: I64
    email: pl.Series
    #: Card codes; 0 = no card.
    card: U64
    signup_ip: U64
    country: I64
    #: Declared organisation per account (null when none).
    org: pl.Series
    # ---- activity ---------------------------------------------------------------------------
    #: Requests each account makes in the window.
    n_events: I64
    #: Active span of each account, microseconds since the epoch (end exclusive).
    active_start: I64
    active_end: I64
    #: Hour-of-day profile per account (see :func:`profile_code`).
    profile: npt.NDArray[np.int16]
    #: Per-day activity factor of the cohort.
    day_weights: F64
    # ---- what each request carries -----------------------------------------------------------
    ips: Pool
    #: Indices into :data:`vocab.USER_AGENTS` (or into ``extra_agents`` past its end).
    agents: Pool
    devices: Pool
    #: Per-account probability that a request has no system prompt, or an SDK default one;
    #: the remainder uses the account's own system prompts (``system_own``).
    p_system_none: F64
    p_system_sdk: F64
    system_own: Pool
    #: Per-account probability that a prompt is a public template, or one of the account's own
    #: templates (``prompt_own``); the remainder are unique prompts.
    p_public: F64
    p_own: F64
    prompt_own: Pool
    hooks: list[Hook] = field(default_factory=list)
    #: Client strings this cohort adds to the catalogue (a corporate SDK, a reseller front).
    extra_agents: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.created_at)

    def check(self) -> None:
        """Fail loudly on an inconsistent cohort (a generator bug, not a data problem)."""
        n = len(self)
        sizes = {
            "email": len(self.email),
            "card": len(self.card),
            "signup_ip": len(self.signup_ip),
            "country": len(self.country),
            "org": len(self.org),
            "n_events": len(self.n_events),
            "active_start": len(self.active_start),
            "active_end": len(self.active_end),
            "profile": len(self.profile),
            "p_system_none": len(self.p_system_none),
            "p_system_sdk": len(self.p_system_sdk),
            "p_public": len(self.p_public),
            "p_own": len(self.p_own),
            **{k: len(getattr(self, k).offsets) - 1 for k in ("ips", "agents", "devices")},
            **{k: len(getattr(self, k).offsets) - 1 for k in ("system_own", "prompt_own")},
        }
        wrong = {k: v for k, v in sizes.items() if v != n}
        if wrong:
            raise AssertionError(f"cohort {self.kind}: {n} accounts but sizes {wrong}")
        for pool in ("ips", "agents", "devices"):
            if (getattr(self, pool).lengths() == 0).any():
                raise AssertionError(f"cohort {self.kind}: an account has an empty {pool} pool")
        need_sys = (1 - self.p_system_none - self.p_system_sdk) > 1e-9
        if (need_sys & (self.system_own.lengths() == 0)).any():
            raise AssertionError(f"cohort {self.kind}: own system prompts used but none given")
        if ((self.p_own > 0) & (self.prompt_own.lengths() == 0)).any():
            raise AssertionError(f"cohort {self.kind}: own templates used but none given")


@dataclass
class DayEvents:
    """One cohort's events of one day, as codes."""

    account: I64
    timestamp: I64
    ip: U64
    agent: I64
    device: U64
    system: U64
    prompt: U64

    @classmethod
    def concat(cls, parts: list[DayEvents]) -> DayEvents:
        """All parts, one after the other."""
        return cls(
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in ("account", "timestamp", "ip", "agent", "device", "system", "prompt")
            )
        )


class Activity:
    """The requests each account of a cohort has left, and the activity weight left to spread
    them over."""

    def __init__(self, ctx: Context, cohort: Cohort) -> None:
        self.cohort = cohort
        self.ctx = ctx
        total = np.zeros(len(cohort), dtype=np.float64)
        for day in range(ctx.days):
            total += self.weight(day)
        self.remaining = np.where(total > 0, cohort.n_events, 0).astype(np.int64)
        self.left = total
        self.tolerance = total * 1e-9

    def weight(self, day: int) -> F64:
        """Share of each account's activity that falls on ``day``."""
        c = self.cohort
        start = self.ctx.day_us(day)
        lo = np.maximum(c.active_start, start)
        hi = np.minimum(c.active_end, start + DAY_US)
        share: F64 = np.clip(hi - lo, 0, None) / DAY_US * c.day_weights[day]
        return share

    def take(self, rng: np.random.Generator, day: int) -> I64:
        """Requests each account makes on ``day`` (call once per day, in order)."""
        w = self.weight(day)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(self.left > 0, w / self.left, 0.0)
        # On an account's last active day the whole remainder is due.
        p = np.where((w > 0) & (self.left - w <= self.tolerance), 1.0, np.clip(p, 0.0, 1.0))
        counts = rng.binomial(self.remaining, p).astype(np.int64)
        self.remaining -= counts
        self.left -= w
        return counts


def draw_day(
    ctx: Context, cohort: Cohort, counts: I64, rng: np.random.Generator, day: int
) -> DayEvents:
    """The requests of one cohort on one day, given how many each account makes."""
    acc = np.repeat(np.arange(len(cohort), dtype=np.int64), counts)
    m = len(acc)
    start = ctx.day_us(day)
    ts = ctx.times_in_days(rng, np.full(m, start, dtype=np.int64), cohort.profile[acc])
    # Keep each request inside its account's active span (sign-up day, ban day).
    lo = np.maximum(cohort.active_start[acc], start)
    hi = np.minimum(cohort.active_end[acc], start + DAY_US)
    out = (ts < lo) | (ts >= hi)
    if out.any():
        ts[out] = lo[out] + (rng.random(int(out.sum())) * (hi[out] - lo[out])).astype(np.int64)
    for hook in cohort.hooks:
        acc, ts = hook(rng, start, acc, ts)

    u = rng.random(m)
    none = u < cohort.p_system_none[acc]
    sdk = ~none & (u < (cohort.p_system_none + cohort.p_system_sdk)[acc])
    own = ~none & ~sdk
    system = np.zeros(m, dtype=np.uint64)
    system[sdk] = ctx.sdk_prompts[ctx.sdk_zipf.sample(rng, int(sdk.sum()))]
    system[own] = cohort.system_own.pick(rng, acc[own])

    v = rng.random(m)
    public = v < cohort.p_public[acc]
    mine = ~public & (v < (cohort.p_public + cohort.p_own)[acc])
    prompt = random_codes(rng, m)
    prompt[public] = ctx.public_templates[ctx.template_zipf.sample(rng, int(public.sum()))]
    prompt[mine] = cohort.prompt_own.pick(rng, acc[mine])

    return DayEvents(
        account=acc,
        timestamp=ts,
        ip=cohort.ips.pick(rng, acc).astype(np.uint64),
        agent=cohort.agents.pick(rng, acc).astype(np.int64),
        device=cohort.devices.pick(rng, acc).astype(np.uint64),
        system=system,
        prompt=prompt,
    )
