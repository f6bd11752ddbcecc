"""Benign look-alikes: innocent users who share values the way operations do.

Each builder starts from ordinary accounts (:func:`population.ordinary`) and changes only what
its situation changes: a carrier's NAT address, an enterprise's egress IPs, invoice card and
internal SDK, a campus network and e-mail domain, a hackathon venue, VPN exits, a platform's
sub-accounts, a household's card, a viral template, a launch-day sign-up. None of them carries
an ``operation_id``; each is a ``kind`` of its own in the truth table.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from sybilgraph.generate import vocab
from sybilgraph.generate.cohort import DAY_US, HOUR_US, Cohort, Context
from sybilgraph.generate.emails import at, local_parts, take
from sybilgraph.generate.population import ordinary, residential_ips
from sybilgraph.generate.presets import (
    Aggregator,
    Benign,
    Cgnat,
    CorporateNat,
    Family,
    Hackathon,
    LaunchSurge,
    PublicTemplate,
    University,
    Vpn,
)
from sybilgraph.generate.values import (
    I64,
    Pool,
    Zipf,
    hex64,
    ipv4_codes,
    random_codes,
)

__all__ = [
    "aggregator",
    "cgnat",
    "corporate_nat",
    "family",
    "hackathon",
    "launch_surge",
    "public_template",
    "university",
    "vpn",
]

_COMPANY_STEMS = (
    "northwind", "contoso", "globex", "initech", "hooli", "vandelay", "tyrell", "cyberdyne",
    "soylent", "wonka", "oscorp", "aperture", "prestige", "dunmore", "bluth", "sterling",
    "massive", "pied", "umbrella", "wayne", "gekko", "kramerica", "sirius", "veridian",
)  # fmt: skip
_COMPANY_SUFFIXES = ("corp", "labs", "systems", "group", "analytics", "health", "bank", "ai")
_CAMPUS_STEMS = (
    "northfield", "riverside", "lakemont", "eastbrook", "westhaven", "kingsbridge", "stonegate",
    "ashford", "millbrook", "oakridge", "fairview", "greendale", "hollis", "redmont", "clearwater",
)  # fmt: skip
_CAMPUS_DOMAINS = ("{s}.edu", "stu.{s}.edu", "{s}.ac.uk", "mail.{s}.edu", "{s}.edu.au")
_CAMPUS_FIRST_OCTETS = (128, 129, 130, 131, 132, 134, 136, 137, 138, 140, 141, 143, 152, 155)
_PLATFORM_STEMS = ("promptly", "chatforge", "writewise", "tutorbee", "codepal", "docuflow")
_MOBILE_AGENTS = np.array(
    [i for i, ua in enumerate(vocab.USER_AGENTS) if "iPhone" in ua or "Android" in ua]
)
_L = len(vocab.USER_AGENTS)


def _names(stems: tuple[str, ...], suffixes: tuple[str, ...], n: int, start: int) -> list[str]:
    """``n`` distinct fictional names, cycling stems and suffixes."""
    out = []
    for i in range(start, start + n):
        stem, suffix = stems[i % len(stems)], suffixes[(i // len(stems)) % len(suffixes)]
        lap = i // (len(stems) * len(suffixes))
        out.append(f"{stem}{suffix}{lap if lap else ''}")
    return out


def _groups(sizes: I64) -> I64:
    """Group index of each member, members of one group next to each other."""
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _org_ids(rng: np.random.Generator, n: int) -> pl.Series:
    return pl.select(pl.concat_str([pl.lit("org-"), hex64(random_codes(rng, n))])).to_series()


def _one_each(values: np.ndarray) -> Pool:
    return Pool.single(np.asarray(values))


def cgnat(ctx: Context, rng: np.random.Generator, spec: Cgnat, base: Benign) -> Cohort:
    """Phones behind carrier NAT: each public address carries thousands of subscribers."""
    nat_ips = ipv4_codes(rng, spec.n_ips, vocab.RESIDENTIAL_FIRST_OCTETS)
    carrier_country = ctx.countries(rng, spec.n_ips)
    carrier = rng.integers(0, spec.n_ips, spec.n_accounts)
    c = ordinary(ctx, rng, spec.n_accounts, base, kind="cgnat", country=carrier_country[carrier])
    # Two entries of the carrier address per home address: about a third from home.
    home = rng.random(len(c)) < spec.home_share
    lengths = np.where(home, 3, 1)
    values = np.repeat(nat_ips[carrier], lengths)
    values[np.cumsum(lengths)[home] - 1] = residential_ips(rng, int(home.sum()), base.ipv6_share)
    c.ips = Pool.from_lengths(lengths, values)
    c.signup_ip = nat_ips[carrier]
    c.agents = _one_each(rng.choice(_MOBILE_AGENTS, len(c)))
    return c


def corporate_nat(
    ctx: Context, rng: np.random.Generator, spec: CorporateNat, base: Benign
) -> Cohort:
    """Enterprise seats: declared org, few egress IPs, one invoice card, internal SDK."""
    lo, hi = np.log(spec.seats[0]), np.log(spec.seats[1])
    seats = np.exp(rng.uniform(lo, hi, spec.n_orgs)).round().astype(np.int64)
    org = _groups(seats)
    n = int(seats.sum())
    org_country = ctx.countries(rng, spec.n_orgs)
    c = ordinary(
        ctx, rng, n, base, kind="corporate_nat", curve="business", country=org_country[org]
    )
    names = _names(_COMPANY_STEMS, _COMPANY_SUFFIXES, spec.n_orgs, int(rng.integers(0, 50)))
    c.org = _org_ids(rng, spec.n_orgs).gather(pl.Series(org)).alias("org_id")

    # Provisioned over months; some seats on batch-onboarding days, dozens within minutes.
    created = c.created_at.copy()
    spread = ctx.start_us - (rng.random(n) * spec.provisioning_days * DAY_US).astype(np.int64)
    created[:] = np.where(rng.random(n) < 0.85, spread, created)
    batch = rng.random(n) < spec.batch_onboarding_share
    onboarding = ctx.start_us - rng.integers(5, spec.provisioning_days, (spec.n_orgs, 3)) * DAY_US
    which = rng.integers(0, 3, n)
    at_ten = (10 - ctx.country_offsets[c.country]) % 24 * HOUR_US
    batch_time = onboarding[org, which] + at_ten + rng.integers(0, 20 * 60_000_000, n)
    c.created_at = np.where(batch, batch_time, created).astype(np.int64)
    c.active_start = np.maximum(c.created_at, ctx.start_us)
    c.active_end = np.full(n, ctx.end_us, dtype=np.int64)

    c.n_events = np.ceil(rng.lognormal(np.log(spec.events_median), 1.0, n)).astype(np.int64)
    c.day_weights = ctx.weekday_weights(0.08)
    c.card = random_codes(rng, spec.n_orgs)[org]

    n_egress = rng.integers(spec.egress_ips[0], spec.egress_ips[1] + 1, spec.n_orgs)
    nets = ipv4_codes(rng, spec.n_orgs, vocab.HOSTING_FIRST_OCTETS) & ~np.uint64(255)
    slots = np.arange(spec.egress_ips[1])
    hosts = nets[:, None] | (rng.integers(2, 200, spec.n_orgs)[:, None] + slots).astype(np.uint64)
    own = slots[None, :] < n_egress[org][:, None]
    c.ips = Pool.from_lengths(n_egress[org], hosts[org][own])
    c.signup_ip = c.ips.first().astype(np.uint64)

    c.extra_agents = tuple(
        f"{name}-llm-gateway/{2 + i % 3}.{i % 7}.{i % 5} python-httpx/0.27.2 (Linux; x86_64)"
        for i, name in enumerate(names)
    )
    browser = rng.random(n) < 0.3
    lengths = 1 + browser
    values = np.repeat(_L + org, lengths)
    values[np.cumsum(lengths)[browser] - 1] = ctx.agent_zipf.sample(rng, int(browser.sum()))
    c.agents = Pool.from_lengths(lengths, values)

    prompt = random_codes(rng, spec.n_orgs)
    c.system_own = _one_each(prompt[org])
    c.p_system_none = np.full(n, 1 - spec.internal_prompt_share)
    c.p_system_sdk = np.zeros(n)

    first, last = (
        rng.integers(0, len(vocab.FIRST_NAMES), n),
        rng.integers(0, len(vocab.LAST_NAMES), n),
    )
    local = pl.select(
        pl.concat_str(
            [take(pl.Series(vocab.FIRST_NAMES), first), take(pl.Series(vocab.LAST_NAMES), last)],
            separator=".",
        )
    ).to_series()
    c.email = at(local, pl.Series([f"{s}.com" for s in names]).gather(pl.Series(org)))
    return c


def university(ctx: Context, rng: np.random.Generator, spec: University, base: Benign) -> Cohort:
    """Students behind campus NAT, university addresses, sign-ups at semester start."""
    sizes = rng.integers(spec.students[0], spec.students[1] + 1, spec.n_campuses)
    campus = _groups(sizes)
    n = int(sizes.sum())
    campus_country = ctx.countries(rng, spec.n_campuses)
    c = ordinary(
        ctx, rng, n, base, kind="university", curve="student", country=campus_country[campus]
    )

    semester = rng.integers(-110, min(20, ctx.days - 1), spec.n_campuses)
    near = rng.random(n) < spec.semester_signup_share
    day = semester[campus] + np.round(rng.normal(0, 3, n)).astype(np.int64)
    at_semester = ctx.times_in_days(rng, ctx.start_us + day * DAY_US, c.profile)
    c.created_at = np.where(near, at_semester, c.created_at).astype(np.int64)
    c.created_at = np.minimum(c.created_at, ctx.end_us - HOUR_US)
    c.active_start = np.maximum(c.active_start, np.maximum(c.created_at, ctx.start_us))
    c.active_end = np.maximum(c.active_end, c.active_start + HOUR_US)

    nets = ipv4_codes(rng, spec.n_campuses, _CAMPUS_FIRST_OCTETS) & ~np.uint64(255)
    nat = nets[campus] | rng.integers(1, 17, n).astype(np.uint64)
    nat2 = nets[campus] | rng.integers(1, 17, n).astype(np.uint64)
    home = residential_ips(rng, n, base.ipv6_share)
    # Two of three requests from campus, matching campus_share ~ 0.7.
    c.ips = Pool.from_lengths(np.full(n, 3), np.stack([nat, nat2, home], axis=1).ravel())
    c.signup_ip = np.where(near, nat, home)
    c.card = np.where(rng.random(n) < spec.card_share, random_codes(rng, n), np.uint64(0))

    course = rng.random(n) < spec.course_share
    assignment = random_codes(rng, spec.n_campuses)
    c.prompt_own = Pool.from_lengths(course.astype(np.int64), assignment[campus[course]])
    c.p_own = np.where(course, spec.assignment_share, 0.0)

    stems = _names(_CAMPUS_STEMS, ("", "tech", "state"), spec.n_campuses, int(rng.integers(0, 15)))
    domains = [
        _CAMPUS_DOMAINS[int(k)].format(s=s)
        for k, s in zip(rng.integers(0, len(_CAMPUS_DOMAINS), spec.n_campuses), stems, strict=True)
    ]
    local = local_parts(
        rng, rng.integers(0, len(vocab.FIRST_NAMES), n), rng.integers(0, len(vocab.LAST_NAMES), n)
    )
    c.email = at(local, pl.Series(domains).gather(pl.Series(campus)))
    return c


def hackathon(ctx: Context, rng: np.random.Generator, spec: Hackathon, base: Benign) -> Cohort:
    """Attendees signing up within two hours at one venue IP, busy for a day or two."""
    sizes = rng.integers(spec.attendees[0], spec.attendees[1] + 1, spec.n_events)
    event = _groups(sizes)
    n = int(sizes.sum())
    event_country = ctx.countries(rng, spec.n_events)
    c = ordinary(ctx, rng, n, base, kind="hackathon", curve="student", country=event_country[event])

    first = ctx.first_weekday
    saturdays = [d for d in range(ctx.days - 1) if (first + d) % 7 == 5] or [0]
    day = np.asarray(saturdays)[rng.integers(0, len(saturdays), spec.n_events)]
    length = rng.integers(1, spec.max_days + 1, spec.n_events)
    nine = (9 - ctx.country_offsets[event_country]) % 24 * HOUR_US
    opening = ctx.start_us + day * DAY_US + nine
    c.created_at = opening[event] + rng.integers(0, spec.signup_minutes * 60_000_000, n)
    c.active_start = c.created_at
    c.active_end = np.minimum(opening[event] + length[event] * DAY_US, ctx.end_us)
    c.n_events = np.ceil(rng.lognormal(np.log(25), 0.8, n)).astype(np.int64)
    c.day_weights = np.ones(ctx.days)

    venue = ipv4_codes(rng, spec.n_events, vocab.RESIDENTIAL_FIRST_OCTETS)
    home = residential_ips(rng, n, base.ipv6_share)
    share = max(1, round(spec.venue_share / (1 - spec.venue_share)))
    values = np.concatenate(
        [np.repeat(venue[event][:, None], share, axis=1), home[:, None]], axis=1
    )
    c.ips = Pool.from_lengths(np.full(n, share + 1), values.ravel())
    c.signup_ip = venue[event]
    c.card = np.where(rng.random(n) < 0.15, random_codes(rng, n), np.uint64(0))

    starter, starter_system = random_codes(rng, spec.n_events), random_codes(rng, spec.n_events)
    c.prompt_own = _one_each(starter[event])
    c.p_own = np.full(n, spec.starter_share)
    c.system_own = _one_each(starter_system[event])
    c.p_system_none = np.full(n, 0.4)
    c.p_system_sdk = np.full(n, 0.2)
    return c


def vpn(ctx: Context, rng: np.random.Generator, spec: Vpn, base: Benign) -> Cohort:
    """Users hopping over commercial VPN exits (popular exits carry thousands) and home."""
    c = ordinary(ctx, rng, spec.n_accounts, base, kind="vpn")
    exits = ipv4_codes(rng, spec.n_exits, vocab.HOSTING_FIRST_OCTETS)
    k = rng.integers(spec.exits_per_account[0], spec.exits_per_account[1] + 1, len(c))
    chosen = exits[Zipf.of(spec.n_exits, 0.8).sample(rng, int(k.sum()))]
    home = c.ips.first().astype(np.uint64)
    lengths = k + 1
    values = np.empty(int(lengths.sum()), dtype=np.uint64)
    heads = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    values[heads] = home
    mask = np.ones(len(values), dtype=bool)
    mask[heads] = False
    values[mask] = chosen
    c.ips = Pool.from_lengths(lengths, values)
    c.signup_ip = np.where(rng.random(len(c)) < 0.5, home, chosen[heads - np.arange(len(c))])
    return c


def aggregator(ctx: Context, rng: np.random.Generator, spec: Aggregator, base: Benign) -> Cohort:
    """A platform's sub-accounts: its client, system prompt, egress IPs and billing card."""
    sizes = rng.integers(spec.subaccounts[0], spec.subaccounts[1] + 1, spec.n_platforms)
    platform = _groups(sizes)
    n = int(sizes.sum())
    home_country = ctx.countries(rng, spec.n_platforms)
    c = ordinary(
        ctx, rng, n, base, kind="aggregator", curve="platform", country=home_country[platform]
    )
    names = _names(_PLATFORM_STEMS, ("", "hq", "app"), spec.n_platforms, int(rng.integers(0, 6)))
    c.org = _org_ids(rng, spec.n_platforms).gather(pl.Series(platform)).alias("org_id")
    c.card = random_codes(rng, spec.n_platforms)[platform]
    c.day_weights = ctx.weekday_weights(0.9)
    c.n_events = np.ceil(rng.lognormal(np.log(20), 1.5, n)).astype(np.int64)

    nets = ipv4_codes(rng, spec.n_platforms, vocab.HOSTING_FIRST_OCTETS) & ~np.uint64(255)
    egress = nets[:, None] | np.arange(10, 10 + spec.egress_ips, dtype=np.uint64)[None, :]
    c.ips = Pool.from_lengths(np.full(n, spec.egress_ips), egress[platform].ravel())
    c.signup_ip = c.ips.first().astype(np.uint64)
    devices = random_codes(rng, spec.n_platforms * 4).reshape(spec.n_platforms, 4)
    c.devices = Pool.from_lengths(np.full(n, 4), devices[platform].ravel())

    c.extra_agents = tuple(
        f"{name}-platform/3.{i}.0 (+https://{name}.io) node/v20.18.0"
        for i, name in enumerate(names)
    )
    c.agents = _one_each(_L + platform)
    prompt = random_codes(rng, spec.n_platforms)
    c.system_own = _one_each(prompt[platform])
    c.p_system_none = np.full(n, 1 - spec.platform_prompt_share)
    c.p_system_sdk = np.zeros(n)
    templates = random_codes(rng, spec.n_platforms * 3).reshape(spec.n_platforms, 3)
    c.prompt_own = Pool.from_lengths(np.full(n, 3), templates[platform].ravel())
    c.p_own = np.full(n, 0.2)

    tenant = hex64(random_codes(rng, n)).str.slice(0, 8)
    local = pl.select(pl.concat_str([pl.lit("cust-"), tenant])).to_series()
    c.email = at(local, pl.Series([f"tenants.{s}.io" for s in names]).gather(pl.Series(platform)))
    return c


def family(ctx: Context, rng: np.random.Generator, spec: Family, base: Benign) -> Cohort:
    """Households: one card and one home IP for 2-5 members, sometimes one device."""
    sizes = rng.integers(spec.members[0], spec.members[1] + 1, spec.n_families)
    fam = _groups(sizes)
    n = int(sizes.sum())
    c = ordinary(ctx, rng, n, base, kind="family", country=ctx.countries(rng, spec.n_families)[fam])
    c.card = random_codes(rng, spec.n_families)[fam]
    home = residential_ips(rng, spec.n_families, base.ipv6_share)[fam]
    mobile = rng.random(n) < 0.5
    lengths = 1 + mobile
    values = np.repeat(home, lengths)
    values[np.cumsum(lengths)[mobile] - 1] = residential_ips(rng, int(mobile.sum()), 0.0)
    c.ips = Pool.from_lengths(lengths, values)
    c.signup_ip = home
    shared = (rng.random(spec.n_families) < spec.shared_device_share)[fam]
    own = random_codes(rng, n)
    c.devices = _one_each(np.where(shared, random_codes(rng, spec.n_families)[fam], own))
    surname = rng.integers(0, len(vocab.LAST_NAMES), spec.n_families)[fam]
    local = local_parts(rng, rng.integers(0, len(vocab.FIRST_NAMES), n), surname)
    c.email = at(local, c.email.str.extract(r"@(.*)$", 1))
    return c


def public_template(
    ctx: Context, rng: np.random.Generator, spec: PublicTemplate, base: Benign
) -> Cohort:
    """Users of one viral public template."""
    c = ordinary(ctx, rng, spec.n_accounts, base, kind="public_template")
    viral = random_codes(rng, 1)
    c.prompt_own = _one_each(np.repeat(viral, len(c)))
    c.p_own = np.full(len(c), spec.template_share)
    c.p_public = np.minimum(c.p_public, 1 - spec.template_share)
    c.n_events = np.maximum(c.n_events, 3)
    return c


def launch_surge(ctx: Context, rng: np.random.Generator, spec: LaunchSurge, base: Benign) -> Cohort:
    """Ordinary users who all signed up on launch day."""
    c = ordinary(ctx, rng, spec.n_accounts, base, kind="launch_surge")
    day = min(spec.launch_day, ctx.days - 1)
    c.created_at = ctx.times_in_days(
        rng, np.full(len(c), ctx.day_us(day), dtype=np.int64), c.profile
    )
    c.active_start = c.created_at
    c.active_end = np.full(len(c), ctx.end_us, dtype=np.int64)
    c.n_events = np.maximum(c.n_events, 1)
    return c


def all_lookalikes(
    ctx: Context, rngs: dict[str, np.random.Generator], base: Benign
) -> list[Cohort]:
    """Every look-alike of the preset, in a fixed order."""
    spec = ctx.preset.lookalikes
    return [
        cgnat(ctx, rngs["cgnat"], spec.cgnat, base),
        corporate_nat(ctx, rngs["corporate_nat"], spec.corporate_nat, base),
        university(ctx, rngs["university"], spec.university, base),
        hackathon(ctx, rngs["hackathon"], spec.hackathon, base),
        vpn(ctx, rngs["vpn"], spec.vpn, base),
        aggregator(ctx, rngs["aggregator"], spec.aggregator, base),
        family(ctx, rngs["family"], spec.family, base),
        public_template(ctx, rngs["public_template"], spec.public_template, base),
        launch_surge(ctx, rngs["launch_surge"], spec.launch_surge, base),
    ]
