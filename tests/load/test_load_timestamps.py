"""Every timestamp form of the data contract, and the IP check against the standard library."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sybilgraph.load.timestamps import MAX_TIME, MIN_TIME, parse_timestamps
from sybilgraph.load.validate import is_ip

T = datetime(2024, 4, 22, 8, 0, tzinfo=UTC)


def _parse(values: list[object], dtype: pl.DataType | None = None) -> list[datetime | None]:
    series = pl.Series("t", values, dtype=dtype, strict=False)
    return parse_timestamps(pl.DataFrame([series]), "t").to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-22T08:00:00Z", T),
        ("2024-04-22T08:00:00z", T),
        ("2024-04-22 08:00:00", T),
        ("2024-04-22T08:00", T),
        ("2024-04-22T10:00:00+02:00", T),
        ("2024-04-22T03:30:00-0430", T),
        ("2024-04-22T08:00:00.250Z", T + timedelta(milliseconds=250)),
        ("2024-04-22", T.replace(hour=0)),
        ("1713772800", T),
        ("1713772800000", T),
        (" 1713772800.5 ", T + timedelta(milliseconds=500)),
        ("1.7137728e9", T),
        ("2100-12-31T23:59:59Z", datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("1990-01-01", MIN_TIME),
    ],
)
def test_string_forms(text: str, expected: datetime) -> None:
    assert _parse([text]) == [expected]


@pytest.mark.parametrize(
    "text",
    ["yesterday", "2024-02-30", "22/04/2024", "1989-12-31T23:59:59Z", "2101-01-01", "0", "-5"],
)
def test_unparseable_or_out_of_range_strings(text: str) -> None:
    assert _parse([text]) == [None]


def test_native_types() -> None:
    assert _parse([1713772800]) == [T]
    assert _parse([1713772800000]) == [T]
    assert _parse([1713772800.0]) == [T]
    assert _parse([10**16, 0]) == [None, None]  # microseconds and the epoch are out of range
    assert _parse([datetime(2024, 4, 22, 8)]) == [T]  # naive is UTC
    berlin = datetime(2024, 4, 22, 10, tzinfo=timezone(timedelta(hours=2)))
    assert _parse([berlin]) == [T]
    assert _parse([T.date()]) == [T.replace(hour=0)]
    assert _parse([True], pl.Boolean()) == [None]


@given(st.datetimes(min_value=MIN_TIME.replace(tzinfo=None), max_value=datetime(2100, 12, 31)))
def test_epoch_seconds_and_milliseconds_round_trip(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    seconds = int(moment.timestamp())
    assert _parse([seconds, seconds * 1000, str(seconds), moment.isoformat()]) == [moment] * 4


@given(
    st.datetimes(max_value=datetime(1989, 12, 31))
    | st.datetimes(min_value=MAX_TIME.replace(tzinfo=None))
)
def test_out_of_range_is_rejected(moment: datetime) -> None:
    assert _parse([moment.isoformat(sep=" ")]) == [None]


def _stdlib_is_ip(text: str) -> bool:
    if "%" in text or not text.isascii():
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


ip_like = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=6).map(lambda a: a.exploded),
    st.text(alphabet="0123456789abcdefABCDEF:.", max_size=45),
    st.text(max_size=20),
)


@given(st.lists(ip_like, max_size=50))
def test_ip_check_agrees_with_the_standard_library(values: list[str]) -> None:
    got = pl.DataFrame({"ip": values}, schema={"ip": pl.String}).select(is_ip(pl.col("ip")))
    assert got["ip"].to_list() == [_stdlib_is_ip(v) for v in values]


def test_ip_examples() -> None:
    cases = ["1.2.3.4", "01.2.3.4", "1.2.3.4:80", "::", "::ffff:1.2.3.4", "fe80::1%eth0", "[::1]"]
    got = pl.DataFrame({"ip": cases}).select(is_ip(pl.col("ip")))["ip"].to_list()
    assert got == [True, False, False, True, True, False, False]
