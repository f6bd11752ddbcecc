"""Every input row is either in the frame or in the rejects: never both, never neither."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sybilgraph.load import read_edges, read_events
from sybilgraph.load.validate import has_text
from sybilgraph.settings import Settings

account_ids = st.sampled_from(["a1", "a2", "b7", "", "  ", "NA", "null", "x y"])
times = st.sampled_from(
    ["2024-04-22T10:00:00Z", "1713772800", "1713772800000", "", "soon", "1800-01-01", "2024-13-01"]
)
ips = st.sampled_from(["10.0.0.1", "::1", "999.0.0.1", "", "host", "2001:db8::"])
counts = st.sampled_from(["1", "7", "", "0", "-1", "2.5", "many"])
types = st.sampled_from(["ip", "device_id", "", " "])

event_rows = st.lists(st.tuples(account_ids, times, ips), max_size=40)
edge_rows = st.lists(st.tuples(account_ids, types, ips, counts, times), max_size=40)
formats = st.sampled_from(["csv", "parquet", "ndjson"])


def _write(frame: pl.DataFrame, path: Path, fmt: str) -> Path:
    path = path.with_suffix(f".{fmt}")
    {"csv": frame.write_csv, "parquet": frame.write_parquet, "ndjson": frame.write_ndjson}[fmt](
        path
    )
    return path


def _check_accounting(frames: list[pl.DataFrame], fmt: str, reader: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = [_write(f, Path(tmp) / f"part{i}", fmt) for i, f in enumerate(frames)]
        read = read_events if reader == "events" else read_edges
        loaded = read(paths, Settings(extra_signals=("key",)))
        kept = loaded.frame.collect()
        rejected = {(src, row) for src, row in loaded.rejects.select("source", "row").iter_rows()}
        expected = {
            (str(p), i + 1): f["key"][i]
            for p, f in zip(paths, frames, strict=True)
            for i in range(f.height)
        }
        rejected_keys = {expected[k] for k in rejected}
        if reader == "events":
            # A 0-byte file (an empty NDJSON part) has no columns at all.
            kept_keys = kept["key"].to_list() if "key" in kept.columns else []
            assert len(kept_keys) == kept.height
        else:
            # The edges form keeps no extra column: the key rides on the account id.
            assert kept["account_id"].str.contains("#").all()
            kept_keys = kept["account_id"].str.split("#").list.last().to_list()
        assert len(kept_keys) == len(set(kept_keys))  # never twice in the frame
        assert set(kept_keys).isdisjoint(rejected_keys)  # never both
        assert set(kept_keys) | rejected_keys == set(expected.values())  # never neither
        assert loaded.n_rows == len(expected)
        assert loaded.n_valid == kept.height
        assert [f.rows for f in loaded.files] == [f.height for f in frames]


def _keyed(rows: list[tuple[str, ...]], names: list[str], offset: int) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    return frame.with_columns(key=pl.int_range(pl.len()).cast(pl.String) + f"-{offset}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event_rows, min_size=1, max_size=3), formats)
def test_every_event_row_is_kept_or_rejected(parts: list[list[tuple[str, ...]]], fmt: str) -> None:
    frames = [_keyed(rows, ["account_id", "timestamp", "ip"], i) for i, rows in enumerate(parts)]
    _check_accounting(frames, fmt, "events")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edge_rows, min_size=1, max_size=3), formats)
def test_every_edge_row_is_kept_or_rejected(parts: list[list[tuple[str, ...]]], fmt: str) -> None:
    names = ["account_id", "signal_type", "signal_value", "count", "timestamp"]
    frames = [_keyed(rows, names, i) for i, rows in enumerate(parts)]
    frames = [
        f.with_columns(
            account_id=pl.when(pl.col("account_id").str.contains(r"^(?:[ab]\d|x y)$"))
            .then(pl.col("account_id") + "#" + pl.col("key"))
            .otherwise(pl.col("account_id"))
        )
        for f in frames
    ]
    _check_accounting(frames, fmt, "edges")


def test_has_text_agrees_with_the_regex_on_every_code_point() -> None:
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    x = pl.Series("x", [*chars, "", " a ", "\t\n", "\u3000\u00a0", "x\u2029", None])
    got = pl.select(has_text(pl.lit(x))).to_series()
    want = x.str.contains(r"\S")
    assert got.null_count() == 1
    assert (got == want).all()
    assert 0 < got.sum() < x.len() - 1
