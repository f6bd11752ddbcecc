"""Write the seed corpus of nasty input files kept in ``tests/fuzz/corpus``.

The files are committed, so that they stay byte-for-byte the same when the libraries that
wrote them change; this script documents how each was made and rebuilds them::

    .venv/bin/python tests/fuzz/make_corpus.py

A file's name starts with the reader it is meant for: ``events_``, ``accounts_`` or ``edges_``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from _fuzzkit import compress

CORPUS = Path(__file__).parent / "corpus"
_HEADER = b"account_id,timestamp,ip,user_agent\n"
_ROW = b"acct-1,2024-04-22T10:00:00Z,10.0.0.1,ua\n"


def _parquet(frame: pl.DataFrame, compression: str = "zstd") -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression=compression)  # type: ignore[arg-type]
    return buffer.getvalue()


def _clean_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "account_id": [f"acct-{i}" for i in range(200)],
            "timestamp": [f"2024-04-{1 + i % 28:02d}T10:00:00Z" for i in range(200)],
            "ip": [f"10.0.{i % 7}.{i % 250}" for i in range(200)],
        }
    )


def _corrupt_page() -> bytes:
    # Four zero bytes in the first column chunk: polars' Parquet decoder panics on this page.
    data = _parquet(_clean_frame())
    return data[:185] + b"\x00" * 4 + data[189:]


def _files() -> dict[str, Callable[[], bytes]]:
    gz = compress(_HEADER + _ROW * 50, "gzip")
    zst = compress(_HEADER + _ROW * 50, "zstd")
    clean_parquet = _parquet(_clean_frame())
    return {
        "events_empty.csv": lambda: b"",
        "events_header_only.csv": lambda: _HEADER,
        "events_blank_lines_only.csv": lambda: b"\n\n\n",
        "events_bom_crlf.csv": lambda: (
            b"\xef\xbb\xbf" + (_HEADER + _ROW * 3).replace(b"\n", b"\r\n")
        ),
        "events_nul_and_newlines.csv": lambda: (
            _HEADER
            + b'"acct\x00nul",2024-04-22,10.0.0.1,"multi\nline\r\nagent"\n'
            + b'"acct-""quoted""",2024-04-22,10.0.0.2,"\x00"\n'
        ),
        "events_invalid_utf8.csv": lambda: (
            _HEADER
            + b"acct-\xff\xfe,2024-04-22,10.0.0.1,\xc3\x28\n"
            + b"acct-\xed\xa0\x80,2024-04-22,10.0.0.2,ok\n"
        ),
        "events_utf16.csv": lambda: (_HEADER + _ROW).decode().encode("utf-16"),
        "events_latin1.csv": lambda: (
            _HEADER + "acct-é,2024-04-22,10.0.0.1,Müller\n".encode("latin-1")
        ),
        "events_ragged_more_fields.csv": lambda: (
            _HEADER + _ROW + b"acct-2,2024-04-22,1.2.3.4,ua,x,y\n"
        ),
        "events_ragged_fewer_fields.csv": lambda: _HEADER + _ROW + b"acct-2\nacct-3,2024-04-22\n",
        "events_unbalanced_quote.csv": lambda: _HEADER + b'"acct-1,2024-04-22,10.0.0.1,ua\n' + _ROW,
        "events_duplicate_headers.csv": lambda: b"account_id,account_id,ip,ip\na,b,1.2.3.4,x\n",
        "events_blank_header_names.csv": lambda: b"account_id,,,\na,b,c,d\n",
        "events_no_header.csv": lambda: _ROW * 3,
        "events_long_field.csv": lambda: (
            _HEADER + b"acct-1,2024-04-22,10.0.0.1," + b"x" * 60_000 + b"\n"
        ),
        "events_long_account_id.csv": lambda: b"account_id\n" + b"a" * 40_000 + b"\n",
        "events_timestamps_extreme.csv": lambda: (
            b"account_id,timestamp\n"
            + b"".join(
                b"a," + v + b"\n"
                for v in (
                    b"0001-01-01T00:00:00Z",
                    b"9999-12-31T23:59:59Z",
                    b"1970-01-01",
                    b"0",
                    b"-1",
                    b"99999999999999999999999",
                    b"1e308",
                    b"inf",
                    b"nan",
                    b"2024-02-30",
                    b"2024-04-22T10:00:00+14:00",
                    b"1713772800",
                    b"1713772800000",
                )
            )
        ),
        "events_ips.csv": lambda: (
            b"account_id,ip\n"
            + b"".join(
                b"a," + v + b"\n"
                for v in (
                    b"10.0.0.1",
                    b"2001:db8::1",
                    b"::ffff:1.2.3.4",
                    b"::",
                    b"256.1.1.1",
                    b"01.2.3.4",
                    b"1.2.3.4/24",
                    b"[::1]",
                    b"fe80::1%eth0",
                    b"1:2:3:4:5:6:7:8:9",
                    b"not an ip",
                    b'"=1+1"',
                )
            )
        ),
        "events_formulas.csv": lambda: (
            b"account_id,user_agent\n"
            + b'"=HYPERLINK(""http://x"",""y"")",+cmd\n-2+3,@SUM(A1)\n"\tlead","\rlead"\n'
            + b"<script>alert(1)</script>,ok\n"
        ),
        "events_null_spellings.csv": lambda: (
            b"account_id,ip\nNA,1.2.3.4\nnull,1.2.3.4\n#N/A,x\n"
            + b' ,1.2.3.4\n"",1.2.3.4\nreal,1.2.3.4\n'
        ),
        "events_truncated.csv.gz": lambda: gz[: len(gz) // 2],
        "events_corrupt.csv.gz": lambda: gz[:12] + b"\xff" * 16 + gz[28:],
        "events_not_gzip.csv.gz": lambda: _HEADER + _ROW,
        "events_gzip_of_nothing.csv.gz": lambda: compress(b"", "gzip"),
        "events_truncated.csv.zst": lambda: zst[: len(zst) // 2],
        "events_truncated.parquet": lambda: clean_parquet[: len(clean_parquet) // 2],
        "events_not_parquet.parquet": lambda: _HEADER + _ROW,
        "events_only_magic.parquet": lambda: b"PAR1",
        "events_corrupt_page.parquet": _corrupt_page,
        "events_wrong_types.parquet": lambda: _parquet(
            pl.DataFrame(
                {
                    "account_id": [1, 2, None],
                    "timestamp": [True, False, None],
                    "ip": [3.5, None, float("nan")],
                    "user_agent": [{"a": 1}, {"a": 2}, None],
                    "device_id": [b"\x00", b"x", None],
                }
            )
        ),
        "events_far_dates.parquet": lambda: _parquet(
            pl.DataFrame(
                {
                    "account_id": ["a", "b", "c"],
                    "timestamp": [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 4, 22)],
                }
            )
        ),
        "events_ms_beyond_range.parquet": lambda: _parquet(
            pl.DataFrame(
                {
                    "account_id": ["a", "b"],
                    "timestamp": pl.Series([-(2**62), 2**62]).cast(pl.Datetime("ms")),
                }
            )
        ),
        "events_list_signal.parquet": lambda: _parquet(
            pl.DataFrame({"account_id": ["a", "b"], "user_agent": [[1, 2], [3]]})
        ),
        "events_mixed_types.ndjson": lambda: b"".join(
            json.dumps(r).encode() + b"\n"
            for r in (
                {"account_id": "a", "ip": "10.0.0.1", "timestamp": 1713772800},
                {"account_id": 7, "ip": 5, "timestamp": "2024-04-22"},
                {"account_id": None, "ip": True},
                {"account_id": "b", "extra": [1, {"x": 2}]},
            )
        ),
        "events_not_json.ndjson": lambda: b'{"account_id": "a"}\nnot json at all\n',
        "events_json_array.ndjson": lambda: b'[{"account_id": "a"}]\n',
        "events_cr_only.csv": lambda: (_HEADER + _ROW * 2).replace(b"\n", b"\r"),
        "events_header_escape.csv": lambda: b"\x1b[2J\x1b[31maccount,ip\na,1.2.3.4\n",
        "accounts_bad_values.csv": lambda: (
            b"account_id,created_at,email,signup_ip\n"
            + b"a,yesterday,no-at-sign,999.0.0.1\nb,2024-04-22,B.O.B+x@Gmail.com,::1\n"
            + b",2024-04-22,c@x.org,1.2.3.4\n"
        ),
        "edges_bad_values.csv": lambda: (
            b"account_id,signal_type,signal_value,count,first_seen\n"
            + b"a,ip,10.0.0.1,3,2024-04-22\nb,ip,not-an-ip,1,2024-04-22\nc,card,x,-5,2024-04-22\n"
            + b"d,card,x,1.5,2024-04-22\ne,card,x,1e400,2024-04-22\nf,,x,1,2024-04-22\n"
            + b"g,card,,1,2024-04-22\nh,card,y,2,0001-01-01\n"
        ),
    }


def build(directory: Path = CORPUS) -> list[Path]:
    """Write every corpus file into ``directory``; return their paths in name order."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in sorted(_files().items()):
        path = directory / name
        path.write_bytes(make())
        written.append(path)
    return written


if __name__ == "__main__":
    for written in build():
        sys.stdout.write(f"{written.name}\t{written.stat().st_size}\n")
