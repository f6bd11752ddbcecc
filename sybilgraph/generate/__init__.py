"""Synthetic scenarios: a benign population with look-alikes and planted operations.

:func:`generate` writes ``events.parquet``, ``accounts.parquet`` and ``truth.csv`` (the data
contract of DESIGN.md section 3) for one of the :data:`PRESETS`. The same preset and seed give
byte-identical files; the events are drawn and written one day at a time, so memory stays
bounded by one day of traffic however large the preset.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     report = generate("tiny", seed=1, out_dir=Path(tmp))
...     sorted(p.name for p in Path(tmp).iterdir())
['accounts.parquet', 'events.parquet', 'truth.csv']
>>> report.operations[0].operation_id, report.operations[0].n_accounts
('op-01', 60)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from sybilgraph.errors import SettingsError
from sybilgraph.generate import vocab
from sybilgraph.generate.cohort import Activity, Cohort, Context, DayEvents, draw_day
from sybilgraph.generate.emails import unique_emails
from sybilgraph.generate.lookalikes import all_lookalikes
from sybilgraph.generate.operations import operation
from sybilgraph.generate.population import ordinary
from sybilgraph.generate.presets import PRESETS, Preset
from sybilgraph.generate.values import Pool, format_ips, hex64, random_codes, stream
from sybilgraph.generate.writer import EventsWriter, write_accounts, write_truth

__all__ = ["PRESETS", "GenerateReport", "OperationReport", "generate"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class OperationReport:
    """What was planted for one operation."""

    operation_id: str
    kind: str
    n_accounts: int
    n_events: int
    #: First and last request (UTC); None when the operation made none.
    first_event: str | None
    last_event: str | None
    #: Distinct UTC days with at least one request.
    active_days: int


@dataclass(frozen=True)
class GenerateReport:
    """Summary of one generated scenario."""

    preset: str
    seed: int
    out_dir: Path
    n_accounts: int
    n_events: int
    #: Accounts and requests per ``kind`` of the truth table.
    accounts_by_kind: dict[str, int]
    events_by_kind: dict[str, int]
    operations: tuple[OperationReport, ...]
    #: Size in bytes of each written file.
    file_sizes: dict[str, int]
    seconds: float

    def lines(self) -> list[str]:
        """A short human-readable summary, one line per item.

        Examples
        --------
        >>> r = GenerateReport("tiny", 1, Path("d"), 2, 3, {"benign": 2}, {"benign": 3}, (),
        ...                    {"truth.csv": 10}, 0.5)
        >>> r.lines()[0]
        "preset 'tiny', seed 1: 2 accounts, 3 events in 0.5 s"
        """
        out = [
            f"preset {self.preset!r}, seed {self.seed}: {self.n_accounts:,} accounts, "
            f"{self.n_events:,} events in {self.seconds:.1f} s"
        ]
        for kind in sorted(self.accounts_by_kind):
            out.append(
                f"  {kind:<16} {self.accounts_by_kind[kind]:>10,} accounts "
                f"{self.events_by_kind.get(kind, 0):>12,} events"
            )
        for op in self.operations:
            out.append(
                f"  {op.operation_id:<8} {op.kind:<16} {op.n_accounts:>7,} accounts "
                f"{op.n_events:>11,} events over {op.active_days} days"
            )
        for name, size in sorted(self.file_sizes.items()):
            out.append(f"  {name:<18} {size / 1e6:>8.2f} MB")
        return out


def _cohorts(ctx: Context, progress: Progress) -> list[Cohort]:
    """Every population of the preset, in a fixed order: operations, look-alikes, benign."""
    preset, seed = ctx.preset, ctx.seed
    cohorts = [operation(ctx, stream(seed, "op", op.operation_id), op) for op in preset.operations]
    progress(f"planted {len(cohorts)} operations")
    names = [f.name for f in preset.lookalikes.__dataclass_fields__.values()]
    rngs = {name: stream(seed, "lookalike", name) for name in names}
    cohorts += all_lookalikes(ctx, rngs, preset.benign)
    progress("built the benign look-alikes")
    n, chunk = preset.benign.n_accounts, preset.chunk_accounts
    for i in range(math.ceil(n / chunk)):
        size = min(chunk, n - i * chunk)
        cohorts.append(ordinary(ctx, stream(seed, "benign", i), size, preset.benign))
    progress(f"built {n:,} ordinary accounts")
    for c in cohorts:
        c.check()
    return cohorts


def _account_ids(rng: np.random.Generator, n: int, legacy_share: float) -> pl.Series:
    """UUID-like ids (8-4-4-4-12 hex) and, for a share, legacy ``usr_`` + 20 hex ids."""
    hexes = pl.select(
        pl.concat_str([hex64(random_codes(rng, n)), hex64(random_codes(rng, n))])
    ).to_series()
    uuid = pl.select(
        pl.concat_str(
            [hexes.str.slice(a, b - a) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))],
            separator="-",
        )
    ).to_series()
    legacy = pl.select(pl.concat_str([pl.lit("usr_"), hexes.str.slice(0, 20)])).to_series()
    use_legacy = pl.Series(rng.random(n) < legacy_share)
    ids = (
        pl.select(pl.when(use_legacy).then(legacy).otherwise(uuid)).to_series().alias("account_id")
    )
    if ids.n_unique() != n:
        raise AssertionError("account id collision")
    return ids


def _agent_table(cohorts: list[Cohort]) -> pl.Series:
    """The catalogue of client strings plus every cohort's own, with cohort pools remapped."""
    table = list(vocab.USER_AGENTS)
    base = len(table)
    for c in cohorts:
        if c.extra_agents:
            values = c.agents.values.astype(np.int64)
            values = np.where(values >= base, values + (len(table) - base), values)
            c.agents = Pool(c.agents.offsets, values)
            table.extend(c.extra_agents)
    return pl.Series("user_agent", table)


def _accounts_frame(cohorts: list[Cohort], ids: pl.Series) -> pl.DataFrame:
    countries = pl.Series([code for code, _, _ in vocab.COUNTRIES])
    created = np.concatenate([c.created_at for c in cohorts])
    card = np.concatenate([c.card for c in cohorts])
    return pl.DataFrame(
        {
            "account_id": ids,
            "created_at": pl.Series(created).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            "org_id": pl.concat([c.org for c in cohorts]),
            "email": pl.concat([c.email for c in cohorts]),
            "payment_fingerprint": hex64(card, card == 0),
            "signup_ip": format_ips(np.concatenate([c.signup_ip for c in cohorts])),
            "country": countries.gather(pl.Series(np.concatenate([c.country for c in cohorts]))),
            "operation_id": pl.concat(
                [pl.Series([c.operation_id] * len(c), dtype=pl.String) for c in cohorts]
            ),
            "kind": pl.concat([pl.Series([c.kind] * len(c), dtype=pl.String) for c in cohorts]),
        }
    )


def _events_frame(
    block: DayEvents, ids: pl.Series, orgs: pl.Series, agents: pl.Series
) -> pl.DataFrame:
    acc = pl.Series(block.account)
    frame = pl.DataFrame(
        {
            "account_id": ids.gather(acc),
            "timestamp": pl.Series(block.timestamp)
            .cast(pl.Datetime("us"))
            .dt.replace_time_zone("UTC"),
            "org_id": orgs.gather(acc),
            "ip": format_ips(block.ip),
            "prompt_fingerprint": hex64(block.prompt),
            "system_prompt_hash": hex64(block.system, block.system == 0),
            "user_agent": agents.gather(pl.Series(block.agent)),
            "device_id": hex64(block.device),
        }
    )
    return frame.sort(["timestamp", "account_id"], maintain_order=True)


def _check(preset: str, seed: int) -> Preset:
    if preset not in PRESETS:
        raise SettingsError(
            f"The 'preset' parameter must be one of {', '.join(PRESETS)}. Got {preset!r} instead."
        )
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise SettingsError(f"The 'seed' parameter must be an int >= 0. Got {seed!r} instead.")
    return PRESETS[preset]


def generate(
    preset: str, seed: int, out_dir: Path, *, progress: Progress | None = None
) -> GenerateReport:
    """Write a synthetic scenario to ``out_dir``: events, accounts and the truth table.

    Parameters
    ----------
    preset
        One of :data:`PRESETS` (``tiny``, ``sample``, ``medium``, ``article``); see
        ``docs/scenarios.md``.
    seed
        Seed of every random draw; the same preset and seed give byte-identical files.
    out_dir
        Directory to write ``events.parquet``, ``accounts.parquet`` and ``truth.csv`` to;
        created if missing.
    progress
        Called with a short message at each stage (for a command line's stderr).

    Returns
    -------
    GenerateReport
        Counts per kind and per operation, file sizes and wall time.

    Raises
    ------
    SettingsError
        On an unknown preset or a negative seed.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     r = generate("tiny", seed=3, out_dir=Path(tmp))
    >>> r.accounts_by_kind["hackathon"]
    100
    """
    spec = _check(preset, seed)
    say: Progress = progress if progress is not None else (lambda _msg: None)
    began = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    ctx = Context.build(spec, seed)
    cohorts = _cohorts(ctx, say)
    offsets = np.cumsum([0] + [len(c) for c in cohorts])
    ids = _account_ids(stream(seed, "account-ids"), int(offsets[-1]), spec.benign.legacy_id_share)
    agents = _agent_table(cohorts)

    accounts = _accounts_frame(cohorts, ids)
    farmed = (accounts["operation_id"] != "").to_numpy()
    accounts = accounts.with_columns(
        unique_emails(stream(seed, "emails"), accounts["email"], farmed)
    )
    accounts = accounts.sort("account_id")
    write_accounts(accounts, out_dir / "accounts.parquet")
    write_truth(accounts, out_dir / "truth.csv")
    say(f"wrote {len(accounts):,} accounts and the truth table")
    orgs = pl.concat([c.org for c in cohorts])
    del accounts

    activity = [Activity(ctx, c) for c in cohorts]
    n_events = np.zeros(len(cohorts), dtype=np.int64)
    first = np.full(len(cohorts), np.iinfo(np.int64).max)
    last = np.full(len(cohorts), np.iinfo(np.int64).min)
    days_seen = np.zeros((len(cohorts), ctx.days), dtype=bool)
    with EventsWriter(out_dir / "events.parquet") as writer:
        for day in range(ctx.days):
            parts = []
            for i, (c, act) in enumerate(zip(cohorts, activity, strict=True)):
                rng = stream(seed, "events", c.kind, c.operation_id, i, day)
                block = draw_day(ctx, c, act.take(rng, day), rng, day)
                if len(block.account):
                    n_events[i] += len(block.account)
                    first[i] = min(first[i], int(block.timestamp.min()))
                    last[i] = max(last[i], int(block.timestamp.max()))
                    days_seen[i, day] = True
                block.account = block.account + offsets[i]
                parts.append(block)
            writer.write(_events_frame(DayEvents.concat(parts), ids, orgs, agents))
            say(f"day {day + 1}/{ctx.days}: {writer.rows:,} events so far")

    by_kind_accounts: dict[str, int] = {}
    by_kind_events: dict[str, int] = {}
    for i, c in enumerate(cohorts):
        by_kind_accounts[c.kind] = by_kind_accounts.get(c.kind, 0) + len(c)
        by_kind_events[c.kind] = by_kind_events.get(c.kind, 0) + int(n_events[i])

    def stamp(us: int) -> str:
        return str(pl.Series([us]).cast(pl.Datetime("us")).dt.strftime("%Y-%m-%dT%H:%M:%SZ")[0])

    ops = tuple(
        OperationReport(
            operation_id=c.operation_id,
            kind=c.kind,
            n_accounts=len(c),
            n_events=int(n_events[i]),
            first_event=stamp(int(first[i])) if n_events[i] else None,
            last_event=stamp(int(last[i])) if n_events[i] else None,
            active_days=int(days_seen[i].sum()),
        )
        for i, c in enumerate(cohorts)
        if c.operation_id
    )
    sizes = {p.name: p.stat().st_size for p in (out_dir / n for n in _FILES)}
    return GenerateReport(
        preset=spec.name,
        seed=seed,
        out_dir=out_dir,
        n_accounts=int(offsets[-1]),
        n_events=int(n_events.sum()),
        accounts_by_kind=by_kind_accounts,
        events_by_kind=by_kind_events,
        operations=ops,
        file_sizes=sizes,
        seconds=time.perf_counter() - began,
    )


_FILES = ("events.parquet", "accounts.parquet", "truth.csv")
