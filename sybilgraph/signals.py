"""Stage 2 of the pipeline: from loaded rows to one long table of (account, signal) observations.

Every piece of evidence the engine can use becomes a row ``(account_id, signal_type,
signal_value, n_events, first_seen, last_seen)``:

* the raw signal columns of the events (normalised per type: IPs lower-cased and stripped,
  IPv6 in canonical form);
* derived values: the network prefix of each IP (/24 for IPv4, /48 for IPv6 by default), the
  normalised e-mail address (case, Gmail dots and ``+tags`` removed), its domain, and the
  "generator stem" of the local part (letters only), which links ``john.smith1984@`` to
  ``johnsmith77@``;
* sign-up bursts: ``accounts.created_at`` bucketed into short windows on offset grids;
* synchrony tokens in the spirit of SynchroTrap (Cao et al. 2014): a value used within one
  time window, on ``sync_offsets`` grids shifted by a fraction of the window so that a window
  boundary does not split a burst. Their number grows with the events, so accounts are sampled
  consistently by a hash of the token (the same tokens are kept for every account), which bounds
  the table while keeping tokens that many accounts share.

Work on strings is done once per distinct value where possible (prefixes, e-mail forms), not
once per event. The events are written to a scratch Parquet *spool* with a 64-bit key instead of
the account id and every signal column already normalised; the pipeline has the reader write it
in the pass that validates the events (:class:`EventSpool`). The accounts' activity is counted
on the spool's keys too and named from the accounts table, with a second hash of each id that
proves the naming exact (the events are counted by their ids instead when there is no table or
a key is ambiguous). Each later aggregate reads the spool, so it groups on an integer key and
no longer re-reads, re-validates and re-normalises the input.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from sybilgraph import schema
from sybilgraph.errors import ScratchError, SettingsError
from sybilgraph.settings import Settings

__all__ = [
    "ACCOUNT_KEY",
    "FAMILIES",
    "EventSpool",
    "KeyedPart",
    "Observations",
    "build_observations",
    "family_of",
]

#: Column of every observation frame that identifies the account: a 64-bit hash of the account
#: id, unique over the run's accounts (see :func:`build_observations`).
ACCOUNT_KEY = "account_key"

#: Evidence families: signal types that tell the same story count once when judging how many
#: *independent* kinds of evidence link a group.
FAMILIES: dict[str, str] = {
    "payment_fingerprint": "payment",
    "ip": "network",
    "ip_prefix": "network",
    "signup_ip": "network",
    "prompt_fingerprint": "content",
    "system_prompt_hash": "content",
    "user_agent": "client",
    "device_id": "client",
    "email": "identity",
    "email_stem": "identity",
    "email_domain": "identity",
    "signup_burst": "timing",
    # A value used in the same hour by two accounts is stronger evidence of the same kind, not
    # an independent kind: the window token implies the value itself is shared.
    "ip_window": "network",
    "prompt_window": "content",
}

_OBS_SCHEMA = pl.Schema(
    {
        schema.ACCOUNT_ID: pl.String(),
        schema.SIGNAL_TYPE: pl.String(),
        schema.SIGNAL_VALUE: pl.String(),
        "n_events": pl.Int64(),
        schema.FIRST_SEEN: schema.DATETIME,
        schema.LAST_SEEN: schema.DATETIME,
    }
)

_SYNC_TYPE_NAME = {"ip": "ip_window", "prompt_fingerprint": "prompt_window"}

#: Seeds tried in turn for the account key until one gives every account its own key. With 64
#: bits a second seed is needed about once in 10^7 runs of two million accounts.
_KEY_SEEDS = (0, 1, 2, 3)


def family_of(signal_type: str) -> str:
    """Evidence family of a signal type; unknown (user-named) types are their own family.

    Examples
    --------
    >>> family_of("ip_prefix"), family_of("tenant_tag")
    ('network', 'tenant_tag')
    """
    return FAMILIES.get(signal_type, signal_type)


_PART_SCHEMA = pl.Schema(
    {
        ACCOUNT_KEY: pl.UInt64(),
        **{
            k: v for k, v in _OBS_SCHEMA.items() if k not in (schema.ACCOUNT_ID, schema.SIGNAL_TYPE)
        },
    }
)


@dataclass(frozen=True)
class KeyedPart:
    """Observations whose values are known by integer key columns until they are named.

    A synchrony token is a (value, grid, window) triple: grouping, counting and encoding them
    on the integers is far cheaper than on their readable labels, of which there are as many
    as (account, token) rows. ``frame`` has ``account_key``, the ``keys`` columns and the usage
    columns (``n_events, first_seen, last_seen``), one row per (account, token); ``name``
    adds the readable ``signal_value`` to any frame holding the ``keys`` columns, one label per
    distinct key, so it is applied to the distinct tokens only.
    """

    frame: pl.LazyFrame
    keys: tuple[str, ...]
    name: Callable[[pl.LazyFrame], pl.LazyFrame]


@dataclass(frozen=True)
class Observations:
    """The output of the signals stage.

    Attributes
    ----------
    parts
        ``(signal_type, frame)`` pairs; each frame has ``account_key, signal_value, n_events,
        first_seen, last_seen``, one row per (account, value). One type may have several
        parts (``ip_prefix`` comes from the events' IPs and from the sign-up IPs).
        :func:`sybilgraph.edges.build_edges` encodes them in this order, one type at a time,
        removing each from this list once encoded so that its strings are released before
        the next pass.
    keyed
        The synchrony tokens and the sign-up bursts, as ``(signal_type, part)`` pairs known
        by integer keys (:class:`KeyedPart`); each token type a further pass over the spooled
        events. They are encoded after ``parts`` and removed from this list in the same way.
    activity
        One row per account seen anywhere: ``account_id, n_events, first_seen, last_seen,
        org_id, created_at, account_key`` (collected before any other pass, while nothing else
        is held). ``account_key`` is unique.
    sync_sample_rate
        Share of synchrony tokens kept (1.0 when all were).
    """

    parts: list[tuple[str, pl.LazyFrame]]
    activity: pl.DataFrame
    sync_sample_rate: float
    keyed: list[tuple[str, KeyedPart]] = field(default_factory=list)

    @property
    def table(self) -> pl.LazyFrame:
        """Every part in one long table ``account_id, signal_type, signal_value, n_events,
        first_seen, last_seen``."""
        named = [*self.parts, *((typ, part.name(part.frame)) for typ, part in self.keyed)]
        if not named:
            return pl.LazyFrame(schema=_OBS_SCHEMA)
        ids = self.activity.lazy().select(ACCOUNT_KEY, schema.ACCOUNT_ID)
        return pl.concat(
            [
                frame.select(list(_PART_SCHEMA))
                .cast(_PART_SCHEMA)
                .join(ids, on=ACCOUNT_KEY)
                .with_columns(pl.lit(typ).alias(schema.SIGNAL_TYPE))
                .select(list(_OBS_SCHEMA))
                for typ, frame in named
            ],
            how="vertical",
        )


class EventSpool:
    """The events' spool, written in the pass that validates them.

    A :class:`~sybilgraph.load.tap.RowTap` for :func:`sybilgraph.load.read_events`. Reading
    the events decodes every value, and so does spooling them (keyed and normalised, to
    Parquet files in ``directory``, or with ``in_memory`` to frames held in memory, which
    saves encoding small inputs as Parquet): doing both on one scan of each file saves a pass
    over the input. The account keys are made with the first seed of :data:`_KEY_SEEDS`;
    :func:`build_observations` checks that it gives every account its own key, and spools the
    events again from the input in the rare case it does not.

    Examples
    --------
    >>> import tempfile, os
    >>> from sybilgraph.load import read_events
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "e.csv")
    ...     _ = open(p, "w").write("account_id,ip\\na,10.0.0.1\\n,10.0.0.2\\nb,10.0.0.1\\n")
    ...     tap = EventSpool(Path(d))
    ...     loaded = read_events(p, tap=tap)
    ...     tap.spool.collect().get_column("ip").to_list()
    ['10.0.0.1', '10.0.0.1']
    """

    def __init__(self, directory: Path, *, stripped: bool = True, in_memory: bool = False) -> None:
        self.directory = directory
        self.stripped = stripped
        self.in_memory = in_memory
        self.seed = _KEY_SEEDS[0]
        self.columns: tuple[str, ...] = ()
        self._files: dict[int, Path] = {}
        self._frames: dict[int, pl.DataFrame] = {}

    def queries(
        self, index: int, frame: pl.LazyFrame, signal_columns: tuple[str, ...]
    ) -> list[pl.LazyFrame]:
        """The query that spools file ``index``'s valid rows: a Parquet sink, or with
        ``in_memory`` the rows themselves (:meth:`collected` keeps them)."""
        has_ts = schema.TIMESTAMP in frame.collect_schema().names()
        self.columns = signal_columns
        spooled = _spooled(frame, signal_columns, self.seed, has_ts, self.stripped)
        if self.in_memory:
            return [spooled]
        path = self.directory / f"events-spool-{index:05d}.parquet"
        self._files[index] = path
        return [spooled.sink_parquet(path, compression="lz4", lazy=True)]

    def collected(self, index: int, results: list[pl.DataFrame]) -> None:
        """Keep file ``index``'s spooled rows when they are held in memory."""
        if self.in_memory:
            self._frames[index] = results[0]

    @property
    def ready(self) -> bool:
        """Whether any file was spooled."""
        return bool(self._files or self._frames)

    @property
    def spool(self) -> pl.LazyFrame:
        """The spooled events of every file, in reading order."""
        if self.in_memory:
            frames = [self._frames[i] for i in sorted(self._frames)]
            return pl.concat(frames, how="vertical", rechunk=False).lazy()
        return pl.scan_parquet([self._files[i] for i in sorted(self._files)])

    def discard(self) -> None:
        """Remove the spool files or frames (when the events are spooled again under another
        seed, or once the signals are encoded)."""
        for path in self._files.values():
            path.unlink(missing_ok=True)
        self._files.clear()
        self._frames.clear()


def build_observations(
    events: pl.LazyFrame | None,
    accounts: pl.LazyFrame | None,
    edges: pl.LazyFrame | None,
    settings: Settings,
    *,
    signal_columns: tuple[str, ...] | None = None,
    n_events: int | None = None,
    stripped: bool = False,
    spool_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    spooled: EventSpool | None = None,
) -> Observations:
    """Turn loaded inputs into the long observation table of every signal.

    Parameters
    ----------
    events, accounts, edges
        Canonical frames from :mod:`sybilgraph.load` (any may be ``None``).
    settings
        The run's settings.
    signal_columns
        Signal columns of ``events``; by default the standard ones present plus
        ``settings.extra_signals``.
    n_events
        Number of event rows, used to size the synchrony sample; counted when omitted.
    stripped
        Whether the event values are already stripped of surrounding whitespace and never
        empty, as the readers leave them; only the case of IPs is then normalised.
    spool_dir
        Directory for the scratch Parquet copy of the events (about the size of the input
        again), which must outlive the returned parts and serve no other call. ``None`` holds
        it in memory instead, for small inputs.
    progress
        Called with a line after each pass over the events.
    spooled
        The spool of ``events``, written while they were read (:class:`EventSpool`); the
        events are spooled again only if its account keys collide.

    Examples
    --------
    >>> import datetime as dt
    >>> ev = pl.LazyFrame({
    ...     "account_id": ["a", "b"], "ip": ["10.0.0.1", "10.0.0.1"],
    ...     "timestamp": [dt.datetime(2025, 5, 1, tzinfo=dt.timezone.utc)] * 2,
    ... }).with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")))
    >>> obs = build_observations(ev, None, None, Settings(sync_types=()))
    >>> sorted(obs.table.collect()["signal_type"].unique().to_list())
    ['ip', 'ip_prefix']
    """
    # The per-account activity first, while no other table is held. It lists every account,
    # so it is where the account key is chosen and checked to be unique.
    if spooled is not None and (events is None or not spooled.ready):
        spooled = None
    cols = signal_columns
    if events is not None and cols is None:
        names = events.collect_schema().names()
        cols = tuple(c for c in (*schema.EVENT_SIGNALS, *settings.extra_signals) if c in names)
    event_activity: pl.LazyFrame | None = None
    # The spool's (account, IP) aggregate, when the activity was counted from it.
    ip_rows: pl.DataFrame | None = None
    if events is not None:
        if spooled is not None and spooled.columns == cols and accounts is not None:
            per_key = None
            if "ip" in cols:
                ip_rows = _ip_and_activity(spooled.spool)
                per_key = _key_activity_of(ip_rows)
            found = _spool_activity(spooled.spool, events, accounts, spooled.seed, per_key)
            if found is not None:
                event_activity = found.lazy()
            else:
                ip_rows = None
        if event_activity is None:
            event_activity = _event_activity(events)
    activity = _activity(
        [
            *([event_activity] if event_activity is not None else []),
            *([_edge_activity(edges)] if edges is not None else []),
        ],
        _created(accounts) if accounts is not None else None,
    ).collect(engine="streaming")
    seed = _key_seed(activity.get_column(schema.ACCOUNT_ID))
    activity = activity.with_columns(_account_key(pl.col(schema.ACCOUNT_ID), seed))

    def note(message: str) -> None:
        if progress is not None:
            progress(message)

    note(f"activity of {activity.height:,} accounts")
    parts: list[tuple[str, pl.LazyFrame]] = []
    windows: list[tuple[str, KeyedPart]] = []
    rate = 1.0
    seconds = (0, 0)
    if events is not None and cols is not None:
        has_ts = schema.TIMESTAMP in events.collect_schema().names()
        if spooled is not None and spooled.seed == seed and spooled.columns == cols:
            spool = spooled.spool
        else:
            if spooled is not None:
                spooled.discard()
            ip_rows = None
            spool = _spool(events, cols, seed, has_ts, stripped, spool_dir)
            note("events spooled")
        if has_ts and settings.sync_types:
            if n_events is None:
                n_events = int(spool.select(pl.len()).collect(engine="streaming").item())
            rate = _sync_rate(n_events, len(settings.sync_types), settings)
            seconds = _seconds(activity)
        for col in cols:
            share = _distinct_share(spool, col)
            if col == "ip" or share <= 0.5:
                # Prefixes need every IP, shared or not; an account uses few IPs, and a column
                # of few distinct values has a small (account, value) aggregate anyway.
                if col == "ip" and ip_rows is not None:
                    # Counted with the activity: the rows of events that have an IP.
                    grouped = ip_rows.filter(pl.col(schema.SIGNAL_VALUE).is_not_null()).drop(
                        _ACTIVITY_CHECKS
                    )
                    ip_rows = None
                else:
                    grouped = _event_signal(spool, col, few=share <= _FEW_DISTINCT).collect(
                        engine="streaming"
                    )
                shared = _shared_only(grouped)
                if col == "ip":
                    parts.append(("ip_prefix", _prefixes(grouped.lazy(), settings)))
                del grouped
            else:
                shared = _shared_event_signal(spool, col)
            parts.append((col, shared.lazy()))
            note(f"{col}: {shared.height:,} observations of shared values")
            if has_ts and col in settings.sync_types:
                values = shared.get_column(schema.SIGNAL_VALUE)
                windows.append(
                    (
                        _SYNC_TYPE_NAME.get(col, f"{col}_window"),
                        _sync_tokens(spool, col, settings, rate, values, seconds),
                    )
                )
    if edges is not None:
        parts.extend(_edge_signals(edges, settings, seed))
    if accounts is not None:
        account_parts, bursts = _account_signals(accounts, settings, seed)
        parts.extend(account_parts)
        if bursts is not None:
            windows.append(("signup_burst", bursts))
    return Observations(parts=parts, activity=activity, sync_sample_rate=rate, keyed=windows)


def _account_key(account_id: pl.Expr, seed: int) -> pl.Expr:
    """The 64-bit key that stands for an account id in every aggregate."""
    return account_id.hash(seed=seed).alias(ACCOUNT_KEY)


def _key_seed(account_ids: pl.Series) -> int:
    """The first seed of :data:`_KEY_SEEDS` under which no two accounts share a key."""
    seed = _distinct_seed(account_ids, _account_key)
    if seed is None:
        raise RuntimeError(
            f"the {account_ids.len():,} account ids have colliding 64-bit keys under every "
            "seed tried"
        )
    return seed


def _distinct_seed(values: pl.Series, hashed: Callable[[pl.Expr, int], pl.Expr]) -> int | None:
    """The first seed of :data:`_KEY_SEEDS` under which ``hashed`` gives each of the distinct
    ``values`` its own hash, or None."""
    frame = values.to_frame("_x")
    for seed in _KEY_SEEDS:
        if frame.select(hashed(pl.col("_x"), seed)).to_series().n_unique() == frame.height:
            return seed
    return None


#: Spool columns beside the key, the timestamp and the signal columns: a second, independent
#: hash of the account id (see :func:`_spool_activity`) and the event's organisation.
_SPOOL_CHECK = "__account_check"
_SPOOL_ORG = "__org_id"


def _spooled(
    events: pl.LazyFrame, cols: tuple[str, ...], seed: int, has_ts: bool, stripped: bool
) -> pl.LazyFrame:
    """The events as ``account_key``, a check hash of the account id, ``timestamp``, the
    organisation and the normalised signal columns."""
    names = events.collect_schema().names()
    ts = pl.col(schema.TIMESTAMP) if has_ts else pl.lit(None, dtype=schema.DATETIME)
    org = pl.col(schema.ORG_ID) if schema.ORG_ID in names else pl.lit(None, dtype=pl.String)
    return events.select(
        _account_key(pl.col(schema.ACCOUNT_ID), seed),
        _account_check(pl.col(schema.ACCOUNT_ID)),
        ts.alias(schema.TIMESTAMP),
        org.cast(pl.String).alias(_SPOOL_ORG),
        *[_normalise(pl.col(c), c, stripped=stripped).alias(c) for c in cols],
    )


def _account_check(account_id: pl.Expr) -> pl.Expr:
    """A second hash of the account id, independent of every account key.

    32 bits of it: with the key's 64, two ids are told apart unless 96 bits collide, and
    the spool holds 4 bytes per event for it instead of 8.
    """
    return (account_id.hash(seed=_CHECK_SEED) & 0xFFFFFFFF).cast(pl.UInt32).alias(_SPOOL_CHECK)


#: Columns of a per-key or (key, IP) aggregate of the spool with the range of the check hash.
_ACTIVITY_CHECKS = ("_lo", "_hi")


def _check_range() -> list[pl.Expr]:
    """The smallest and largest check hash of a group of spooled events."""
    return [pl.col(_SPOOL_CHECK).min().alias("_lo"), pl.col(_SPOOL_CHECK).max().alias("_hi")]


def _ip_and_activity(spool: pl.LazyFrame) -> pl.DataFrame:
    """The spool's (account, IP) aggregate, with the events without an IP as a null IP and
    the range of the check hash of each row.

    The IP observations are this without the null rows, and each account's activity is the
    sum of its rows (:func:`_key_activity_of`): counting both on one pass over the events
    saves one of the two (on the article preset 9.3-11.4 s against 12.3-14.0 s).
    """
    return (
        spool.select(
            ACCOUNT_KEY, schema.TIMESTAMP, _SPOOL_CHECK, pl.col("ip").alias(schema.SIGNAL_VALUE)
        )
        .group_by(ACCOUNT_KEY, schema.SIGNAL_VALUE)
        .agg(*_usage(), *_check_range())
        .collect(engine="streaming")
    )


def _key_activity_of(rows: pl.DataFrame) -> pl.DataFrame:
    """Per key, the activity and check range summed over the rows of an aggregate made by
    :func:`_ip_and_activity`."""
    return (
        rows.lazy()
        .group_by(ACCOUNT_KEY)
        .agg(
            pl.col("n_events").sum(),
            pl.col(schema.FIRST_SEEN).min(),
            pl.col(schema.LAST_SEEN).max(),
            pl.col("_lo").min(),
            pl.col("_hi").max(),
        )
        .collect(engine="streaming")
    )


def _spool_activity(
    spool: pl.LazyFrame,
    events: pl.LazyFrame,
    accounts: pl.LazyFrame,
    seed: int,
    per_key: pl.DataFrame | None = None,
) -> pl.DataFrame | None:
    """The events' activity per account (as :func:`_event_activity`), counted on the spool.

    Grouping 60 million events by their account id string is most of the cost of counting
    them; grouping the spool by its integer key is a quarter of it. The keys are then named
    from the accounts table, which lists the accounts already, and from the events only for
    keys it lacks. The naming is exact: within a key the spool's second hash of the id must
    not vary (else two ids of the events share the key), and it must equal the second hash of
    the id the key is named by. Returns None when the key does not tell the accounts apart,
    and the caller then counts the events by their ids.

    ``per_key`` is the spool's per-key activity and check range when it is already counted
    (:func:`_key_activity_of`).
    """
    if per_key is None:
        per_key = (
            spool.group_by(ACCOUNT_KEY).agg(*_usage(), *_check_range()).collect(engine="streaming")
        )
    if (per_key.get_column("_lo") != per_key.get_column("_hi")).any():
        return None

    def named(ids: pl.LazyFrame) -> pl.DataFrame:
        return (
            ids.select(schema.ACCOUNT_ID)
            .unique()
            .with_columns(
                _account_key(pl.col(schema.ACCOUNT_ID), seed),
                _account_check(pl.col(schema.ACCOUNT_ID)),
            )
            .collect(engine="streaming")
        )

    known = named(accounts.drop_nulls(schema.ACCOUNT_ID))
    if known.get_column(ACCOUNT_KEY).n_unique() != known.height:
        return None
    keyed = per_key.join(known, on=ACCOUNT_KEY, how="left")
    missing = keyed.filter(pl.col(schema.ACCOUNT_ID).is_null())
    if missing.height:
        wanted = missing.get_column(ACCOUNT_KEY).implode()
        found = named(events.filter(_account_key(pl.col(schema.ACCOUNT_ID), seed).is_in(wanted)))
        if found.height != missing.height:
            return None
        keyed = pl.concat(
            [
                keyed.filter(pl.col(schema.ACCOUNT_ID).is_not_null()),
                missing.drop(schema.ACCOUNT_ID, _SPOOL_CHECK).join(found, on=ACCOUNT_KEY),
            ],
            how="vertical",
        )
        if keyed.height != per_key.height:
            return None
    if (keyed.get_column(_SPOOL_CHECK) != keyed.get_column("_lo")).any():
        return None
    orgs = (
        spool.select(ACCOUNT_KEY, _SPOOL_ORG)
        .drop_nulls(_SPOOL_ORG)
        .group_by(ACCOUNT_KEY)
        .agg(pl.col(_SPOOL_ORG).min().alias(schema.ORG_ID))
        .collect(engine="streaming")
    )
    return keyed.join(orgs, on=ACCOUNT_KEY, how="left").select(
        schema.ACCOUNT_ID, "n_events", schema.FIRST_SEEN, schema.LAST_SEEN, schema.ORG_ID
    )


def _spool(
    events: pl.LazyFrame,
    cols: tuple[str, ...],
    seed: int,
    has_ts: bool,
    stripped: bool,
    spool_dir: Path | None,
) -> pl.LazyFrame:
    """The events once more, as ``account_key, timestamp`` and the normalised signal columns.

    Written to ``spool_dir`` as Parquet (or held in memory when it is ``None``) so that every
    later pass reads integers and clean strings instead of re-reading, re-validating and
    re-normalising the input.
    """
    frame = _spooled(events, cols, seed, has_ts, stripped)
    if spool_dir is None:
        return frame.collect(engine="streaming").lazy()
    path = spool_dir / "events-spool.parquet"
    try:
        frame.sink_parquet(path, compression="lz4")
    except (OSError, pl.exceptions.ComputeError) as err:
        # A compute error is also what a failed write becomes inside polars' parquet writer;
        # anything else (a problem with the events themselves) keeps its own error.
        if isinstance(err, pl.exceptions.ComputeError) and "os error" not in str(err).lower():
            raise
        raise ScratchError(
            f"could not write the scratch copy of the events to {path}: {err}. It takes about "
            "the size of the events; set TMPDIR to a directory with more room."
        ) from err
    return pl.scan_parquet(path)


def _event_activity(events: pl.LazyFrame) -> pl.LazyFrame:
    names = events.collect_schema().names()
    ts = (
        pl.col(schema.TIMESTAMP)
        if schema.TIMESTAMP in names
        else pl.lit(None, dtype=schema.DATETIME)
    )
    org = (
        pl.col(schema.ORG_ID).drop_nulls().min()
        if schema.ORG_ID in names
        else pl.lit(None, dtype=pl.String)
    )
    return events.group_by(schema.ACCOUNT_ID).agg(
        pl.len().cast(pl.Int64).alias("n_events"),
        ts.min().alias(schema.FIRST_SEEN),
        ts.max().alias(schema.LAST_SEEN),
        org.alias(schema.ORG_ID),
    )


def _edge_activity(edges: pl.LazyFrame) -> pl.LazyFrame:
    return edges.group_by(schema.ACCOUNT_ID).agg(
        pl.lit(0, dtype=pl.Int64).alias("n_events"),
        pl.col(schema.FIRST_SEEN).min(),
        pl.col(schema.LAST_SEEN).max(),
        pl.lit(None, dtype=pl.String).alias(schema.ORG_ID),
    )


def _created(accounts: pl.LazyFrame) -> pl.LazyFrame:
    names = accounts.collect_schema().names()
    return accounts.group_by(schema.ACCOUNT_ID).agg(
        (
            pl.col(schema.CREATED_AT).min()
            if schema.CREATED_AT in names
            else pl.lit(None, dtype=schema.DATETIME)
        ).alias(schema.CREATED_AT),
        (
            pl.col(schema.ORG_ID).drop_nulls().min()
            if schema.ORG_ID in names
            else pl.lit(None, dtype=pl.String)
        ).alias("declared_org"),
    )


def _activity(parts: list[pl.LazyFrame], created: pl.LazyFrame | None) -> pl.LazyFrame:
    act_schema = pl.Schema(
        {
            schema.ACCOUNT_ID: pl.String(),
            "n_events": pl.Int64(),
            schema.FIRST_SEEN: schema.DATETIME,
            schema.LAST_SEEN: schema.DATETIME,
            schema.ORG_ID: pl.String(),
        }
    )

    if parts:
        act = (
            pl.concat([p.cast(act_schema) for p in parts], how="vertical")
            .group_by(schema.ACCOUNT_ID)
            .agg(
                pl.col("n_events").sum(),
                pl.col(schema.FIRST_SEEN).min(),
                pl.col(schema.LAST_SEEN).max(),
                pl.col(schema.ORG_ID).drop_nulls().min(),
            )
        )
    else:
        act = pl.LazyFrame(schema=act_schema)
    if created is None:
        return act.with_columns(pl.lit(None, dtype=schema.DATETIME).alias(schema.CREATED_AT))
    return (
        act.join(created, on=schema.ACCOUNT_ID, how="full", coalesce=True)
        .with_columns(
            pl.col("n_events").fill_null(0),
            pl.coalesce(schema.ORG_ID, "declared_org").alias(schema.ORG_ID),
        )
        .drop("declared_org")
    )


#: Share of distinct values at or below which a column is grouped as a categorical.
_FEW_DISTINCT = 0.01


def _event_signal(spool: pl.LazyFrame, col: str, *, few: bool = False) -> pl.LazyFrame:
    """One row per (account, value) of an event column, with counts and first/last seen.

    ``few`` says the column has few distinct values (user agents: a few hundred, each about
    90 bytes long). Its values are then made categorical before grouping, so that each is
    hashed once into a small dictionary and the grouping hashes integers: on the article
    preset's user agents 7.3 s against 10.5-13.0 s. With millions of distinct values (IPs)
    the dictionary costs more than it saves (20 s against 10 s).
    """
    value = pl.col(col).cast(pl.Categorical) if few else pl.col(col)
    grouped = (
        spool.select(ACCOUNT_KEY, schema.TIMESTAMP, value.alias(schema.SIGNAL_VALUE))
        .drop_nulls(schema.SIGNAL_VALUE)
        .group_by(ACCOUNT_KEY, schema.SIGNAL_VALUE)
        .agg(*_usage())
    )
    return grouped.with_columns(pl.col(schema.SIGNAL_VALUE).cast(pl.String)) if few else grouped


_USAGE_COLUMNS = ("n_events", schema.FIRST_SEEN, schema.LAST_SEEN)


def _usage() -> list[pl.Expr]:
    """What every (account, value) row of the events records: requests, first and last seen."""
    return [
        pl.len().cast(pl.Int64).alias("n_events"),
        pl.col(schema.TIMESTAMP).min().alias(schema.FIRST_SEEN),
        pl.col(schema.TIMESTAMP).max().alias(schema.LAST_SEEN),
    ]


def _distinct_share(spool: pl.LazyFrame, col: str, head: int = 100_000) -> float:
    """Share of distinct values among the first ``head`` values of a column (0 when empty).

    Most values distinct: fingerprint-like; few (:data:`_FEW_DISTINCT`): client strings.
    """
    first = spool.select(pl.col(col)).head(head).collect()
    return first.get_column(col).n_unique() / first.height if first.height else 0.0


def _shared_event_signal(spool: pl.LazyFrame, col: str) -> pl.DataFrame:
    """The (account, value) aggregate of an event column, for values two accounts use.

    Most values of a column like prompt fingerprints belong to one account, and aggregating
    every (account, value) pair first would hold all of them with their strings. So a first
    streaming pass finds the shared values on 64-bit hashes alone (a value is shared when the
    smallest and largest key of its accounts differ; keys are unique per account), and only
    the rows of those values are aggregated. A value whose hash collides with a shared one's
    is removed by the exact filter at the end.
    """
    keyed = spool.select(
        ACCOUNT_KEY, schema.TIMESTAMP, pl.col(col).alias(schema.SIGNAL_VALUE)
    ).drop_nulls(schema.SIGNAL_VALUE)
    value_hash = pl.col(schema.SIGNAL_VALUE).hash(seed=0).alias("_h")
    shared_hashes = (
        keyed.group_by(value_hash)
        .agg(pl.col(ACCOUNT_KEY).min().alias("_lo"), pl.col(ACCOUNT_KEY).max().alias("_hi"))
        .filter(pl.col("_lo") != pl.col("_hi"))
        .select("_h")
        .collect(engine="streaming")
    )
    grouped = (
        keyed.with_columns(value_hash)
        .join(shared_hashes.lazy(), on="_h", how="semi")
        .drop("_h")
        .group_by(ACCOUNT_KEY, schema.SIGNAL_VALUE)
        .agg(*_usage())
        .collect(engine="streaming")
    )
    return _shared_only(grouped)


def _shared_only(grouped: pl.DataFrame) -> pl.DataFrame:
    """Rows of values that at least two accounts use.

    Most prompt fingerprints, residential IPs and devices belong to one account; they can link
    nobody, and dropping them here keeps them out of every later stage (and out of the
    synchrony tokens, which are only made for shared values).
    """
    return grouped.filter(pl.len().over(schema.SIGNAL_VALUE) >= 2)


def _normalise(expr: pl.Expr, col: str, *, stripped: bool = False) -> pl.Expr:
    """Values of one signal column as they are compared: stripped, empty ones null, IPs and
    e-mails lower-cased. With ``stripped`` the values are known to be stripped and non-empty
    already (stripping every value of a column costs about as much as reading it)."""
    out = expr.cast(pl.String)
    if not stripped:
        out = out.str.strip_chars()
    if col in schema.IP_COLUMNS or col == "email":
        out = out.str.to_lowercase()
    return out if stripped else pl.when(out.str.len_bytes() > 0).then(out)


def _prefixes(ip_obs: pl.LazyFrame, settings: Settings) -> pl.LazyFrame:
    """Network prefixes of IP observations (an aggregate, so this runs once per account and IP)."""
    return (
        ip_obs.with_columns(_ip_prefix(pl.col(schema.SIGNAL_VALUE), settings).alias("_prefix"))
        .drop_nulls("_prefix")
        .group_by(ACCOUNT_KEY, "_prefix")
        .agg(
            pl.col("n_events").sum(),
            pl.col(schema.FIRST_SEEN).min(),
            pl.col(schema.LAST_SEEN).max(),
        )
        .rename({"_prefix": schema.SIGNAL_VALUE})
    )


def _ip_prefix(ip: pl.Expr, settings: Settings) -> pl.Expr:
    """The network of an IP: :func:`_ipv4_network` for IPv4, :func:`_ipv6_network` for IPv6."""
    v4 = _ipv4_network(ip, settings.ipv4_prefix)
    v6 = pl.when(ip.str.contains(":", literal=True)).then(ip)
    return (
        pl.when(v4.is_not_null())
        .then(v4)
        .otherwise(
            # Only the IPv6 rows reach Python: the others are null here and skipped.
            v6.map_elements(
                _ipv6_network(settings.ipv6_prefix), return_dtype=pl.String, skip_nulls=True
            )
        )
    )


def _ipv4_network(ip: pl.Expr, bits: int) -> pl.Expr:
    """The ``/bits`` network of a dotted-quad IPv4 address, null for anything else.

    The addresses were validated on load (no leading zeros, octets up to 255), so a prefix on
    an octet boundary is the address's first octets followed by zeros: one regex extraction,
    four times cheaper than parsing the octets and formatting the masked number (which other
    prefix lengths still do).

    Examples
    --------
    >>> ips = pl.DataFrame({"ip": ["10.1.2.3", "10.1.130.3", "::1"]})
    >>> ips.select(_ipv4_network(pl.col("ip"), 24)).to_series().to_list()
    ['10.1.2.0/24', '10.1.130.0/24', None]
    >>> ips.select(_ipv4_network(pl.col("ip"), 17)).to_series().to_list()
    ['10.1.0.0/17', '10.1.128.0/17', None]
    """
    if bits % 8 == 0:
        kept = bits // 8
        head = r"\.".join([r"\d{1,3}"] * kept)
        rest = r"\.\d{1,3}" * (4 - kept)
        return ip.str.extract(rf"^({head}){rest}$", 1) + pl.lit(".0" * (4 - kept) + f"/{bits}")
    octets = ip.str.extract_groups(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")
    parts = [octets.struct.field(str(i)).cast(pl.Int64) for i in (1, 2, 3, 4)]
    as_int = (parts[0] * 16777216) + (parts[1] * 65536) + (parts[2] * 256) + parts[3]
    masked = (as_int // (1 << (32 - bits))) * (1 << (32 - bits))
    return pl.format(
        "{}.{}.{}.{}/{}",
        masked // 16777216,
        (masked // 65536) % 256,
        (masked // 256) % 256,
        masked % 256,
        pl.lit(bits),
    )


def _ipv6_network(bits: int) -> Callable[[str], str | None]:
    """A function from an IPv6 address to its ``/bits`` network in canonical form.

    The socket module's C parser and printer are used where they give the same text as
    :mod:`ipaddress` (16 times faster): up to /80 the masked address cannot take the printer's
    IPv4-embedded form. Longer prefixes go through :mod:`ipaddress`.

    Examples
    --------
    >>> _ipv6_network(48)("2001:DB8:1:2::7"), _ipv6_network(48)("10.0.0.1")
    ('2001:db8:1::/48', None)
    """
    if bits > 80:

        def slow(value: str) -> str | None:
            try:
                net = ipaddress.ip_network(f"{value}/{bits}", strict=False)
            except ValueError:
                return None
            return str(net) if net.version == 6 else None

        return slow
    mask = ((1 << 128) - 1) ^ ((1 << (128 - bits)) - 1)
    suffix = f"/{bits}"

    def fast(value: str) -> str | None:
        try:
            packed = socket.inet_pton(socket.AF_INET6, value)
        except (OSError, ValueError):
            return None
        net = (int.from_bytes(packed, "big") & mask).to_bytes(16, "big")
        return socket.inet_ntop(socket.AF_INET6, net) + suffix

    return fast


def _seconds(activity: pl.DataFrame) -> tuple[int, int]:
    """The first and last second of the events: every event's timestamp is within its
    account's ``first_seen`` and ``last_seen`` (``(0, 0)`` when none has one)."""
    first, last = activity.select(
        pl.col(schema.FIRST_SEEN).min().dt.epoch("s"), pl.col(schema.LAST_SEEN).max().dt.epoch("s")
    ).row(0)
    return (first, last) if first is not None and last is not None else (0, 0)


def _sync_rate(n_events: int, n_types: int, settings: Settings) -> float:
    budget = settings.sync_token_budget
    if n_events * n_types <= budget:
        return 1.0
    return budget / (n_events * n_types)


def _sync_tokens(
    spool: pl.LazyFrame,
    col: str,
    settings: Settings,
    rate: float,
    shared: pl.Series,
    seconds: tuple[int, int],
) -> KeyedPart:
    """Tokens "value used within window w" on ``sync_offsets`` shifted grids.

    Only the ``shared`` values (used by two accounts or more) can make a shared token. Each
    is known by a 64-bit hash, distinct over them (:func:`_hashed_values`), so the events are
    filtered, sampled and grouped on integers. A token is one 64-bit key, ``_t``: the shared
    value's number times the windows of all grids, plus its grid's and window's place among
    them (:class:`_TokenGrid`, over ``seconds``, the first and last second of the events).
    Grouped and encoded on that key instead of three columns, the article preset's IP tokens
    took 6.6 s against 7.6-7.9 s (its prompt tokens 5.3 s either way). Tokens used by fewer than
    ``min_accounts_per_value`` accounts are dropped, and the tokens stay known by their key (a
    :class:`KeyedPart`) until they are encoded: the readable token (``value @ window start``)
    is formatted once per distinct token, not per event or per account. An unshared value
    whose hash equals a shared one's is told apart by a second, independent hash, so no token
    is made up; one is lost only when a single account uses both a shared value and another
    value with the same first hash.
    """
    grid = _TokenGrid.of(settings, seconds)
    seed, named = _hashed_values(shared)
    # Numbered in hash order: the same values get the same numbers in every run.
    named = (
        named.sort("_h")
        .with_row_index("_i")
        .with_columns(pl.col("_i").cast(pl.Int64), _check_hash(pl.col("_value")).alias("_c_shared"))
    )
    grid.check(named.height)
    base = (
        spool.select(ACCOUNT_KEY, schema.TIMESTAMP, pl.col(col).alias("_value"))
        .drop_nulls(["_value", schema.TIMESTAMP])
        .select(
            ACCOUNT_KEY,
            schema.TIMESTAMP,
            _value_hash(pl.col("_value"), seed),
            _check_hash(pl.col("_value")),
        )
        .join(named.lazy().select("_h", "_i"), on="_h")
    )
    epoch = pl.col(schema.TIMESTAMP).dt.epoch("s")
    frames = []
    for number in range(grid.grids):
        frame = base
        if rate < 1.0:
            # Sampled by token, so every account keeps the same tokens.
            threshold = int(rate * (2**64 - 1))
            token = pl.struct(
                pl.col("_h"),
                pl.lit(grid.shift(number), dtype=pl.Int64).alias("_shift"),
                grid.window(number, epoch).alias("_bucket"),
            )
            frame = frame.filter(token.hash(seed=settings.seed) <= threshold)
        frames.append(
            frame.select(
                pl.col(ACCOUNT_KEY),
                pl.col(schema.TIMESTAMP),
                pl.col("_c"),
                grid.key(pl.col("_i"), number, epoch).alias("_t"),
            )
        )
    tokens = pl.concat(frames, how="vertical")
    kept = (
        tokens.group_by(ACCOUNT_KEY, "_t")
        .agg(*_usage(), pl.col("_c").min().alias("_lo"), pl.col("_c").max().alias("_hi"))
        # A second, independent hash tells an unshared value whose first hash equals a shared
        # one's: its account's rows are dropped here, before they count as a user of the token.
        .with_columns(grid.value(pl.col("_t")).alias("_i"))
        .join(named.lazy().select("_i", "_c_shared"), on="_i")
        .filter((pl.col("_lo") == pl.col("_c_shared")) & (pl.col("_hi") == pl.col("_c_shared")))
        # Most tokens are one account's own hour: they link nobody and would be dropped when
        # encoded (min_accounts_per_value), so they are dropped here.
        .filter(pl.len().over("_t") >= settings.min_accounts_per_value)
        .select(ACCOUNT_KEY, "_t", *_USAGE_COLUMNS)
    )
    label = pl.format(
        "{} @ {}/{}m",
        pl.col("_value"),
        grid.start(pl.col("_t")).dt.strftime(grid.start_format),
        pl.lit(settings.sync_window_minutes),
    )
    names = named.lazy().select("_i", "_value")

    def name(keyed: pl.LazyFrame) -> pl.LazyFrame:
        return (
            keyed.with_columns(grid.value(pl.col("_t")).alias("_i"))
            .join(names, on="_i")
            .with_columns(label.alias(schema.SIGNAL_VALUE))
        )

    return KeyedPart(frame=kept, keys=("_t",), name=name)


@dataclass(frozen=True)
class _ShiftedGrids:
    """``grids`` grids of windows ``width`` seconds wide, grid ``g`` shifted by
    ``g * width // grids`` seconds, so that a window boundary of one grid does not split a
    burst: the synchrony tokens' and the sign-up bursts'."""

    width: int
    grids: int

    @property
    def start_format(self) -> str:
        """Windows of different grids start at different seconds; a label to the minute is
        only unique when every grid starts on a minute."""
        shifts = [self.shift(g) for g in range(self.grids)]
        return "%Y-%m-%dT%H:%M" if all(s % 60 == 0 for s in shifts) else "%Y-%m-%dT%H:%M:%S"

    def shift(self, number: int) -> int:
        return number * self.width // self.grids

    def window(self, number: int, epoch: pl.Expr) -> pl.Expr:
        """The number of the window of grid ``number`` that holds second ``epoch``."""
        return (epoch + self.shift(number)) // self.width

    def first_second(self, number: pl.Expr, window: pl.Expr) -> pl.Expr:
        """The first second of window ``window`` of grid ``number``, as a UTC datetime."""
        seconds = window * self.width - number * self.width // self.grids
        return (seconds * 1_000_000).cast(pl.Datetime("us", "UTC"))


@dataclass(frozen=True)
class _TokenGrid(_ShiftedGrids):
    """How a synchrony token (shared value, grid, window) is packed into one 64-bit key.

    The windows of each grid are numbered from the one holding ``first``, the earliest second
    of the events, to the one holding ``last``: ``span`` windows per grid. A token's key is
    ``value * grids * span + g * span + window``.
    """

    first_window: int
    span: int

    @classmethod
    def of(cls, settings: Settings, seconds: tuple[int, int]) -> _TokenGrid:
        width = settings.sync_window_minutes * 60
        first, last = seconds
        first_window = first // width
        # The most shifted grid's window of ``last`` is the highest-numbered one.
        span = (last + width) // width - first_window + 1
        return cls(width, settings.sync_offsets, first_window, span)

    def check(self, n_values: int) -> None:
        """Raise when ``n_values`` shared values' tokens would not fit in 63 bits."""
        if n_values * self.grids * self.span >= 2**63:
            raise SettingsError(
                f"{n_values:,} shared values over {self.span:,} windows on {self.grids} grids "
                "are too many synchrony tokens to number; raise sync_window_minutes or lower "
                "sync_offsets"
            )

    def key(self, value: pl.Expr, number: int, epoch: pl.Expr) -> pl.Expr:
        """The key of value number ``value``'s token on grid ``number`` at second ``epoch``."""
        window = self.window(number, epoch) - self.first_window
        return value * (self.grids * self.span) + (number * self.span) + window

    def value(self, key: pl.Expr) -> pl.Expr:
        """The shared value's number of a token key."""
        return key // (self.grids * self.span)

    def start(self, key: pl.Expr) -> pl.Expr:
        """The first second of a token's window, as a UTC datetime."""
        return self.first_second(
            (key // self.span) % self.grids, key % self.span + self.first_window
        )


def _value_hash(value: pl.Expr, seed: int) -> pl.Expr:
    """The 64-bit hash that stands for a shared value in the window tokens."""
    return value.hash(seed=seed).alias("_h")


#: Seed of the second hash that confirms a value's identity in the window tokens; unlike the
#: first, it is never chosen, so it differs from every seed in :data:`_KEY_SEEDS`.
_CHECK_SEED = 101


def _check_hash(value: pl.Expr) -> pl.Expr:
    """A second 64-bit hash of a value, independent of :func:`_value_hash`."""
    return value.hash(seed=_CHECK_SEED).alias("_c")


def _hashed_values(values: pl.Series) -> tuple[int, pl.DataFrame]:
    """The first seed of :data:`_KEY_SEEDS` under which the distinct ``values`` have distinct
    64-bit hashes, and the table ``_h, _value`` under it.

    Examples
    --------
    >>> seed, named = _hashed_values(pl.Series(["x", "y"]))
    >>> named.columns, named.height
    (['_h', '_value'], 2)
    """
    distinct = values.unique().drop_nulls()
    seed = _distinct_seed(distinct, _value_hash)
    if seed is None:
        raise RuntimeError(
            f"the {distinct.len():,} shared values collide under every hash seed tried"
        )
    named = distinct.to_frame("_value").select(_value_hash(pl.col("_value"), seed), "_value")
    return seed, named


def _edge_signals(
    edges: pl.LazyFrame, settings: Settings, seed: int
) -> list[tuple[str, pl.LazyFrame]]:
    typ = pl.col(schema.SIGNAL_TYPE).cast(pl.String).str.strip_chars()
    value = pl.col(schema.SIGNAL_VALUE).cast(pl.String).str.strip_chars()
    value = (
        pl.when(typ.is_in(list(schema.IP_COLUMNS))).then(value.str.to_lowercase()).otherwise(value)
    )
    grouped = (
        edges.select(
            _account_key(pl.col(schema.ACCOUNT_ID), seed),
            typ.alias(schema.SIGNAL_TYPE),
            value.alias(schema.SIGNAL_VALUE),
            pl.col(schema.COUNT),
            pl.col(schema.FIRST_SEEN),
            pl.col(schema.LAST_SEEN),
        )
        .drop_nulls([schema.SIGNAL_TYPE, schema.SIGNAL_VALUE])
        .group_by(ACCOUNT_KEY, schema.SIGNAL_TYPE, schema.SIGNAL_VALUE)
        .agg(
            pl.col(schema.COUNT).sum().cast(pl.Int64).alias("n_events"),
            pl.col(schema.FIRST_SEEN).min(),
            pl.col(schema.LAST_SEEN).max(),
        )
        .collect(engine="streaming")
    )
    out: list[tuple[str, pl.LazyFrame]] = []
    for (typ,), part in sorted(grouped.partition_by(schema.SIGNAL_TYPE, as_dict=True).items()):
        frame = part.drop(schema.SIGNAL_TYPE).lazy()
        out.append((str(typ), frame))
        if typ == "ip":
            out.append(("ip_prefix", _prefixes(frame, settings)))
    return out


def _account_signals(
    accounts: pl.LazyFrame, settings: Settings, seed: int
) -> tuple[list[tuple[str, pl.LazyFrame]], KeyedPart | None]:
    """The signals of the accounts table: cards, sign-up IPs and their networks, e-mail forms,
    and the sign-up bursts (known by integer keys, :func:`_signup_bursts`).

    Every derived value is computed in one pass over the accounts, collected once (a table of
    one row per account), and each type is then grouped from it: read separately, each type
    would read and validate the accounts file again (on the article preset's 2.02M accounts,
    5.1 s for the eight types against 8.3-8.7 s).
    """
    names = accounts.collect_schema().names()
    has_created = schema.CREATED_AT in names
    created = pl.col(schema.CREATED_AT) if has_created else pl.lit(None, dtype=schema.DATETIME)
    derived: list[tuple[str, pl.Expr]] = []
    for col in ("payment_fingerprint", "signup_ip", *settings.extra_signals):
        if col in names:
            derived.append((col, _normalise(pl.col(col), col)))
    if schema.EMAIL in names:
        # Normalised once, in a first step: each form below uses it several times over.
        email = pl.col("__email_normalised")
        derived.append(("email", _canonical_email(email)))
        derived.append(("email_domain", _email_domain(email)))
        derived.append(("email_stem", _email_stem(email)))
    burst_grid = _BurstGrid.of(settings)
    created_second = pl.col(schema.CREATED_AT).dt.epoch("s")
    windows = (
        [
            burst_grid.key(number, burst_grid.window(number, created_second)).alias(f"_w{number}")
            for number in range(burst_grid.grids)
        ]
        if has_created
        else []
    )
    if not derived and not windows:
        return [], None
    min_accounts = settings.min_accounts_per_value
    table = (
        accounts.with_columns(
            (
                _normalise(pl.col(schema.EMAIL), "email")
                if schema.EMAIL in names
                else pl.lit(None, dtype=pl.String)
            ).alias("__email_normalised")
        )
        .select(
            _account_key(pl.col(schema.ACCOUNT_ID), seed),
            created.alias(schema.FIRST_SEEN),
            *[expr.alias(f"_d{i}") for i, (_, expr) in enumerate(derived)],
            *windows,
        )
        .collect(engine="streaming")
        .lazy()
    )

    def one(column: str, *, shared: bool = True) -> pl.LazyFrame:
        rows = table.select(
            ACCOUNT_KEY, pl.col(column).alias(schema.SIGNAL_VALUE), schema.FIRST_SEEN
        ).drop_nulls(schema.SIGNAL_VALUE)
        if shared:
            # A value on fewer rows than min_accounts_per_value has fewer accounts and would
            # be dropped when encoded: most cards, sign-up IPs and mailboxes are one
            # account's, so grouping and encoding them is most of the work saved.
            rows = rows.filter(pl.len().over(schema.SIGNAL_VALUE) >= min_accounts)
        return rows.group_by(ACCOUNT_KEY, schema.SIGNAL_VALUE).agg(
            pl.len().cast(pl.Int64).alias("n_events"),
            pl.col(schema.FIRST_SEEN).min(),
            pl.col(schema.FIRST_SEEN).max().alias(schema.LAST_SEEN),
        )

    out: list[tuple[str, pl.LazyFrame]] = []
    for i, (typ, _) in enumerate(derived):
        out.append((typ, one(f"_d{i}")))
        if typ == "signup_ip":
            # Prefixes need every sign-up IP, shared or not.
            out.append(("ip_prefix", _prefixes(one(f"_d{i}", shared=False), settings)))
    if not windows:
        return out, None
    # A burst's key holds its grid, so grouping each grid apart groups them all.
    bursts = pl.concat([one(f"_w{n}") for n in range(burst_grid.grids)], how="vertical")
    return out, _signup_bursts(bursts.rename({schema.SIGNAL_VALUE: "_t"}), burst_grid, settings)


def _signup_bursts(frame: pl.LazyFrame, grid: _BurstGrid, settings: Settings) -> KeyedPart:
    """Sign-up bursts: the accounts created in one window of ``signup_burst_minutes``, on
    ``sync_offsets`` shifted grids, known by one integer key per (grid, window) until they are
    encoded, like the synchrony tokens. ``frame`` has one row per (account, key) in ``_t``,
    with the usage columns. A label was formatted per account and grid, then grouped and
    encoded; now the integers are, and only the windows two accounts share are named. The
    article preset's accounts-table signals, built and encoded alone, two runs alternated:
    7.49 and 7.53 s against 8.50 and 8.47 s.
    """
    label = pl.format(
        "{}/{}m",
        grid.start(pl.col("_t")).dt.strftime(grid.start_format),
        pl.lit(settings.signup_burst_minutes),
    )

    def name(keyed: pl.LazyFrame) -> pl.LazyFrame:
        return keyed.with_columns(label.alias(schema.SIGNAL_VALUE))

    return KeyedPart(frame=frame, keys=("_t",), name=name)


@dataclass(frozen=True)
class _BurstGrid(_ShiftedGrids):
    """How a sign-up burst (grid, window) is one integer key: ``window * grids + grid``."""

    @classmethod
    def of(cls, settings: Settings) -> _BurstGrid:
        return cls(settings.signup_burst_minutes * 60, settings.sync_offsets)

    def key(self, number: int, window: pl.Expr) -> pl.Expr:
        return window * self.grids + number

    def start(self, key: pl.Expr) -> pl.Expr:
        """The first second of a burst's window, as a UTC datetime."""
        return self.first_second(key % self.grids, key // self.grids)


def _email_parts(email: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The local part and the domain of a validated address (exactly one ``@``).

    Splitting at the ``@`` is two to three times cheaper than extracting either side with a
    regex.
    """
    parts = email.str.split_exact("@", 1)
    return parts.struct.field("field_0"), parts.struct.field("field_1")


def _email_domain(email: pl.Expr) -> pl.Expr:
    return _email_parts(email)[1]


def _canonical_email(email: pl.Expr) -> pl.Expr:
    """The mailbox an address delivers to: ``+tags`` removed, and for Gmail the dots of the
    local part and the ``googlemail.com`` alias."""
    local, domain = _email_parts(email)
    local = local.str.split_exact("+", 1).struct.field("field_0")
    gmail = domain.is_in(["gmail.com", "googlemail.com"])
    local = pl.when(gmail).then(local.str.replace_all(".", "", literal=True)).otherwise(local)
    domain = pl.when(gmail).then(pl.lit("gmail.com")).otherwise(domain)
    return pl.when(local.is_not_null() & domain.is_not_null()).then(
        pl.concat_str(local, pl.lit("@"), domain)
    )


def _email_stem(email: pl.Expr) -> pl.Expr:
    """Letters of the local part (before any ``+tag``): the template of a name+digits
    generator."""
    local, domain = _email_parts(email)
    stem = local.str.split_exact("+", 1).struct.field("field_0").str.replace_all(r"[^a-z]", "")
    return pl.when(stem.str.len_chars() >= 3).then(pl.concat_str(stem, pl.lit("@"), domain))
