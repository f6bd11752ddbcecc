"""The one settings object that carries every threshold of the pipeline.

:class:`Settings` is a frozen dataclass. Each field documents its default and why; it is built
from keyword arguments, a dict or a TOML file, validated on construction, and written back into
every run's ``summary.json`` so that a finding can be reproduced exactly.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from sybilgraph.errors import SettingsError

__all__ = ["DEFAULT_TYPE_PRIORS", "Settings"]

#: Prior weight of one shared value of each signal type, before rarity weighting. Payment
#: instruments and devices are hard to share by accident; IPs are shared by NAT and carriers;
#: user agents and system prompts are shared by every user of one SDK; an e-mail domain is
#: shared by every customer of a mail provider, disposable ones included.
DEFAULT_TYPE_PRIORS: Mapping[str, float] = MappingProxyType(
    {
        "payment_fingerprint": 1.0,
        "device_id": 1.0,
        "email": 1.0,
        "email_stem": 0.5,
        "email_domain": 0.2,
        "prompt_fingerprint": 0.8,
        "system_prompt_hash": 0.8,
        "ip": 0.6,
        "ip_prefix": 0.3,
        "ip_window": 0.6,
        "signup_ip": 0.6,
        "user_agent": 0.4,
        "signup_burst": 0.5,
        "prompt_window": 0.6,
    }
)


def _field(default: Any, help: str, **kw: Any) -> Any:
    if isinstance(default, (dict, MappingProxyType)):
        frozen = MappingProxyType(dict(default))
        return dataclasses.field(default_factory=lambda: frozen, metadata={"help": help}, **kw)
    return dataclasses.field(default=default, metadata={"help": help}, **kw)


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every tunable of a sybilgraph run, with its documented default.

    Build it from keywords, a dict (:meth:`from_dict`) or a TOML file (:meth:`from_toml`);
    unknown names and values of the wrong type or range raise :class:`SettingsError`.

    Examples
    --------
    >>> s = Settings(seed=7, columns={"client_ip": "ip"})
    >>> s.seed, s.columns["client_ip"]
    (7, 'ip')
    >>> Settings.from_dict(s.to_dict()) == s
    True
    """

    # -- run --------------------------------------------------------------------------------
    seed: int = _field(42, "Seed of every random step (Leiden, sampling); same seed, same output.")
    memory_limit_mb: int = _field(
        0,
        "Memory budget in MiB of the pair-scoring (link) stage, the one whose tables grow "
        "fastest: it scores accounts in chunks sized to fit. 0 sizes chunks for "
        "about 2 GiB.",
    )

    # -- load -------------------------------------------------------------------------------
    columns: Mapping[str, str] = _field(
        {},
        "Map from the input's column names to the contract's (e.g. client_ip = 'ip').",
    )
    extra_signals: tuple[str, ...] = _field(
        (),
        "Further string columns to treat as signals, each as its own signal type.",
    )

    # -- signals ----------------------------------------------------------------------------
    ipv4_prefix: int = _field(24, "Prefix length of the derived IPv4 network signal.")
    ipv6_prefix: int = _field(48, "Prefix length of the derived IPv6 network signal.")
    sync_window_minutes: int = _field(
        60,
        "Width of the time window of synchrony tokens (a value used within one window).",
    )
    sync_offsets: int = _field(
        2,
        "Number of offset grids of the synchrony windows, so that a window boundary "
        "does not split a burst.",
    )
    sync_types: tuple[str, ...] = _field(
        ("ip", "prompt_fingerprint"),
        "Signal types from which time-bucketed synchrony tokens are derived.",
    )
    sync_token_budget: int = _field(
        20_000_000,
        "Most (event, synchrony grid) pairs turned into synchrony tokens; beyond it tokens are "
        "sampled consistently by hash, so every account keeps the same tokens.",
    )
    signup_burst_minutes: int = _field(
        10,
        "Width of the sign-up burst window over accounts.created_at.",
    )

    # -- weigh ------------------------------------------------------------------------------
    type_priors: Mapping[str, float] = _field(
        DEFAULT_TYPE_PRIORS,
        "Prior weight of one shared value per signal type; types not listed get default_prior.",
    )
    default_prior: float = _field(0.6, "Prior of signal types not named in type_priors.")
    min_accounts_per_value: int = _field(
        2, "A value seen on fewer accounts links nothing and is dropped."
    )
    max_value_share: float = _field(
        0.05,
        "Values used by more than this share of all accounts carry no linking weight "
        "(they stay in the evidence tables).",
    )
    org_discount: float = _field(
        0.1,
        "Multiplier of the weight of a value shared by accounts of one declared org_id.",
    )

    # -- link / cluster ---------------------------------------------------------------------
    hub_degree: int = _field(
        64,
        "Values shared by more accounts than this are linked through a sparse k-nearest "
        "ring instead of all pairs, so memory stays linear in the value's degree.",
    )
    hub_neighbours: int = _field(8, "Neighbours per account in the sparse ring of a hub value.")
    min_pair_weight: float = _field(
        1.0,
        "Account pairs whose summed evidence weight is below this are not linked.",
    )
    attach_pair_weight: float = _field(
        1.0,
        "Pairs weaker than min_pair_weight but at least this strong (with min_pair_types "
        "families) cannot form or merge groups; they only attach a lone account to the "
        "cluster it is most linked to. Lower it (e.g. 0.8) to trade precision for recall on "
        "camouflaged members; at min_pair_weight it is off.",
    )
    min_pair_types: int = _field(
        2,
        "Account pairs linked by fewer independent evidence families are not linked.",
    )
    resolution: float = _field(
        0.05,
        "CPM resolution of the sub-group (second-level) Leiden partition.",
    )
    merge_weight: float = _field(
        0.32,
        "Sub-groups are merged into one operation-level cluster when the pair weight between "
        "them is at least this much per account of the smaller sub-group (and see merge_links).",
    )
    merge_links: int = _field(
        3,
        "Sub-groups are merged only when at least this many distinct strong account pairs "
        "join them, so one coincidental pair cannot weld two groups.",
    )
    leiden_pairs: int = _field(
        64,
        "Leiden sees each account's this many strongest pairs (the union over accounts), "
        "0 every strong pair; merging and attaching still use every pair.",
    )
    leiden_iterations: int = _field(
        2,
        "Leiden iterations; negative runs until the partition is stable (slower, and on "
        "the generator's presets it only moves a few accounts between sub-groups: "
        "docs/method.md).",
    )

    expand_min_burst: int = _field(
        3,
        "A lone account joins a cluster with load-balanced volume when it was created in the "
        "same sign-up window as at least this many members and its volume is in the "
        "cluster's band; 0 turns this off.",
    )
    expand_max_spread: float = _field(
        0.25,
        "A cluster's volume band is used only when its interquartile range of events per "
        "account is at most this share of the median (load balancing).",
    )

    # -- score ------------------------------------------------------------------------------
    min_cluster_size: int = _field(3, "Smallest group of accounts reported as a cluster.")
    household_size: float = _field(
        6.0,
        "Scale of the size factor 1 - exp(-(n - 1) / household_size) of a cluster's score: "
        "groups of a few accounts sharing a card and an IP are usually a household.",
    )
    review_threshold: float = _field(
        0.32,
        "Clusters with a score at or above this are flagged for review (calibrated on the "
        "sample scenario, checked on three medium scenarios; see docs/evaluation.md).",
    )
    evidence_per_cluster: int = _field(
        50, "Shared values listed per cluster in evidence.csv, rarest first."
    )

    _MAPPINGS: ClassVar[tuple[str, ...]] = ("columns", "type_priors")
    _TUPLES: ClassVar[tuple[str, ...]] = ("extra_signals", "sync_types")

    def __post_init__(self) -> None:
        errors: list[str] = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in self._MAPPINGS:
                if not isinstance(value, Mapping):
                    errors.append(_bad(f.name, "a table of names", value))
                    continue
                object.__setattr__(self, f.name, MappingProxyType(dict(value)))
            elif f.name in self._TUPLES:
                if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                    errors.append(_bad(f.name, "a list of strings", value))
                    continue
                object.__setattr__(self, f.name, tuple(value))
            elif f.type in ("int", int):
                if isinstance(value, bool) or not isinstance(value, int):
                    errors.append(_bad(f.name, "an int", value))
            elif f.type in ("float", float):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    errors.append(_bad(f.name, "a float", value))
                elif not math.isfinite(value):
                    errors.append(_bad(f.name, "a finite float", value))
                else:
                    object.__setattr__(self, f.name, float(value))
        if not errors:
            errors.extend(self._range_errors())
        if errors:
            raise SettingsError("; ".join(errors))

    def _range_errors(self) -> list[str]:
        checks: list[tuple[str, bool, str]] = [
            ("ipv4_prefix", 8 <= self.ipv4_prefix <= 32, "an int in [8, 32]"),
            ("ipv6_prefix", 16 <= self.ipv6_prefix <= 128, "an int in [16, 128]"),
            ("sync_window_minutes", self.sync_window_minutes > 0, "an int > 0"),
            ("sync_offsets", self.sync_offsets >= 1, "an int >= 1"),
            ("signup_burst_minutes", self.signup_burst_minutes > 0, "an int > 0"),
            ("sync_token_budget", self.sync_token_budget > 0, "an int > 0"),
            ("memory_limit_mb", self.memory_limit_mb >= 0, "an int >= 0 (0: default)"),
            ("default_prior", self.default_prior >= 0, "a float >= 0"),
            ("min_accounts_per_value", self.min_accounts_per_value >= 2, "an int >= 2"),
            ("max_value_share", 0 < self.max_value_share <= 1, "a float in (0, 1]"),
            ("org_discount", 0 <= self.org_discount <= 1, "a float in [0, 1]"),
            ("hub_degree", self.hub_degree >= 2, "an int >= 2"),
            ("hub_neighbours", self.hub_neighbours >= 1, "an int >= 1"),
            ("min_pair_weight", self.min_pair_weight >= 0, "a float >= 0"),
            ("attach_pair_weight", self.attach_pair_weight >= 0, "a float >= 0"),
            ("min_pair_types", self.min_pair_types >= 1, "an int >= 1"),
            ("resolution", self.resolution > 0, "a float > 0"),
            ("merge_weight", self.merge_weight >= 0, "a float >= 0"),
            ("merge_links", self.merge_links >= 1, "an int >= 1"),
            ("leiden_pairs", self.leiden_pairs >= 0, "an int >= 0 (0: every pair)"),
            ("expand_min_burst", self.expand_min_burst >= 0, "an int >= 0"),
            ("expand_max_spread", self.expand_max_spread >= 0, "a float >= 0"),
            ("min_cluster_size", self.min_cluster_size >= 2, "an int >= 2"),
            ("review_threshold", 0 <= self.review_threshold <= 1, "a float in [0, 1]"),
            ("household_size", self.household_size > 0, "a float > 0"),
            ("evidence_per_cluster", self.evidence_per_cluster >= 1, "an int >= 1"),
        ]
        errors = [_bad(name, want, getattr(self, name)) for name, ok, want in checks if not ok]
        for name, prior in self.type_priors.items():
            if isinstance(prior, bool) or not isinstance(prior, (int, float)) or prior < 0:
                errors.append(_bad(f"type_priors.{name}", "a float >= 0", prior))
        for source, target in self.columns.items():
            if not isinstance(source, str) or not isinstance(target, str) or not target:
                errors.append(_bad(f"columns.{source}", "a column name", target))
        return errors

    # -- construction and round trip ------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """Build settings from a mapping, rejecting unknown names.

        Examples
        --------
        >>> Settings.from_dict({"review_threshold": 0.7}).review_threshold
        0.7
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(
                f"Unknown setting(s) {', '.join(map(repr, unknown))}. "
                f"Known settings: {', '.join(sorted(known))}."
            )
        values = dict(data)
        for name in cls._TUPLES:
            if name in values and isinstance(values[name], list):
                values[name] = tuple(values[name])
        return cls(**values)

    @classmethod
    def from_toml(cls, path: str | Path) -> Settings:
        """Read settings from a TOML file; a ``[columns]`` table maps column names.

        Examples
        --------
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = os.path.join(d, "s.toml")
        ...     _ = open(p, "w").write('seed = 3\\n[columns]\\nclient_ip = "ip"\\n')
        ...     Settings.from_toml(p).columns["client_ip"]
        'ip'
        """
        path = Path(path)
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except OSError as err:
            raise SettingsError(f"{path}: cannot read settings file ({err.strerror})") from None
        except tomllib.TOMLDecodeError as err:
            raise SettingsError(f"{path}: not valid TOML ({err})") from None
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some settings changed (validated like the original).

        Examples
        --------
        >>> Settings().replace(seed=1).seed
        1
        """
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON- and TOML-friendly dict of every setting.

        Examples
        --------
        >>> Settings().to_dict()["seed"]
        42
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                value = dict(sorted(value.items()))
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def to_toml(self) -> str:
        """Render the settings as a TOML document that :meth:`from_toml` reads back.

        Examples
        --------
        >>> "seed = 42" in Settings().to_toml()
        True
        """
        scalars: list[str] = []
        tables: list[str] = []
        for name, value in self.to_dict().items():
            if isinstance(value, dict):
                body = "\n".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
                tables.append(f"[{name}]\n{body}".rstrip())
            else:
                scalars.append(f"{name} = {_toml_value(value)}")
        return "\n".join(scalars) + "\n\n" + "\n\n".join(tables) + "\n"

    @classmethod
    def help(cls) -> dict[str, str]:
        """Name → one-line description of every setting.

        Examples
        --------
        >>> "seed" in Settings.help()
        True
        """
        return {f.name: f.metadata["help"] for f in dataclasses.fields(cls)}

    #: Bytes of the link stage per candidate slot of one chunk: the partner id, weight and
    #: family count written for each slot (13), rounded up for the compaction that follows.
    LINK_BYTES_PER_ROW: ClassVar[int] = 16

    def link_partition_rows(self) -> int:
        """Candidate slots the link stage holds at once under ``memory_limit_mb``.

        Examples
        --------
        >>> Settings(memory_limit_mb=1000).link_partition_rows()
        65536000
        """
        budget_mb = self.memory_limit_mb or 2048
        return max(100_000, budget_mb * 1024 * 1024 // self.LINK_BYTES_PER_ROW)

    def prior(self, signal_type: str) -> float:
        """Prior weight of one shared value of ``signal_type``.

        Examples
        --------
        >>> Settings().prior("payment_fingerprint")
        1.0
        """
        base = signal_type.split(":", 1)[0]
        return float(
            self.type_priors.get(signal_type, self.type_priors.get(base, self.default_prior))
        )


def _bad(name: str, want: str, got: Any) -> str:
    return f"The {name!r} setting must be {want}. Got {got!r} instead."


def _toml_key(key: str) -> str:
    if key.replace("_", "").replace("-", "").isalnum():
        return key
    return _toml_value(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot render {value!r} as TOML")
