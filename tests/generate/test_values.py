"""Properties of the generator's vectorised building blocks."""

from __future__ import annotations

import ipaddress

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sybilgraph.generate.emails import (
    disposable_emails,
    gmail_variants,
    normalise,
    person_emails,
    unique_emails,
)
from sybilgraph.generate.values import (
    Pool,
    Zipf,
    apportion,
    format_ips,
    hex64,
    ipv4_codes,
    ipv6_codes,
    stream,
)

codes = st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=50)


@given(codes)
def test_hex64_round_trips(values: list[int]) -> None:
    out = hex64(np.array(values, dtype=np.uint64)).to_list()
    assert [int(h, 16) for h in out] == values
    assert all(len(h) == 16 for h in out)


def test_hex64_marks_nulls() -> None:
    out = hex64(np.array([5, 6], dtype=np.uint64), np.array([False, True]))
    assert out.to_list() == ["0000000000000005", None]


@given(st.integers(0, 2**32 - 1))
def test_ipv4_codes_format_as_dotted_quads(code: int) -> None:
    text = format_ips(np.array([code], dtype=np.uint64))[0]
    assert text == str(ipaddress.IPv4Address(code))


@given(st.integers(0, 2**32 - 1), st.booleans())
def test_ipv6_codes_format_in_canonical_form(seed: int, server: bool) -> None:
    rng = np.random.default_rng(seed)
    for text in format_ips(ipv6_codes(rng, 20, server=server)).to_list():
        address = ipaddress.ip_address(text)
        assert address.version == 6
        assert str(address) == text  # RFC 5952 form, as Python prints it


def test_ipv6_codes_with_a_prefix_share_the_48() -> None:
    rng = np.random.default_rng(1)
    block = int(ipv6_codes(rng, 1, server=True)[0])
    nets = {
        ipaddress.ip_network(f"{t}/48", strict=False)
        for t in format_ips(ipv6_codes(rng, 30, prefix=block, server=True)).to_list()
    }
    assert len(nets) == 1


def test_ipv4_codes_keep_the_first_octet_and_avoid_network_and_broadcast() -> None:
    ips = format_ips(ipv4_codes(np.random.default_rng(0), 500, (24, 77))).to_list()
    assert {ip.split(".")[0] for ip in ips} == {"24", "77"}
    assert all(ip.split(".")[3] not in ("0", "255") for ip in ips)


@given(st.integers(0, 10_000), st.lists(st.floats(0.01, 100.0), min_size=1, max_size=40))
def test_apportion_sums_exactly_and_stays_within_one_of_the_share(
    total: int, weights: list[float]
) -> None:
    w = np.array(weights)
    out = apportion(total, w)
    assert out.sum() == total
    assert np.all(np.abs(out - total * w / w.sum()) < 1.0 + 1e-9)


@given(st.lists(st.integers(1, 5), min_size=1, max_size=30), st.integers(0, 1000))
def test_pool_picks_only_from_each_accounts_own_values(lengths: list[int], seed: int) -> None:
    lens = np.array(lengths, dtype=np.int64)
    owner = np.repeat(np.arange(len(lens)), lens)
    pool = Pool.from_lengths(lens, owner.astype(np.uint64) * 1000 + np.arange(len(owner)))
    accounts = np.random.default_rng(seed).integers(0, len(lens), 200)
    picked = pool.pick(np.random.default_rng(seed), accounts)
    assert np.array_equal(picked // 1000, accounts)


def test_zipf_favours_the_top_ranks() -> None:
    ranks = Zipf.of(1000, 1.1).sample(np.random.default_rng(0), 50_000)
    counts = np.bincount(ranks, minlength=1000)
    assert ranks.min() >= 0
    assert ranks.max() < 1000
    assert counts[0] > 10 * counts[99] > 0


def test_streams_depend_on_seed_and_keys() -> None:
    draw = lambda *k: stream(*k).integers(0, 2**62, 4).tolist()  # noqa: E731
    assert draw(1, "a") == draw(1, "a")
    assert draw(1, "a") != draw(2, "a")
    assert draw(1, "a") != draw(1, "b")
    assert draw(1, "a", 3) != draw(1, "a", 4)


def test_normalise_folds_gmail_dots_tags_and_case() -> None:
    emails = pl.Series(["J.Doe+ci@GMail.com", "jdoe@googlemail.com", "j.doe+x@yahoo.com"])
    assert normalise(emails).to_list() == ["jdoe@gmail.com", "jdoe@gmail.com", "j.doe@yahoo.com"]


def test_gmail_variants_deliver_to_few_mailboxes() -> None:
    rng = np.random.default_rng(3)
    emails = gmail_variants(rng, 200, 3)
    assert emails.str.ends_with("@gmail.com").all()
    assert normalise(emails).n_unique() == 3
    assert emails.n_unique() > 50


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_farmed_gmail_variants_keep_their_mailbox_when_made_unique(seed: int) -> None:
    # With 3 mailboxes, about one account in six draws the bare address; the repeats must get
    # a new spelling of the same mailbox, not digits that make it someone else's.
    rng = np.random.default_rng(seed)
    emails = gmail_variants(rng, 300, 3)
    out = unique_emails(rng, emails, np.ones(len(emails), dtype=bool))
    assert out.n_unique() == len(out)
    assert normalise(out).n_unique() == 3
    assert out.str.contains(r"\+\d+@").any()


def test_generated_addresses_look_like_addresses() -> None:
    rng = np.random.default_rng(4)
    emails = pl.concat([person_emails(rng, rng.integers(0, 40, 300)), disposable_emails(rng, 50)])
    assert emails.str.contains(r"^[a-z0-9._+-]+@[a-z0-9.-]+\.[a-z]{2,}$").all()


@settings(max_examples=30)
@given(
    st.lists(
        st.sampled_from(["a.b@gmail.com", "ab@gmail.com", "x@y.com", "c+1@z.org", "c@z.org"]),
        min_size=1,
        max_size=20,
    ),
    st.integers(0, 100),
)
def test_unique_emails_leaves_no_shared_mailbox_among_people(pick: list[str], seed: int) -> None:
    emails = pl.Series(pick)
    out = unique_emails(np.random.default_rng(seed), emails, np.zeros(len(pick), dtype=bool))
    assert normalise(out).n_unique() == len(pick)
