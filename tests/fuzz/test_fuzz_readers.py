"""Fuzz every reader with generated hostile files: each loads with every row accounted for, or
refuses with a one-line :class:`InputError`; nothing else (see ``_fuzzkit``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import json
from pathlib import Path

import polars as pl
import pytest
from _fuzzkit import FUZZ, SUFFIX, Reader, check_one_line, compress, load_or_refuse
from hypothesis import assume, given
from hypothesis import strategies as st

from sybilgraph.errors import InputError
from sybilgraph.load import read_accounts, read_edges, read_events, read_input
from sybilgraph.load.timestamps import MAX_TIME, MIN_TIME

READERS: dict[str, Reader] = {
    "events": read_events,
    "accounts": read_accounts,
    "edges": read_edges,
    "input": read_input,
}
# Columns each reader cannot do without; a file lacking one may be refused.
REQUIRED = {
    "events": {"account_id"},
    "accounts": {"account_id"},
    "edges": {"account_id", "signal_type", "signal_value"},
    "input": {"account_id"},
}
COLUMN_NAMES = (
    "account_id",
    "timestamp",
    "ip",
    "org_id",
    "payment_fingerprint",
    "user_agent",
    "device_id",
    "prompt_fingerprint",
    "email",
    "created_at",
    "signup_ip",
    "signal_type",
    "signal_value",
    "count",
    "first_seen",
    "last_seen",
    "Account_ID",
    "",
    " ",
    "x;y",
)
HOSTILE_TEXT = (
    '=HYPERLINK("http://x","y")',
    "+cmd",
    "-2+3",
    "@SUM(A1)",
    "\tlead",
    "\rlead",
    "<script>alert(1)</script>",
    "NA",
    "null",
    "#N/A",
    "NaN",
    '"',
    '""',
    ",",
    "\\",
    "\x1b[2J",
    "\u202etxt",
    "\ufeff",
    "é€😀",
    "0",
    "-0",
    "1e309",
    "true",
)
# Replaced after encoding by bytes that are not UTF-8, inside an otherwise valid file.
INVALID_UTF8 = "\ue000"
IPS = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=6).map(lambda a: a.exploded),
    st.sampled_from(
        (
            "256.1.1.1",
            "1.2.3",
            "01.2.3.4",
            "1.2.3.4/24",
            "[::1]",
            "fe80::1%eth0",
            "1:2:3:4:5:6:7:8:9",
            ":::",
            "1.2.3.4.5",
            " 1.2.3.4",
            "::ffff:999.1.1.1",
            "g::1",
        )
    ),
)
EPOCHS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=600_000_000, max_value=4_300_000_000),
    st.integers(min_value=600_000_000_000, max_value=4_300_000_000_000),
)
DATETIMES = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)
)
TIMESTAMP_TEXT = st.one_of(
    EPOCHS.map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    DATETIMES.map(lambda d: d.isoformat()),
    DATETIMES.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    DATETIMES.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S+05:30")),
    DATETIMES.map(lambda d: d.strftime("%Y-%m-%d")),
    st.sampled_from(("0000-00-00", "2024-02-30T00:00:00Z", "2024-13-01", "yesterday", "-1")),
)
LONG_TEXT = st.integers(min_value=10_000, max_value=200_000).map(lambda n: "x" * n)
CELLS = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=',"\n\r\x00\t ;\\' + INVALID_UTF8, max_size=8),
    st.sampled_from(HOSTILE_TEXT),
    IPS,
    TIMESTAMP_TEXT,
    st.integers().map(str),
    st.just(""),
)
# Long fields are costly; they come up in a few examples rather than in every cell.
ROW_CELLS = st.one_of(CELLS, CELLS, CELLS, CELLS, CELLS, CELLS, CELLS, CELLS, CELLS, LONG_TEXT)


@st.composite
def headers(draw: st.DrawFn) -> list[str]:
    """Column names: duplicates, blanks and oddities included, ``account_id`` usually present."""
    names = draw(st.lists(st.sampled_from(COLUMN_NAMES), min_size=1, max_size=6))
    if draw(st.booleans()):
        names = ["account_id", *names]
    return names


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    header = draw(headers())
    rows = draw(st.lists(st.lists(ROW_CELLS, min_size=len(header), max_size=len(header))))
    return header, rows


def encode_text(text: str, encoding: str) -> bytes:
    """Encode, turning each :data:`INVALID_UTF8` marker into bytes that are not UTF-8."""
    if encoding == "latin-1":
        data = text.encode("latin-1", errors="replace")
    else:
        data = text.encode(encoding)
    return data.replace(INVALID_UTF8.encode("utf-8"), b"\xff\xfe\xc3")


def csv_text(header: list[str], rows: list[list[str]], separator: str, newline: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def must_load(kind: str, header: list[str]) -> bool:
    """A well-formed file with every required column (first spelling wins) must load."""
    return REQUIRED[kind] <= set(header)


@FUZZ
@given(
    table=tables(),
    kind=st.sampled_from(sorted(READERS)),
    separator=st.sampled_from([",", "\t"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]),
    compression=st.sampled_from([None, "gzip", "zstd"]),
)
def test_well_formed_text_files_count_every_row(
    tmp_path_factory: pytest.TempPathFactory,
    table: tuple[list[str], list[list[str]]],
    kind: str,
    separator: str,
    newline: str,
    encoding: str,
    compression: str | None,
) -> None:
    header, rows = table
    if kind == "input" and {"signal_type", "signal_value"} <= set(header):
        kind = "edges"
    data = encode_text(csv_text(header, rows, separator, newline), encoding)
    fmt = "csv" if separator == "," else "tsv"
    path = tmp_path_factory.mktemp("csv") / f"in.{fmt}{SUFFIX[compression]}"
    path.write_bytes(compress(data, compression))
    expected = len(rows) if must_load(kind, header) else None
    load_or_refuse(READERS[kind], path, expected)


@FUZZ
@given(
    header=headers(),
    lines=st.lists(st.binary(max_size=60), max_size=20),
    kind=st.sampled_from(sorted(READERS)),
    compression=st.sampled_from([None, "gzip"]),
)
def test_arbitrary_bytes_after_a_header(
    tmp_path_factory: pytest.TempPathFactory,
    header: list[str],
    lines: list[bytes],
    kind: str,
    compression: str | None,
) -> None:
    # Unbalanced quotes, NULs, stray CRs and invalid UTF-8 make the row count ambiguous, so only
    # the outcome and the bookkeeping are checked.
    data = ",".join(header).encode() + b"\n" + b"\n".join(lines)
    path = tmp_path_factory.mktemp("raw") / f"in.csv{SUFFIX[compression]}"
    path.write_bytes(compress(data, compression))
    load_or_refuse(READERS[kind], path)


@FUZZ
@given(
    header=headers(),
    rows=st.lists(st.lists(st.sampled_from(["a", "1.2.3.4", "", "x y"]), max_size=9), max_size=15),
    kind=st.sampled_from(sorted(READERS)),
)
def test_ragged_rows(
    tmp_path_factory: pytest.TempPathFactory,
    header: list[str],
    rows: list[list[str]],
    kind: str,
) -> None:
    # Single-cell blank rows are blank lines, which CSV readers may skip; give them content.
    rows = [r if r != [""] and r else ["a"] for r in rows]
    data = csv_text(header, rows, ",", "\n").encode()
    path = tmp_path_factory.mktemp("ragged") / "in.csv"
    path.write_bytes(data)
    outcome = load_or_refuse(READERS[kind], path)
    if outcome.loaded is not None:
        assert outcome.loaded.n_rows == len(rows)


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
        st.sampled_from(HOSTILE_TEXT),
        IPS,
        TIMESTAMP_TEXT,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


@FUZZ
@given(
    records=st.lists(
        st.dictionaries(st.sampled_from(COLUMN_NAMES), JSON_VALUES, max_size=6), max_size=12
    ),
    kind=st.sampled_from(sorted(READERS)),
    compression=st.sampled_from([None, "gzip", "zstd"]),
)
def test_ndjson_with_mixed_types(
    tmp_path_factory: pytest.TempPathFactory,
    records: list[dict[str, object]],
    kind: str,
    compression: str | None,
) -> None:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    path = tmp_path_factory.mktemp("ndjson") / f"in.ndjson{SUFFIX[compression]}"
    path.write_bytes(compress(data, compression))
    outcome = load_or_refuse(READERS[kind], path)
    if outcome.loaded is not None:
        assert outcome.loaded.n_rows == len(records)


# Parquet column types the generator writes.
PARQUET_TYPES: dict[str, st.SearchStrategy[object]] = {
    "str": st.one_of(st.none(), CELLS),
    "int": st.one_of(st.none(), EPOCHS),
    "uint8": st.one_of(st.none(), st.integers(0, 255)),
    "float": st.one_of(st.none(), st.floats()),
    "bool": st.one_of(st.none(), st.booleans()),
    "datetime_us": st.one_of(st.none(), DATETIMES),
    "date": st.one_of(st.none(), DATETIMES.map(lambda d: d.date())),
    "binary_utf8": st.one_of(st.none(), st.text(max_size=8).map(str.encode)),
    "struct": st.one_of(st.none(), st.fixed_dictionaries({"a": st.text(max_size=4)})),
    "list_str": st.one_of(st.none(), st.lists(st.text(max_size=4), max_size=3)),
    "list_int": st.one_of(st.none(), st.lists(st.integers(-5, 5), max_size=3)),
    "datetime_ms": st.one_of(st.none(), st.integers(-(2**62), 2**62)),
    "null": st.none(),
}
POLARS_TYPES: dict[str, pl.DataType | None] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "uint8": pl.UInt8(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "datetime_us": pl.Datetime("us"),
    "date": pl.Date(),
    "binary_utf8": pl.Binary(),
    "struct": None,
    "list_str": pl.List(pl.String()),
    "list_int": pl.List(pl.Int64()),
    "datetime_ms": pl.Datetime("ms"),
    "null": pl.Null(),
}


@st.composite
def parquet_frames(draw: st.DrawFn) -> pl.DataFrame:
    names = list(dict.fromkeys(n for n in draw(headers()) if n.strip()))
    assume(names)
    n_rows = draw(st.integers(min_value=0, max_value=12))
    columns = {}
    for name in names:
        kind = draw(st.sampled_from(sorted(PARQUET_TYPES)))
        values = draw(st.lists(PARQUET_TYPES[kind], min_size=n_rows, max_size=n_rows))
        columns[name] = pl.Series(name, values, dtype=POLARS_TYPES[kind], strict=False)
    return pl.DataFrame(columns)


@FUZZ
@given(frame=parquet_frames(), kind=st.sampled_from(sorted(READERS)))
def test_parquet_of_any_column_types(
    tmp_path_factory: pytest.TempPathFactory, frame: pl.DataFrame, kind: str
) -> None:
    path = tmp_path_factory.mktemp("pq") / "in.parquet"
    frame.write_parquet(path)
    outcome = load_or_refuse(READERS[kind], path)
    if outcome.loaded is not None:
        assert outcome.loaded.n_rows == frame.height


def _valid_file(fmt: str, compression: str | None) -> bytes:
    frame = pl.DataFrame(
        {
            "account_id": [f"acct-{i}" for i in range(200)],
            "timestamp": [f"2024-04-{1 + i % 28:02d}T10:00:00Z" for i in range(200)],
            "ip": [f"10.0.{i % 7}.{i % 250}" for i in range(200)],
        }
    )
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer, compression="zstd")
        return buffer.getvalue()
    text = frame.write_ndjson() if fmt == "ndjson" else frame.write_csv()
    return compress(text.encode(), compression)


@pytest.mark.parametrize(
    "form",
    [("parquet", None), ("csv", "gzip"), ("csv", "zstd"), ("ndjson", "gzip"), ("ndjson", None)],
    ids=lambda f: "-".join(x for x in f if x),
)
@FUZZ
@given(
    how=st.sampled_from(["truncate", "flip", "zero", "append"]),
    where=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    junk=st.binary(min_size=1, max_size=16),
)
def test_truncated_or_corrupt_binary_files(
    tmp_path_factory: pytest.TempPathFactory,
    form: tuple[str, str | None],
    how: str,
    where: float,
    junk: bytes,
) -> None:
    fmt, compression = form
    data = _valid_file(fmt, compression)
    at = int(where * len(data))
    if how == "truncate":
        data = data[:at]
    elif how == "flip":
        data = data[:at] + bytes(b ^ 0xFF for b in junk[:4]) + data[at + len(junk[:4]) :]
    elif how == "zero":
        data = data[:at] + b"\x00" * len(junk) + data[at + len(junk) :]
    else:
        data = data + junk
    path = tmp_path_factory.mktemp("corrupt") / f"in.{fmt}{SUFFIX[compression]}"
    path.write_bytes(data)
    load_or_refuse(read_events, path)


@FUZZ
@given(
    values=st.lists(st.one_of(TIMESTAMP_TEXT, st.just("")), min_size=1, max_size=20),
    column=st.sampled_from(["timestamp", "created_at"]),
)
def test_timestamps_far_in_the_past_or_future(
    tmp_path_factory: pytest.TempPathFactory, values: list[str], column: str
) -> None:
    reader = read_events if column == "timestamp" else read_accounts
    path = tmp_path_factory.mktemp("ts") / "in.csv"
    path.write_text(
        csv_text(["account_id", column], [["a", v] for v in values], ",", "\n"), "utf-8"
    )
    outcome = load_or_refuse(reader, path, len(values))
    assert outcome.valid is not None
    kept = outcome.valid.get_column(column).drop_nulls()
    assert kept.is_empty() or (kept.min() >= MIN_TIME and kept.max() < MAX_TIME)  # type: ignore[operator]


@FUZZ
@given(
    values=st.lists(
        st.one_of(st.datetimes(), st.none()),
        min_size=1,
        max_size=10,
    ),
    unit=st.sampled_from(["ns", "us", "ms"]),
    zone=st.sampled_from([None, "UTC", "Asia/Kathmandu", "America/St_Johns"]),
)
def test_native_datetimes_of_every_unit_and_zone(
    tmp_path_factory: pytest.TempPathFactory,
    values: list[dt.datetime | None],
    unit: str,
    zone: str | None,
) -> None:
    stamps = pl.Series("timestamp", values, dtype=pl.Datetime("us"))
    if unit == "ns":
        # Nanoseconds only reach 1677..2262; outside that a parquet writer could not store it.
        stamps = stamps.clip(dt.datetime(1678, 1, 1), dt.datetime(2261, 12, 31))
    stamps = stamps.cast(pl.Datetime(unit))  # type: ignore[arg-type]
    if zone is not None:
        stamps = stamps.dt.replace_time_zone(zone, ambiguous="null", non_existent="null")
    frame = pl.DataFrame({"account_id": [f"a{i}" for i in range(len(values))], "timestamp": stamps})
    path = tmp_path_factory.mktemp("dt") / "in.parquet"
    frame.write_parquet(path)
    outcome = load_or_refuse(read_events, path, frame.height)
    assert outcome.loaded is not None
    assert outcome.valid is not None
    in_range = stamps.dt.convert_time_zone("UTC") if zone else stamps.dt.replace_time_zone("UTC")
    expected_valid = in_range.is_null() | in_range.is_between(MIN_TIME, MAX_TIME, closed="left")
    assert outcome.valid.height == int(expected_valid.sum())


def _python_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return "%" not in text


@FUZZ
@given(values=st.lists(IPS, min_size=1, max_size=30), column=st.sampled_from(["ip", "signup_ip"]))
def test_ipv4_ipv6_and_malformed_addresses(
    tmp_path_factory: pytest.TempPathFactory, values: list[str], column: str
) -> None:
    reader = read_events if column == "ip" else read_accounts
    path = tmp_path_factory.mktemp("ip") / "in.csv"
    rows = [[f"a{i}", v] for i, v in enumerate(values)]
    path.write_text(csv_text(["account_id", column], rows, ",", "\n"), "utf-8")
    outcome = load_or_refuse(reader, path, len(values))
    assert outcome.loaded is not None
    assert outcome.valid is not None
    # A bad address costs the value, not the row.
    assert outcome.valid.height == len(values)
    kept = outcome.valid.get_column(column).to_list()
    expected = [v if _python_ip(v) else None for v in values]
    assert kept == expected


# -- bugs found by fuzzing, kept as regression tests -----------------------------------------


def test_millisecond_datetimes_beyond_the_microsecond_range(tmp_path: Path) -> None:
    stamps = pl.Series([-(2**62), 2**62, 1_713_772_800_000]).cast(pl.Datetime("ms"))
    path = tmp_path / "far.parquet"
    pl.DataFrame({"account_id": ["a", "b", "c"], "timestamp": stamps}).write_parquet(path)
    loaded = read_events(path)
    assert loaded.n_rejected == 2


def test_list_typed_signal_column(tmp_path: Path) -> None:
    path = tmp_path / "lists.parquet"
    pl.DataFrame({"account_id": ["a", "b"], "user_agent": [[1, 2], [3]]}).write_parquet(path)
    load_or_refuse(read_events, path)


def test_bare_carriage_return_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"account_id,ip\ra,10.0.0.1\rb,10.0.0.2\r")
    outcome = load_or_refuse(read_events, path)
    assert outcome.loaded is not None
    assert outcome.loaded.n_rows == 2


@pytest.mark.parametrize("name", ["acc\nount", "\x1b[2J\x1b[31mred"])
def test_error_messages_do_not_echo_control_characters(tmp_path: Path, name: str) -> None:
    path = tmp_path / "hdr.csv"
    path.write_text(csv_text([name, "ip"], [["x", "1.2.3.4"]], ",", "\n"), "utf-8")
    with pytest.raises(InputError) as caught:
        read_events(path)
    check_one_line(str(caught.value), strict=True)
