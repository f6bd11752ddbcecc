"""The scenario presets: every count, size and rate the generator uses, in one place.

A preset is a frozen :class:`Preset` made of smaller frozen dataclasses, one per population
(ordinary users, each benign look-alike, each planted operation). Every field carries a comment
saying what it controls; ``docs/scenarios.md`` describes the same numbers in prose.

The numbers model behaviour (DESIGN.md section 2), not a detector: an operation is a set of
behaviours (bulk creation, shared payment, proxy rotation, a reseller front, templated prompts,
coordinated timing, regrowth), each switched on by giving its parameters, always with some
camouflage; look-alikes share values for innocent reasons and at realistic scale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

__all__ = [
    "PRESETS",
    "Aggregator",
    "Benign",
    "BulkCreation",
    "Camouflage",
    "Cgnat",
    "CoordinatedTiming",
    "CorporateNat",
    "Family",
    "Hackathon",
    "HydraFront",
    "LaunchSurge",
    "Lookalikes",
    "Operation",
    "Preset",
    "ProxyRotation",
    "PublicTemplate",
    "Regrowth",
    "SharedPayment",
    "TemplatedPrompts",
    "University",
    "Vpn",
]

UTC: Final = dt.UTC
#: Start of the 45-day window of the sample, medium and article presets (inclusive).
WINDOW_START: Final = dt.datetime(2025, 4, 22, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Ordinary users
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Benign:
    """Ordinary users: the population everything else hides in."""

    n_accounts: int
    #: Median of the lognormal number of requests one account makes in the window.
    events_median: float = 7.0
    #: Lognormal sigma of requests per account; 1.3 gives a mean about 2.3x the median and a
    #: tail of accounts with thousands of requests.
    events_sigma: float = 1.3
    #: Upper bound on requests per account (the heaviest real users, not a bot).
    events_cap: int = 20_000
    #: Share of accounts that exist but make no request in the window.
    dormant_share: float = 0.05
    #: Share of accounts created inside the window; the rest signed up during the year before.
    created_in_window_share: float = 0.2
    #: Sign-ups before the window are spread over this many days, more recent more likely ...
    history_days: int = 365
    #: ... following an exponential decay with this scale (days) going back in time.
    history_scale_days: float = 150.0
    #: Share of accounts active over only a part of the window (a project, a trial).
    partial_activity_share: float = 0.4
    #: Share of accounts with a payment card of their own (the others use the free tier).
    card_share: float = 0.7
    #: Share of accounts whose home connection is IPv6.
    ipv6_share: float = 0.15
    #: Residential IPs per account are drawn from 1..max (home, work, phone hotspot).
    max_ips: int = 3
    #: Share of accounts with a second device (laptop and desktop, say).
    second_device_share: float = 0.25
    #: Share of accounts with a second client (a browser and an SDK, say).
    second_ua_share: float = 0.3
    #: Share of requests with no system prompt, averaged over accounts (beta-distributed).
    no_system_prompt_share: float = 0.65
    #: Of requests with a system prompt, the share using a popular SDK default prompt; the
    #: rest use one of the user's own system prompts.
    sdk_system_prompt_share: float = 0.5
    #: Share of requests using a popular public prompt template (Zipf over the catalogue);
    #: the rest are unique prompts.
    public_template_share: float = 0.08
    #: Share of accounts with a legacy-style id (``usr_`` + 20 hex) instead of a UUID-like id.
    legacy_id_share: float = 0.0


# --------------------------------------------------------------------------------------------
# Benign look-alikes: each shares values for an innocent reason
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cgnat:
    """Mobile-carrier users behind carrier-grade NAT: one public IP for thousands of phones."""

    #: Accounts on mobile carriers.
    n_accounts: int
    #: Public NAT addresses of the carriers; accounts per address = n_accounts / n_ips.
    n_ips: int
    #: Each user also connects from a home IP for this share of requests.
    home_share: float = 0.3


@dataclass(frozen=True)
class CorporateNat:
    """Enterprises: seats behind a few egress IPs, one invoice card, one internal SDK."""

    #: Number of enterprises (each with a declared ``org_id``).
    n_orgs: int
    #: Seats per enterprise, drawn log-uniformly from this range.
    seats: tuple[int, int] = (20, 500)
    #: Egress IPs per enterprise (all in one /24), drawn uniformly from this range.
    egress_ips: tuple[int, int] = (2, 4)
    #: Seats were provisioned over this many days before the window ...
    provisioning_days: int = 240
    #: ... of which this share on a few batch-onboarding days, dozens within minutes.
    batch_onboarding_share: float = 0.4
    #: Share of a seat's requests sent with the internal system prompt.
    internal_prompt_share: float = 0.85
    #: Median requests per seat in the window (lognormal, sigma 1.0: a few power users).
    events_median: float = 30.0


@dataclass(frozen=True)
class University:
    """Campuses: students behind campus NAT with university e-mail addresses."""

    #: Number of campuses.
    n_campuses: int
    #: Students per campus, drawn uniformly from this range.
    students: tuple[int, int] = (50, 400)
    #: Share of students whose sign-up falls in the two weeks around semester start.
    semester_signup_share: float = 0.7
    #: Share of students with a card of their own (the others have none).
    card_share: float = 0.3
    #: Share of students taking the course with a shared assignment template ...
    course_share: float = 0.35
    #: ... who use it in this share of their requests.
    assignment_share: float = 0.3
    #: Share of requests sent from the campus /24 (the rest from home).
    campus_share: float = 0.7


@dataclass(frozen=True)
class Hackathon:
    """Hackathons: a hall of attendees signing up within two hours at one venue IP."""

    #: Number of hackathons in the window.
    n_events: int
    #: Attendees per hackathon, drawn uniformly from this range.
    attendees: tuple[int, int] = (100, 300)
    #: Sign-ups are spread over this many minutes at the start of the event.
    signup_minutes: int = 120
    #: The event lasts 1 or 2 days; requests outside it come from attendees' homes.
    max_days: int = 2
    #: Share of requests built on the organisers' starter template.
    starter_share: float = 0.4
    #: Share of requests sent from the venue IP.
    venue_share: float = 0.85


@dataclass(frozen=True)
class Vpn:
    """Privacy-minded users hopping across commercial VPN exits (and their home IP)."""

    #: Accounts using a commercial VPN.
    n_accounts: int
    #: VPN exit IPs (datacenter ranges), chosen Zipf-like: popular servers carry thousands.
    n_exits: int
    #: Exits each user has used, drawn uniformly from this range.
    exits_per_account: tuple[int, int] = (2, 6)


@dataclass(frozen=True)
class Aggregator:
    """Legitimate platforms reselling access through per-customer sub-accounts."""

    #: Number of platforms (each with a declared ``org_id``).
    n_platforms: int
    #: Sub-accounts per platform, drawn uniformly from this range.
    subaccounts: tuple[int, int] = (200, 1000)
    #: Egress IPs of the platform's servers.
    egress_ips: int = 6
    #: Share of requests with the platform's own system prompt.
    platform_prompt_share: float = 0.7


@dataclass(frozen=True)
class Family:
    """Households: 2-5 accounts on one card and one home IP."""

    #: Number of households.
    n_families: int
    #: Members per household, drawn uniformly from this range.
    members: tuple[int, int] = (2, 5)
    #: Share of households where members also share one device.
    shared_device_share: float = 0.3


@dataclass(frozen=True)
class PublicTemplate:
    """Users of one viral public prompt template, posted widely."""

    #: Accounts using the template.
    n_accounts: int
    #: Share of their requests built on it.
    template_share: float = 0.5


@dataclass(frozen=True)
class LaunchSurge:
    """Ordinary users who signed up on the day a new model shipped."""

    #: Accounts created on launch day.
    n_accounts: int
    #: Day of the launch, counted from the window start.
    launch_day: int = 22


@dataclass(frozen=True)
class Lookalikes:
    """All benign look-alikes of one preset."""

    cgnat: Cgnat
    corporate_nat: CorporateNat
    university: University
    hackathon: Hackathon
    vpn: Vpn
    aggregator: Aggregator
    family: Family
    public_template: PublicTemplate
    launch_surge: LaunchSurge


# --------------------------------------------------------------------------------------------
# Operations: a set of behaviours, each switched on by giving its parameters
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BulkCreation:
    """Accounts made in sign-up bursts by one e-mail generator.

    Without it the operation uses aged accounts bought over months, with ordinary e-mails.
    """

    #: Accounts per sign-up burst, drawn uniformly from this range.
    batch_size: tuple[int, int] = (20, 60)
    #: One burst spans this many minutes.
    batch_minutes: tuple[float, float] = (2.0, 15.0)
    #: Bursts happen this many days before the accounts start working.
    lead_days: tuple[float, float] = (1.0, 15.0)
    #: E-mail generators used, in turn per burst: ``name_digits`` (first+last+digits on a
    #: webmail), ``gmail_variants`` (dot and +tag variants of a few base mailboxes),
    #: ``disposable`` (random local parts on throwaway domains).
    email_styles: tuple[str, ...] = ("name_digits",)
    #: Base Gmail mailboxes behind the ``gmail_variants`` style.
    base_mailboxes: int = 4


@dataclass(frozen=True)
class SharedPayment:
    """Prepaid or virtual cards from one batch, each on many accounts.

    Without it the accounts carry unrelated cards (half of them) or none.
    """

    #: Accounts per card, drawn uniformly from this range.
    accounts_per_card: tuple[int, int] = (10, 50)


@dataclass(frozen=True)
class ProxyRotation:
    """A pool of exit IPs in a few /24s of a hosting provider; accounts hop over subsets.

    Without it the operation rents residential proxies: IPs scattered over ISP space.
    """

    #: /24 subnets the exits sit in.
    n_subnets: int
    #: Exit IPs in the pool.
    n_exits: int
    #: Exits each account hops over, drawn uniformly from this range.
    exits_per_account: tuple[int, int] = (3, 8)
    #: Share of the operation's requests made over IPv6 exits of the same provider.
    ipv6_share: float = 0.0


@dataclass(frozen=True)
class HydraFront:
    """A reseller front: one client stack fronts every account and fails over between them.

    Each day the front's stream of requests is cut into contiguous runs, one account per run,
    so one account takes over from the previous within seconds. Without it every account
    presents an ordinary, popular client.
    """

    #: The fixed header tuple; empty means the front mimics the most popular client string.
    user_agent: str = ""
    #: Runs per account per day: the account is rate-limited and rotated out this often.
    runs_per_day: int = 2
    #: Device / TLS fingerprints of the front's servers, shared by every account.
    n_devices: int = 2


@dataclass(frozen=True)
class TemplatedPrompts:
    """Rare slot-filled templates and system prompts shared across the operation.

    Without it the operation's prompts are unique and its system prompts ordinary.
    """

    #: Templates (the prompt fingerprint is the template id, whatever fills the slots).
    n_templates: int
    #: Rare system prompts shared across the operation.
    n_system_prompts: int
    #: Share of requests built on a template; the templates cover a narrow capability mix,
    #: so each account draws from a small subset of them.
    template_share: float = 0.6
    #: Templates each account uses, drawn uniformly from this range.
    templates_per_account: tuple[int, int] = (3, 10)
    #: Share of requests carrying one of the operation's system prompts.
    system_share: float = 0.7


@dataclass(frozen=True)
class CoordinatedTiming:
    """Load-balanced volume, round-the-clock activity and synchronized bursts.

    Without it volume per account is heavy-tailed and activity follows a claimed time zone.
    """

    #: Relative spread of requests per account (load balancing keeps it small).
    volume_jitter: float = 0.05
    #: Synchronized bursts per day, drawn uniformly from this range ...
    bursts_per_day: tuple[int, int] = (2, 5)
    #: ... each lasting this many minutes ...
    burst_minutes: float = 10.0
    #: ... and carrying this share of the day's requests of every active account.
    burst_share: float = 0.25


@dataclass(frozen=True)
class Regrowth:
    """Banned accounts replaced by new ones that inherit the card batch, exits and templates."""

    #: Generations of accounts; each works for 1/waves of the operation's span.
    waves: int = 3
    #: Replacements start work this many hours after the previous generation is banned.
    lag_hours: float = 12.0


@dataclass(frozen=True)
class Camouflage:
    """Cover traffic and clean-looking accounts, present in every operation."""

    #: Share of requests with popular public templates and SDK default system prompts.
    cover_share: float = 0.15
    #: Share of accounts with a card of their own instead of a shared one.
    own_card_share: float = 0.1
    #: Share of accounts on residential IPs of their own instead of the operation's exits.
    residential_share: float = 0.1


@dataclass(frozen=True)
class Operation:
    """One planted operation: its size, volume, span and behaviours."""

    #: ``op-main``, ``op-01``, ...: the ``operation_id`` in the truth table.
    operation_id: str
    #: The style, written as ``kind`` in the truth table (``op_proxy_farm``, ...).
    kind: str
    #: Accounts, over all regrowth waves.
    n_accounts: int
    #: Mean requests per account over its working span.
    events_per_account: float
    #: When set, the operation makes exactly this many requests (overrides the mean).
    total_events: int | None = None
    #: First and last working day (counted from the window start; end exclusive; None = end).
    start_day: int = 0
    end_day: int | None = None
    creation: BulkCreation | None = None
    payment: SharedPayment | None = None
    proxy: ProxyRotation | None = None
    hydra: HydraFront | None = None
    templates: TemplatedPrompts | None = None
    timing: CoordinatedTiming | None = None
    regrowth: Regrowth | None = None
    camouflage: Camouflage = field(default_factory=Camouflage)

    def behaviours(self) -> tuple[str, ...]:
        """Names of the behaviours switched on, for reports.

        Examples
        --------
        >>> Operation("op-01", "op_card_farm", 20, 30.0, payment=SharedPayment()).behaviours()
        ('payment',)
        """
        names = ("creation", "payment", "proxy", "hydra", "templates", "timing", "regrowth")
        return tuple(n for n in names if getattr(self, n) is not None)


# --------------------------------------------------------------------------------------------
# Presets
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preset:
    """A complete scenario."""

    #: Preset name.
    name: str
    #: Window start (UTC, inclusive) and length in days.
    start: dt.datetime
    days: int
    benign: Benign
    lookalikes: Lookalikes
    operations: tuple[Operation, ...]
    #: Ordinary users also sign up more and work more on the launch day (factor on requests).
    launch_day: int = 22
    launch_boost: float = 1.6
    #: Public prompt templates in the catalogue (Zipf popularity, exponent 1.1).
    n_public_templates: int = 2_000
    #: Popular SDK default system prompts (Zipf popularity, exponent 1.2).
    n_sdk_prompts: int = 40
    #: Accounts generated per chunk (bounds memory on the large presets).
    chunk_accounts: int = 250_000

    @property
    def end(self) -> dt.datetime:
        """End of the window (exclusive)."""
        return self.start + dt.timedelta(days=self.days)


def _full_op_main(n: int, per_account: float, total: int | None, exits: int) -> Operation:
    """The documented case's style: everything but a hydra front and regrowth."""
    return Operation(
        operation_id="op-main",
        kind="op_main",
        n_accounts=n,
        events_per_account=per_account,
        total_events=total,
        creation=BulkCreation(email_styles=("name_digits", "gmail_variants", "disposable")),
        payment=SharedPayment(accounts_per_card=(10, 50)),
        proxy=ProxyRotation(
            n_subnets=max(3, exits // 120), n_exits=exits, exits_per_account=(4, 12)
        ),
        templates=TemplatedPrompts(n_templates=max(20, n // 60), n_system_prompts=3),
        timing=CoordinatedTiming(),
        camouflage=Camouflage(cover_share=0.15, own_card_share=0.08, residential_share=0.08),
    )


def _small_ops(sizes: tuple[int, ...], per_account: float) -> tuple[Operation, ...]:
    """Smaller operations, one per style in turn, numbered ``op-01`` upwards.

    Each style combines two to four behaviours, never all of them.
    """
    styles = (
        lambda oid, n: Operation(
            oid,
            "op_proxy_farm",
            n,
            per_account,
            creation=BulkCreation(email_styles=("disposable",)),
            proxy=ProxyRotation(n_subnets=max(1, n // 150), n_exits=max(8, n // 4)),
            timing=CoordinatedTiming(bursts_per_day=(3, 6), burst_share=0.3),
        ),
        lambda oid, n: Operation(
            oid,
            "op_hydra",
            n,
            per_account,
            payment=SharedPayment(accounts_per_card=(10, 30)),
            hydra=HydraFront(user_agent="", runs_per_day=2),
            timing=CoordinatedTiming(bursts_per_day=(0, 0), burst_share=0.0),
        ),
        lambda oid, n: Operation(
            oid,
            "op_card_farm",
            n,
            per_account,
            creation=BulkCreation(email_styles=("gmail_variants",), base_mailboxes=3),
            payment=SharedPayment(accounts_per_card=(15, 50)),
        ),
        lambda oid, n: Operation(
            oid,
            "op_template_farm",
            n,
            per_account,
            templates=TemplatedPrompts(n_templates=max(6, n // 25), n_system_prompts=2),
            timing=CoordinatedTiming(),
            hydra=HydraFront(user_agent="oai-relay/0.9.3 (linux; go1.22.4) openai-compat/1.1"),
        ),
        lambda oid, n: Operation(
            oid,
            "op_regrowth",
            n,
            per_account,
            creation=BulkCreation(email_styles=("name_digits",), batch_size=(8, 25)),
            payment=SharedPayment(accounts_per_card=(10, 25)),
            proxy=ProxyRotation(n_subnets=1, n_exits=max(6, n // 5), ipv6_share=0.3),
            regrowth=Regrowth(waves=3),
        ),
    )
    return tuple(styles[i % len(styles)](f"op-{i + 1:02d}", n) for i, n in enumerate(sizes))


def _lookalikes(scale: float, *, cgnat_ips: int, vpn_exits: int) -> Lookalikes:
    """Look-alikes sized relative to a population of 100,000 accounts (``scale`` = 1)."""

    def n(x: float) -> int:
        return max(1, round(x * scale))

    return Lookalikes(
        cgnat=Cgnat(n_accounts=n(3_000), n_ips=cgnat_ips),
        corporate_nat=CorporateNat(n_orgs=n(6)),
        university=University(n_campuses=n(3)),
        hackathon=Hackathon(n_events=n(1.5)),
        vpn=Vpn(n_accounts=n(1_500), n_exits=vpn_exits),
        aggregator=Aggregator(n_platforms=n(0.8)),
        family=Family(n_families=n(1_200)),
        public_template=PublicTemplate(n_accounts=n(1_500)),
        launch_surge=LaunchSurge(n_accounts=n(3_000)),
    )


_TINY = Preset(
    name="tiny",
    start=WINDOW_START,
    days=14,
    launch_day=7,
    benign=Benign(n_accounts=1_900, legacy_id_share=0.05),
    lookalikes=Lookalikes(
        cgnat=Cgnat(n_accounts=150, n_ips=2),
        corporate_nat=CorporateNat(n_orgs=2, seats=(20, 45)),
        university=University(n_campuses=1, students=(60, 60)),
        hackathon=Hackathon(n_events=1, attendees=(100, 100)),
        vpn=Vpn(n_accounts=80, n_exits=4),
        aggregator=Aggregator(n_platforms=1, subaccounts=(120, 120), egress_ips=3),
        family=Family(n_families=40),
        public_template=PublicTemplate(n_accounts=100),
        launch_surge=LaunchSurge(n_accounts=120, launch_day=7),
    ),
    operations=(
        Operation(
            "op-01",
            "op_proxy_farm",
            60,
            25.0,
            creation=BulkCreation(email_styles=("disposable",), batch_size=(15, 30)),
            proxy=ProxyRotation(n_subnets=2, n_exits=16),
            timing=CoordinatedTiming(),
        ),
        Operation(
            "op-02",
            "op_hydra",
            25,
            40.0,
            payment=SharedPayment(accounts_per_card=(10, 15)),
            hydra=HydraFront(runs_per_day=2),
        ),
        Operation(
            "op-03",
            "op_card_farm",
            40,
            20.0,
            creation=BulkCreation(email_styles=("gmail_variants",), batch_size=(20, 20)),
            payment=SharedPayment(accounts_per_card=(10, 20)),
            templates=TemplatedPrompts(n_templates=6, n_system_prompts=1),
        ),
        Operation(
            "op-04",
            "op_regrowth",
            30,
            20.0,
            creation=BulkCreation(email_styles=("name_digits",), batch_size=(10, 10)),
            proxy=ProxyRotation(n_subnets=1, n_exits=8),
            templates=TemplatedPrompts(n_templates=5, n_system_prompts=1),
            regrowth=Regrowth(waves=2),
        ),
    ),
    n_public_templates=300,
    n_sdk_prompts=20,
)

_SAMPLE = Preset(
    name="sample",
    start=WINDOW_START,
    days=45,
    benign=Benign(n_accounts=14_600, legacy_id_share=0.1),
    lookalikes=Lookalikes(
        cgnat=Cgnat(n_accounts=900, n_ips=3),
        corporate_nat=CorporateNat(n_orgs=4, seats=(20, 200)),
        university=University(n_campuses=2, students=(80, 250)),
        hackathon=Hackathon(n_events=1, attendees=(150, 200)),
        vpn=Vpn(n_accounts=400, n_exits=6),
        aggregator=Aggregator(n_platforms=1, subaccounts=(300, 400), egress_ips=4),
        family=Family(n_families=250),
        public_template=PublicTemplate(n_accounts=400),
        launch_surge=LaunchSurge(n_accounts=600),
    ),
    operations=(
        _full_op_main(800, 60.0, None, 120),
        *_small_ops((300, 150, 100, 60, 40), 40.0),
        Operation(
            "op-06",
            "op_card_farm",
            12,
            30.0,
            creation=BulkCreation(email_styles=("gmail_variants",), batch_size=(12, 12)),
            payment=SharedPayment(accounts_per_card=(12, 12)),
        ),
    ),
    n_public_templates=800,
    n_sdk_prompts=30,
)

_MEDIUM = Preset(
    name="medium",
    start=WINDOW_START,
    days=45,
    benign=Benign(n_accounts=160_000, legacy_id_share=0.15),
    lookalikes=_lookalikes(2.0, cgnat_ips=6, vpn_exits=12),
    operations=(
        _full_op_main(5_000, 200.0, None, 600),
        *_small_ops((1_000, 600, 300, 150, 80, 40, 25, 15), 60.0),
    ),
)

_ARTICLE = Preset(
    name="article",
    start=WINDOW_START,
    days=45,
    benign=Benign(n_accounts=1_680_000, legacy_id_share=0.15),
    lookalikes=_lookalikes(20.0, cgnat_ips=20, vpn_exits=30),
    operations=(
        _full_op_main(25_000, 1_152.0, 28_800_000, 2_400),
        *_small_ops((2_000, 1_200, 800, 400, 150, 60, 25), 150.0),
    ),
    n_public_templates=5_000,
    n_sdk_prompts=60,
)

#: The presets by name.
PRESETS: Final = MappingProxyType({p.name: p for p in (_TINY, _SAMPLE, _MEDIUM, _ARTICLE)})
