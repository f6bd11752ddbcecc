"""Vectorised building blocks: seeded streams, value codes, pools, and their string forms.

Every value the generator invents (IPs, cards, devices, prompt and system-prompt hashes) is a
``uint64`` code while events are drawn, and becomes a string only when a block is written:
strings are built column-wise with polars, never row by row.

IP codes: a code below 2**32 is an IPv4 address. A code with the top bit set is an IPv6
address: 3 bits choose a routing prefix, three 16-bit groups follow (so the /48 is the first
three groups), and the interface part is derived by mixing the code; a second flag bit gives a
server-style address ending in ``::n``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from sybilgraph.generate import vocab

__all__ = [
    "Pool",
    "Zipf",
    "apportion",
    "format_ips",
    "hex64",
    "ipv4_codes",
    "ipv6_codes",
    "random_codes",
    "stream",
]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

V6_FLAG: Final = np.uint64(1 << 63)
V6_SERVER: Final = np.uint64(1 << 62)
_LOW16: Final = np.uint64(0xFFFF)


def stream(seed: int, *keys: str | int) -> np.random.Generator:
    """An independent random stream for one purpose, fixed by the seed and the keys.

    Keys name the purpose (``"benign"``, ``"day", 3``), so adding a population or a day does
    not shift the draws of the others.

    Examples
    --------
    >>> a = stream(7, "benign").integers(1000)
    >>> b = stream(7, "benign").integers(1000)
    >>> bool(a == b)
    True
    """
    words = [seed & 0xFFFFFFFF, seed >> 32]
    for key in keys:
        words.append(zlib.crc32(key.encode()) if isinstance(key, str) else int(key) & 0xFFFFFFFF)
    return np.random.default_rng(np.random.SeedSequence(words))


def random_codes(rng: np.random.Generator, n: int) -> U64:
    """``n`` random nonzero 64-bit codes (0 is reserved for "no value")."""
    codes = rng.integers(1, np.iinfo(np.int64).max, size=n, dtype=np.int64)
    return codes.astype(np.uint64) | np.uint64(1 << 63) * rng.integers(0, 2, n).astype(np.uint64)


def _mix(x: U64) -> U64:
    """SplitMix64 finaliser: a cheap, well-spread hash of 64-bit codes."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hex64(codes: U64, nulls: npt.NDArray[np.bool_] | None = None) -> pl.Series:
    """16-character lowercase hex strings of 64-bit codes; ``nulls`` marks missing values.

    Examples
    --------
    >>> hex64(np.array([1, 255], dtype=np.uint64)).to_list()
    ['0000000000000001', '00000000000000ff']
    """
    # Fixed-width binary through Arrow: numpy's "S8" would drop trailing zero bytes.
    big_endian = np.ascontiguousarray(np.asarray(codes, dtype=np.uint64).astype(">u8"))
    raw = pa.Array.from_buffers(pa.binary(8), len(big_endian), [None, pa.py_buffer(big_endian)])
    binary = pl.Series(pl.from_arrow(raw)).cast(pl.Binary)
    out = binary.bin.encode("hex")
    if nulls is not None and nulls.any():
        out = out.scatter(np.flatnonzero(nulls), None)
    return out


def ipv4_codes(rng: np.random.Generator, n: int, first_octets: tuple[int, ...]) -> U64:
    """``n`` IPv4 addresses with first octets drawn from the list, host part random."""
    first = np.asarray(first_octets, dtype=np.uint64)[rng.integers(0, len(first_octets), n)]
    middle = rng.integers(0, 1 << 16, n).astype(np.uint64)
    last = rng.integers(1, 255, n).astype(np.uint64)
    return (first << np.uint64(24)) | (middle << np.uint64(8)) | last


def subnet_hosts(rng: np.random.Generator, subnets: U64, n: int) -> U64:
    """``n`` distinct-as-possible host addresses spread over the given /24 network codes."""
    net = subnets[np.arange(n) % len(subnets)]
    hosts = rng.permutation(np.arange(2, 254, dtype=np.uint64))
    host = hosts[(np.arange(n) // len(subnets)) % len(hosts)]
    out: U64 = net | host
    return out


def ipv6_codes(
    rng: np.random.Generator, n: int, *, prefix: int | None = None, server: bool = False
) -> U64:
    """``n`` IPv6 address codes; ``prefix`` fixes the routing prefix and first two groups."""
    body = rng.integers(0, 1 << 62, n, dtype=np.int64).astype(np.uint64)
    if prefix is not None:
        keep = np.uint64((1 << 27) - 1)  # the third group and the host bits stay random
        body = (np.uint64(prefix) & ~keep) | (body & keep)
    code = body | V6_FLAG
    return code | V6_SERVER if server else code


def _nonzero16(x: U64) -> U64:
    return (x % np.uint64(0xFFFF)) + np.uint64(1)


_DEC: Final = pl.Series([str(i) for i in range(256)])
_HEX16: Final = pl.Series([f"{i:x}" for i in range(1 << 16)])
_V6_PREFIX: Final = pl.Series([f"{p:x}" for p in vocab.IPV6_PREFIXES])


def _gather(table: pl.Series, idx: U64) -> pl.Series:
    return table.gather(pl.Series(idx.astype(np.int64)))


def format_ips(codes: U64) -> pl.Series:
    """Dotted IPv4 and canonical (RFC 5952) IPv6 strings of IP codes.

    Examples
    --------
    >>> format_ips(np.array([(203 << 24) | (0 << 16) | (113 << 8) | 9], dtype=np.uint64))[0]
    '203.0.113.9'
    """
    codes = np.asarray(codes, dtype=np.uint64)
    out = pl.Series("ip", [None] * len(codes), dtype=pl.String)
    v6 = (codes & V6_FLAG) != 0
    if (~v6).any():
        c = codes[~v6]
        octets = [_gather(_DEC, (c >> np.uint64(s)) & np.uint64(255)) for s in (24, 16, 8, 0)]
        v4s = pl.select(pl.concat_str(octets, separator=".")).to_series()
        out = out.scatter(np.flatnonzero(~v6), v4s)
    if v6.any():
        c = codes[v6]
        head = [
            _gather(_V6_PREFIX, (c >> np.uint64(59)) & np.uint64(7)),
            *(_gather(_HEX16, _nonzero16(c >> np.uint64(s))) for s in (43, 27, 11)),
        ]
        mixed = _mix(c)
        tail = [_gather(_HEX16, _nonzero16(mixed >> np.uint64(s))) for s in (48, 32, 16, 0)]
        full = pl.select(pl.concat_str([*head, *tail], separator=":")).to_series()
        server_tail = _gather(_HEX16, _nonzero16(c & np.uint64(0x7FF)))
        short = pl.select(
            pl.concat_str([pl.concat_str(head, separator=":"), server_tail], separator="::")
        ).to_series()
        is_server = pl.Series((c & V6_SERVER) != 0)
        v6s = pl.select(pl.when(is_server).then(short).otherwise(full)).to_series()
        out = out.scatter(np.flatnonzero(v6), v6s)
    return out


@dataclass(frozen=True)
class Zipf:
    """A finite Zipf distribution over ``n`` ranked items: P(rank k) ~ 1 / k**s."""

    cdf: F64

    @classmethod
    def of(cls, n: int, s: float) -> Zipf:
        """The distribution over ``n`` items with exponent ``s``.

        Examples
        --------
        >>> z = Zipf.of(100, 1.1)
        >>> int(z.sample(np.random.default_rng(0), 1000).max()) < 100
        True
        """
        w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
        return cls(np.cumsum(w) / w.sum())

    def sample(self, rng: np.random.Generator, n: int) -> I64:
        """``n`` ranks (0-based)."""
        ranks = np.searchsorted(self.cdf, rng.random(n), side="right")
        return np.minimum(ranks, len(self.cdf) - 1).astype(np.int64)


@dataclass(frozen=True)
class Pool:
    """Variable-length per-account value lists, stored flat (CSR): ``values[start[a]:end[a]]``."""

    offsets: I64
    values: npt.NDArray[np.generic]

    @classmethod
    def from_lengths(cls, lengths: I64, values: npt.NDArray[np.generic]) -> Pool:
        """A pool whose account ``a`` owns the next ``lengths[a]`` values."""
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if offsets[-1] != len(values):
            raise ValueError(f"pool lengths sum to {offsets[-1]} but {len(values)} values given")
        return cls(offsets, values)

    @classmethod
    def single(cls, values: npt.NDArray[np.generic]) -> Pool:
        """One value per account."""
        return cls(np.arange(len(values) + 1, dtype=np.int64), values)

    @classmethod
    def empty(cls, n: int, dtype: type[np.generic] = np.uint64) -> Pool:
        """No value for any of ``n`` accounts."""
        return cls(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=dtype))

    def lengths(self) -> I64:
        """Values per account."""
        return np.diff(self.offsets)

    def pick(self, rng: np.random.Generator, accounts: I64) -> npt.NDArray[np.generic]:
        """One value per event, uniformly from the event's account's list (which must not be
        empty)."""
        start = self.offsets[accounts]
        size = self.offsets[accounts + 1] - start
        return self.values[start + (rng.random(len(accounts)) * size).astype(np.int64)]

    def first(self) -> npt.NDArray[np.generic]:
        """The first value of every account (each list must be non-empty)."""
        return self.values[self.offsets[:-1]]


def apportion(total: int, weights: F64) -> I64:
    """Split ``total`` into integers proportional to ``weights`` that sum to it exactly
    (largest remainder).

    Examples
    --------
    >>> apportion(10, np.array([1.0, 1.0, 1.0])).tolist()
    [4, 3, 3]
    """
    share = total * weights / weights.sum()
    base: I64 = np.floor(share).astype(np.int64)
    short = total - int(base.sum())
    if short:
        order = np.argsort(-(share - base), kind="stable")
        base[order[:short]] += 1
    return base
