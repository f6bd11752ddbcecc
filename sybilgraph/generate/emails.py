"""E-mail addresses: ordinary people's, institutions', and account farms' generators.

All functions build whole columns at once with polars string expressions.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from sybilgraph.generate import vocab
from sybilgraph.generate.values import I64

__all__ = [
    "disposable_emails",
    "gmail_variants",
    "name_digit_emails",
    "normalise",
    "person_emails",
    "take",
    "unique_emails",
]

_FIRST: Final = pl.Series(vocab.FIRST_NAMES)
_LAST: Final = pl.Series(vocab.LAST_NAMES)
_WEBMAIL: Final = pl.Series([d for d, _ in vocab.WEBMAIL_DOMAINS])
_WEBMAIL_CDF: Final = np.cumsum([w for _, w in vocab.WEBMAIL_DOMAINS]) / sum(
    w for _, w in vocab.WEBMAIL_DOMAINS
)
_COUNTRY_CODES: Final = [c for c, _, _ in vocab.COUNTRIES]
_ALNUM: Final = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))
_GMAIL: Final = ("gmail.com", "googlemail.com")


def take(table: pl.Series, idx: npt.NDArray[np.integer]) -> pl.Series:
    """The entries of ``table`` at the given positions."""
    return table.gather(pl.Series(np.asarray(idx, dtype=np.int64)))


def _digits(rng: np.random.Generator, n: int, lo: int, hi: int) -> pl.Series:
    return pl.Series(rng.integers(lo, hi, n)).cast(pl.String)


def webmail_domains(rng: np.random.Generator, country: I64, local_share: float = 0.3) -> pl.Series:
    """A webmail domain per person; a share of people in some countries use a local provider."""
    n = len(country)
    idx = np.minimum(np.searchsorted(_WEBMAIL_CDF, rng.random(n), side="right"), len(_WEBMAIL) - 1)
    out = take(_WEBMAIL, idx)
    u = rng.random(n)
    for code, domains in vocab.LOCAL_DOMAINS.items():
        if code not in _COUNTRY_CODES:
            continue
        rows = np.flatnonzero((country == _COUNTRY_CODES.index(code)) & (u < local_share))
        if len(rows):
            local = pl.Series(domains)
            out = out.scatter(rows, take(local, rng.integers(0, len(domains), len(rows))))
    return out


def local_parts(
    rng: np.random.Generator, first: npt.NDArray[np.integer], last: npt.NDArray[np.integer]
) -> pl.Series:
    """How people spell themselves: ``jane.doe``, ``janedoe84``, ``jdoe213``, ``jane_doe``..."""
    n = len(first)
    f, last_name = take(_FIRST, first), take(_LAST, last)
    initial = f.str.slice(0, 1)
    year = _digits(rng, n, 1962, 2007)
    two = _digits(rng, n, 1, 100)
    three = _digits(rng, n, 100, 1000)
    forms = [
        pl.concat_str([f, last_name], separator="."),
        pl.concat_str([f, last_name]),
        pl.concat_str([f, pl.lit("."), last_name, two]),
        pl.concat_str([initial, last_name, three]),
        pl.concat_str([f, year]),
        pl.concat_str([f, last_name], separator="_"),
        pl.concat_str([last_name, f], separator="."),
        pl.concat_str([f, last_name.str.slice(0, 1), two]),
        pl.concat_str([f, last_name, year.str.slice(2, 2)]),
    ]
    style = pl.Series(
        rng.choice(len(forms), n, p=[0.2, 0.12, 0.12, 0.1, 0.1, 0.06, 0.05, 0.1, 0.15])
    )
    chosen = pl.select(pl.concat_list(forms).list.get(pl.lit(style))).to_series()
    return chosen


def person_emails(rng: np.random.Generator, country: I64) -> pl.Series:
    """Ordinary people's addresses on webmail providers."""
    n = len(country)
    first = rng.integers(0, len(_FIRST), n)
    last = rng.integers(0, len(_LAST), n)
    return at(local_parts(rng, first, last), webmail_domains(rng, country))


def at(local: pl.Series, domain: pl.Series | str) -> pl.Series:
    """``local@domain``, column-wise."""
    dom = pl.lit(domain) if isinstance(domain, str) else domain
    return pl.select(pl.concat_str([local, dom], separator="@")).to_series().alias("email")


def name_digit_emails(rng: np.random.Generator, n: int) -> pl.Series:
    """A farm's generator: first name + last name + 3-4 digits on big webmails."""
    f = take(_FIRST, rng.integers(0, len(_FIRST), n))
    last = take(_LAST, rng.integers(0, len(_LAST), n))
    local = pl.select(pl.concat_str([f, last, _digits(rng, n, 100, 10_000)])).to_series()
    domains = pl.Series(["gmail.com", "outlook.com", "hotmail.com", "yahoo.com"])
    return at(local, take(domains, rng.choice(4, n, p=[0.6, 0.2, 0.1, 0.1])))


def gmail_variants(rng: np.random.Generator, n: int, n_bases: int) -> pl.Series:
    """Dot and ``+tag`` variants of a few base Gmail mailboxes: one inbox, many accounts."""
    bases = person_like_locals(rng, n_bases)
    width = max(len(b) for b in bases)
    chars = np.full((n_bases, width), "", dtype="<U1")
    for i, b in enumerate(bases):  # a handful of mailboxes, not one per account
        chars[i, : len(b)] = list(b)
    lengths = np.array([len(b) for b in bases])
    base = rng.integers(0, n_bases, n)
    dots = (rng.random((n, width)) < 0.08) & (np.arange(width) < lengths[base, None] - 1)
    spread = np.full((n, 2 * width), "", dtype="<U1")
    spread[:, 0::2] = chars[base]
    spread[:, 1::2] = np.where(dots, ".", "")
    # Empty cells become NUL characters in the fixed-width view; drop them.
    joined = np.ascontiguousarray(spread).view(f"<U{2 * width}").ravel()
    local = pl.Series(joined).str.replace_all("\x00", "", literal=True)
    tag = pl.concat_str([pl.lit("+"), pl.Series(_random_words(rng, n, 2, 5))])
    local = pl.select(
        pl.when(pl.Series(rng.random(n) < 0.5)).then(pl.concat_str([local, tag])).otherwise(local)
    ).to_series()
    return at(_distinct_variants(local), "gmail.com")


def _distinct_variants(local: pl.Series) -> pl.Series:
    """Give repeated variants a numbered ``+tag`` (``+2``, ``+3``...), as a farm must when the
    provider says an address is taken: each address differs, the mailbox stays the same.

    Examples
    --------
    >>> _distinct_variants(pl.Series(["ab", "ab", "ab+x", "ab+x", "c"])).to_list()
    ['ab', 'ab+2', 'ab+x', 'ab+x2', 'c']
    """
    frame = pl.DataFrame({"local": local})
    for _ in range(50):
        nth = pl.int_range(pl.len()).over("local")
        if frame.select(nth.max()).item() == 0:
            return frame["local"]
        number = (nth + 1).cast(pl.String)
        frame = frame.select(
            pl.when(nth == 0)
            .then(pl.col("local"))
            .when(pl.col("local").str.contains("+", literal=True))
            .then(pl.concat_str([pl.col("local"), number]))
            .otherwise(pl.concat_str([pl.col("local"), pl.lit("+"), number]))
            .alias("local")
        )
    raise AssertionError("could not make e-mail variants distinct")


def person_like_locals(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` plausible mailbox names (first + last + digits)."""
    f = rng.integers(0, len(_FIRST), n)
    last = rng.integers(0, len(_LAST), n)
    nums = rng.integers(10, 1000, n)
    return [
        f"{_FIRST[int(a)]}{_LAST[int(b)]}{int(c)}" for a, b, c in zip(f, last, nums, strict=True)
    ]


def _random_words(rng: np.random.Generator, n: int, lo: int, hi: int) -> npt.NDArray[np.str_]:
    """Random lowercase alphanumeric strings of length lo..hi-1."""
    chars = _ALNUM[rng.integers(0, len(_ALNUM), (n, hi - 1))]
    keep = np.arange(hi - 1) < rng.integers(lo, hi, n)[:, None]
    chars = np.where(keep, chars, "")
    joined = np.ascontiguousarray(chars.astype("<U1")).view(f"<U{hi - 1}").ravel()
    return np.char.replace(joined, "\x00", "")


def disposable_emails(rng: np.random.Generator, n: int) -> pl.Series:
    """Random local parts on throwaway-mail domains."""
    local = pl.Series(_random_words(rng, n, 8, 13))
    domains = pl.Series(vocab.DISPOSABLE_DOMAINS)
    return at(local, take(domains, rng.integers(0, len(domains), n)))


def normalise(emails: pl.Series) -> pl.Series:
    """The mailbox an address delivers to: lower case, no ``+tag``, no dots on Gmail.

    Examples
    --------
    >>> normalise(pl.Series(["J.Doe+x@Gmail.com", "j.doe@yahoo.com"])).to_list()
    ['jdoe@gmail.com', 'j.doe@yahoo.com']
    """
    e = emails.str.to_lowercase()
    local = e.str.extract(r"^([^@+]*)", 1)
    domain = e.str.extract(r"@(.*)$", 1)
    is_gmail = domain.is_in(list(_GMAIL))
    local = pl.select(
        pl.when(is_gmail).then(local.str.replace_all(".", "", literal=True)).otherwise(local)
    ).to_series()
    domain = pl.select(pl.when(is_gmail).then(pl.lit("gmail.com")).otherwise(domain)).to_series()
    return pl.select(pl.concat_str([local, domain], separator="@")).to_series()


def unique_emails(
    rng: np.random.Generator, emails: pl.Series, farmed: npt.NDArray[np.bool_]
) -> pl.Series:
    """Make addresses distinct: no two people share a mailbox, and no person shares one with
    a farm; farmed addresses only need to differ as strings (their shared mailboxes are the
    point).

    Collisions get a few digits appended to the local part until none is left.
    """
    farmed_s = pl.Series(farmed)
    for _ in range(50):
        key = pl.select(
            pl.when(farmed_s).then(emails.str.to_lowercase()).otherwise(normalise(emails))
        ).to_series()
        farm_boxes = normalise(emails.filter(farmed_s))
        clash = ~key.is_first_distinct() | (~farmed_s & key.is_in(farm_boxes.implode()))
        # The first holder of a farmed mailbox keeps it; people lose a clash with a farm.
        rows = np.flatnonzero(clash.to_numpy())
        if len(rows) == 0:
            return emails
        sub = emails.gather(pl.Series(rows))
        # Digits go before any +tag, which normalisation would otherwise strip with them.
        local = sub.str.extract(r"^([^@+]*)", 1)
        domain = sub.str.extract(r"@(.*)$", 1)
        fixed = pl.select(
            pl.concat_str([local, _digits(rng, len(rows), 1, 1000), pl.lit("@"), domain])
        ).to_series()
        emails = emails.scatter(rows, fixed)
    raise AssertionError("could not make e-mail addresses unique")
