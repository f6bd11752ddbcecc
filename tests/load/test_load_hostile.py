"""Readers on broken or hostile files: one escaped line naming the file, or every row accounted."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sybilgraph.errors import InputError
from sybilgraph.load import Loaded, read_accounts, read_edges, read_events, read_truth
from sybilgraph.load.escape import shown

CONTROL = "".join(map(chr, [*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0)]))


def _corrupt_parquet() -> bytes:
    frame = pl.DataFrame(
        {
            "account_id": [f"acct-{i}" for i in range(200)],
            "ip": [f"10.0.{i % 7}.{i % 250}" for i in range(200)],
        }
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd")
    data = buffer.getvalue()
    # Zeroes inside the first data page: polars panics decoding it.
    return data[:185] + b"\x00" * 4 + data[189:]


def test_a_panic_on_a_corrupt_page_is_one_line_and_leaves_stderr_quiet(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(_corrupt_parquet())
    with pytest.raises(InputError) as err:
        read_events(path)
    message = str(err.value)
    assert message.startswith(f"{path}: cannot read: corrupt or truncated Parquet (")
    assert "\n" not in message
    assert "panicked" not in capfd.readouterr().err


def test_millisecond_datetimes_beyond_the_microsecond_range_are_rejects(tmp_path: Path) -> None:
    stamps = pl.Series([-(2**62), 2**62, 1_713_772_800_000, None]).cast(pl.Datetime("ms"))
    path = tmp_path / "far.parquet"
    pl.DataFrame({"account_id": ["a", "b", "c", "d"], "timestamp": stamps}).write_parquet(path)
    loaded = read_events(path)
    assert loaded.rejects.select("row", "reason").rows() == [
        (1, "bad_timestamp"),
        (2, "bad_timestamp"),
    ]
    assert loaded.frame.collect()["account_id"].to_list() == ["c", "d"]


def test_far_dates_are_rejects_not_overflows(tmp_path: Path) -> None:
    days = pl.Series([-(2**31) + 1, 2**31 - 1, 19_835], dtype=pl.Int32).cast(pl.Date)
    path = tmp_path / "dates.parquet"
    pl.DataFrame({"account_id": ["a", "b", "c"], "timestamp": days}).write_parquet(path)
    loaded = read_events(path)
    assert loaded.rejects["row"].to_list() == [1, 2]
    assert loaded.frame.collect()["timestamp"].dt.year().to_list() == [2024]


@pytest.mark.parametrize(
    ("values", "dtype_text"),
    [
        ([[1, 2], [3]], "List(Int64)"),
        ([{"a": 1}, {"a": 2}], "Struct"),
        ([b"\xff", b"x"], "Binary"),
    ],
    ids=["list", "struct", "binary"],
)
def test_nested_or_binary_signal_columns_are_refused_by_name(
    tmp_path: Path, values: list[object], dtype_text: str
) -> None:
    path = tmp_path / "typed.parquet"
    pl.DataFrame({"account_id": ["a", "b"], "user_agent": values}).write_parquet(path)
    with pytest.raises(InputError) as err:
        read_events(path)
    message = str(err.value)
    assert message.startswith(f"{path}: column(s) user_agent ({dtype_text}")
    assert "not text" in message


def test_every_bad_column_is_named_at_once(tmp_path: Path) -> None:
    path = tmp_path / "typed.parquet"
    pl.DataFrame({"account_id": [[1]], "email": [{"a": 1}], "created_at": [[1]]}).write_parquet(
        path
    )
    with pytest.raises(InputError, match=r"account_id \(List\(Int64\)\), email \(Struct"):
        read_accounts(path)


def test_integer_and_boolean_signals_are_cast_to_text(tmp_path: Path) -> None:
    path = tmp_path / "typed.parquet"
    frame = pl.DataFrame({"account_id": [1, 2], "device_id": [True, None]})
    frame.write_parquet(path)
    assert read_events(path).frame.collect().select("account_id", "device_id").rows() == [
        ("1", "true"),
        ("2", None),
    ]


def test_a_list_typed_truth_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "truth.parquet"
    pl.DataFrame({"account_id": ["a"], "operation_id": [["op"]]}).write_parquet(path)
    with pytest.raises(InputError, match="operation_id"):
        read_truth(path)


@pytest.mark.parametrize(
    ("reader", "text", "row", "fields", "width"),
    [
        (read_events, "account_id,ip,user_agent\na,1.1.1.1,ua\nb,1.1.1.2,ua,x,y\n", 2, 5, 3),
        (read_accounts, "account_id,org_id\na,a,a\n", 1, 3, 2),
        # The extra field is beyond a column the reader does not use.
        (read_events, "account_id,zz_unused\na,b\nc,d,e\n", 2, 3, 2),
    ],
)
def test_a_row_with_more_fields_than_the_header_refuses_the_file_naming_the_row(
    tmp_path: Path,
    reader: Callable[..., Loaded],
    text: str,
    row: int,
    fields: int,
    width: int,
) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        reader(path)
    assert str(err.value) == (
        f"{path}: cannot read as CSV: found more fields than the header names: data row {row} "
        f"has {fields}, the header {width}; quote values that contain a comma, or fix the row"
    )


def test_ragged_rows_in_a_gzip_tsv_are_found_too(tmp_path: Path) -> None:
    path = tmp_path / "ragged.tsv.gz"
    path.write_bytes(gzip.compress(b"account_id\tip\na\t1.1.1.1\nb\t1.1.1.2\tx\n"))
    with pytest.raises(InputError, match=r"data row 2 has 3, the header 2; .* contain a tab"):
        read_events(path)


def test_rows_with_fewer_fields_are_kept_with_nulls(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("account_id,ip,user_agent\na,1.1.1.1,ua\nb\n")
    loaded = read_events(path)
    assert loaded.n_rows == 2
    assert loaded.frame.collect()["ip"].to_list() == ["1.1.1.1", None]


@pytest.mark.parametrize("compressed", [False, True])
def test_bare_carriage_return_line_endings_are_read(tmp_path: Path, compressed: bool) -> None:
    data = b'account_id,ip,user_agent\ra,10.0.0.1,"two\rlines"\rb,10.0.0.2,ua\r'
    path = tmp_path / ("mac.csv.gz" if compressed else "mac.csv")
    path.write_bytes(gzip.compress(data) if compressed else data)
    loaded = read_events(path)
    assert loaded.n_rows == 2
    assert loaded.n_rejected == 0
    assert loaded.files[0].path == str(path)
    frame = loaded.frame.collect()
    assert frame["account_id"].to_list() == ["a", "b"]
    assert frame["user_agent"].to_list() == ["two\nlines", "ua"]


def test_a_crlf_file_is_not_mistaken_for_bare_cr(tmp_path: Path) -> None:
    path = tmp_path / "win.csv"
    path.write_bytes(b"account_id,ip\r\na,10.0.0.1\r\nb,10.0.0.2\r\n")
    assert read_events(path).frame.collect()["ip"].to_list() == ["10.0.0.1", "10.0.0.2"]


@pytest.mark.parametrize("name", ["acc\nount", "\x1b[2J\x1b[31mred", "\u202eid", "tab\there"])
def test_missing_column_message_escapes_the_files_column_names(tmp_path: Path, name: str) -> None:
    path = tmp_path / "hdr.csv"
    quoted = '"' + name.replace('"', '""') + '"'
    path.write_text(f"{quoted},ip\nx,1.2.3.4\n")
    with pytest.raises(InputError) as err:
        read_events(path)
    message = str(err.value)
    assert not set(message) & set(CONTROL + "\u202e\t")
    assert shown(name) in message


def test_a_hostile_file_name_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "bad\x1b[2Jname.csv"
    path.write_text("user\nx\n")
    with pytest.raises(InputError) as err:
        read_events(path)
    assert str(err.value).startswith(f"{tmp_path}/bad\\x1b[2Jname.csv: no 'account_id' column")


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(text=st.text())
def test_shown_never_leaves_a_control_character(text: str) -> None:
    out = shown(text)
    assert all(c.isprintable() for c in out)
    assert len(out) <= 200 * 10 + 3


def test_edges_seen_the_wrong_way_round_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "edges.csv"
    path.write_text(
        "account_id,signal_type,signal_value,first_seen,last_seen\n"
        "a,card,x,2024-04-22,2024-04-23\n"
        "b,card,x,2024-04-23,2024-04-22\n"
        "c,card,x,2024-04-22,2024-04-22\n"
        "d,card,x,never,2024-04-22\n"
    )
    loaded = read_edges(path)
    assert loaded.rejects.select("row", "reason", "column").rows() == [
        (2, "bad_seen_order", "last_seen"),
        (4, "bad_timestamp", "first_seen"),
    ]
    assert loaded.frame.collect()["account_id"].to_list() == ["a", "c"]


def test_a_utf16_file_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("account_id,ip\na,10.0.0.1\n".encode("utf-16"))
    with pytest.raises(InputError) as err:
        read_events(path)
    assert str(err.value) == (
        f"{path}: cannot read as CSV: the file is UTF-16 encoded (it starts with a UTF-16 "
        "byte-order mark); save it as UTF-8"
    )
