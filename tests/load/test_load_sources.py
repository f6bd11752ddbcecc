"""Formats, compression, globs, directories and Hive partitions."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from sybilgraph.errors import InputError
from sybilgraph.load import read_events
from sybilgraph.load.sources import (
    BackgroundDigests,
    detect_format,
    expand_sources,
    file_sha256,
)
from sybilgraph.schema import DATETIME

Writer = Callable[..., Path]
EXT = {"csv": "csv", "tsv": "tsv", "ndjson": "ndjson", "parquet": "parquet"}
SUFFIX = {None: "", "gzip": ".gz", "zstd": ".zst"}


@pytest.mark.parametrize(
    ("fmt", "compression"),
    [(f, c) for f in ("csv", "tsv", "ndjson") for c in (None, "gzip", "zstd")]
    + [("parquet", None)],
)
def test_every_format_and_compression_reads_the_same_rows(
    tmp_path: Path, write: Writer, events: pl.DataFrame, fmt: str, compression: str | None
) -> None:
    path = write(events, tmp_path / f"events.{EXT[fmt]}{SUFFIX[compression]}", fmt, compression)
    loaded = read_events(path)
    out = loaded.frame.collect()
    assert out["account_id"].to_list() == ["a1", "a2", "a1", "a3"]
    assert out.schema["timestamp"] == DATETIME
    assert out["ip"].to_list() == events["ip"].to_list()
    (info,) = loaded.files
    assert (info.format, info.compression, info.rows) == (fmt, compression, 4)
    assert info.size_bytes == path.stat().st_size
    assert len(info.sha256) == 64


def test_jsonl_extension_is_ndjson(tmp_path: Path, write: Writer, events: pl.DataFrame) -> None:
    path = write(events, tmp_path / "events.jsonl", "ndjson")
    assert read_events(path).files[0].format == "ndjson"


def test_magic_bytes_win_over_the_name(tmp_path: Path, write: Writer, events: pl.DataFrame) -> None:
    gz_named_csv = tmp_path / "a.csv"
    gz_named_csv.write_bytes(gzip.compress(events.write_csv().encode()))
    assert detect_format(gz_named_csv) == ("csv", "gzip")
    parquet_no_ext = write(events, tmp_path / "dump", "parquet")
    assert detect_format(parquet_no_ext) == ("parquet", None)
    tsv_no_ext = write(events, tmp_path / "dump2", "tsv")
    assert detect_format(tsv_no_ext) == ("tsv", None)
    assert read_events([gz_named_csv, parquet_no_ext, tsv_no_ext]).n_rows == 12


def test_a_parquet_name_on_other_bytes_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    path.write_text("account_id\na\n")
    with pytest.raises(InputError, match=r"events\.parquet: named as Parquet but is not") as err:
        read_events(path)
    assert "\n" not in str(err.value)


def test_several_files_a_glob_and_a_directory(
    tmp_path: Path, write: Writer, events: pl.DataFrame
) -> None:
    write(events, tmp_path / "logs" / "b.csv")
    write(events, tmp_path / "logs" / "a.csv.gz", "csv", "gzip")
    write(events, tmp_path / "logs" / "sub" / "c.parquet", "parquet")
    (tmp_path / "logs" / "_SUCCESS").write_text("")
    (tmp_path / "logs" / ".a.csv.crc").write_text("junk")
    (tmp_path / "logs" / "README.txt").write_text("not data")

    by_dir = read_events(tmp_path / "logs")
    assert [Path(f.path).name for f in by_dir.files] == ["a.csv.gz", "b.csv", "c.parquet"]
    assert by_dir.n_rows == 12

    by_glob = read_events(str(tmp_path / "logs" / "*.csv*"))
    assert [Path(f.path).name for f in by_glob.files] == ["a.csv.gz", "b.csv"]

    listed = read_events([tmp_path / "logs" / "b.csv", tmp_path / "logs" / "sub"])
    assert listed.n_rows == 8
    assert listed.frame.collect().height == 8


def test_hive_partition_folders_become_columns(
    tmp_path: Path, write: Writer, events: pl.DataFrame
) -> None:
    root = tmp_path / "events"
    write(events.head(2), root / "org_id=acme" / "day=2024-04-22" / "part-0.parquet", "parquet")
    write(events.tail(2), root / "org_id=__HIVE_DEFAULT_PARTITION__" / "part-0.csv")
    hive = {Path(s.path).parent.name: s.hive for s in expand_sources(root)}
    assert hive["day=2024-04-22"] == (("org_id", "acme"), ("day", "2024-04-22"))
    assert hive["org_id=__HIVE_DEFAULT_PARTITION__"] == (("org_id", None),)
    out = read_events(root).frame.collect().sort("timestamp")
    assert out["org_id"].to_list() == ["acme", "acme", None, None]
    # Partition keys that are not contract columns are ignored like any other extra column.
    assert "day" not in out.columns


def test_hive_values_from_a_glob(tmp_path: Path, write: Writer, events: pl.DataFrame) -> None:
    write(events, tmp_path / "ev" / "org_id=o1" / "x.csv")
    out = read_events(str(tmp_path / "ev" / "*" / "*.csv")).frame.collect()
    assert out["org_id"].unique().to_list() == ["o1"]


def test_a_file_column_wins_over_its_partition(
    tmp_path: Path, write: Writer, events: pl.DataFrame
) -> None:
    write(events.with_columns(org_id=pl.lit("inner")), tmp_path / "org_id=outer" / "x.csv")
    out = read_events(tmp_path).frame.collect()
    assert out["org_id"].unique().to_list() == ["inner"]


@pytest.mark.parametrize(
    ("path", "message"),
    [("missing.csv", "no such file or directory"), ("nothing-*.csv", "no file matches")],
)
def test_paths_that_name_nothing(tmp_path: Path, path: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_events(str(tmp_path / path))


def test_an_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory holds no data file"):
        read_events(tmp_path)


def test_a_zero_byte_file_counts_zero_rows(
    tmp_path: Path, write: Writer, events: pl.DataFrame
) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    write(events, tmp_path / "full.csv")
    loaded = read_events(tmp_path)
    assert [f.rows for f in loaded.files] == [0, 4]
    assert loaded.frame.collect().height == 4


def test_the_same_file_named_twice_is_read_once(
    tmp_path: Path, write: Writer, events: pl.DataFrame
) -> None:
    path = write(events, tmp_path / "e.csv")
    assert read_events([path, str(path), tmp_path]).n_rows == 4


def test_compressed_file_without_a_format_extension_is_sniffed(
    tmp_path: Path, write: Writer, events: pl.DataFrame
) -> None:
    path = write(events, tmp_path / "export.gz", "ndjson", "gzip")
    assert detect_format(path) == ("ndjson", "gzip")
    zst = write(events, tmp_path / "export.zst", "tsv", "zstd")
    assert detect_format(zst) == ("tsv", "zstd")
    assert read_events([path, zst]).frame.collect().height == 8


def test_recursive_glob_keeps_partition_values(
    tmp_path: Path, write: Writer, events: pl.DataFrame
) -> None:
    write(events, tmp_path / "logs" / "org_id=a" / "day=1" / "p.parquet", "parquet")
    write(events, tmp_path / "logs" / "org_id=b" / "day=2" / "p.parquet", "parquet")
    loaded = read_events(str(tmp_path / "logs" / "**" / "*.parquet"))
    assert loaded.frame.collect()["org_id"].to_list() == ["a"] * 4 + ["b"] * 4


def test_background_digests_match_the_direct_digest(tmp_path: Path) -> None:
    paths = []
    for i, size in enumerate([0, 1, (1 << 20) + 7]):
        path = tmp_path / f"f{i}"
        path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
        paths.append(str(path))
    with BackgroundDigests([*paths, paths[0]], chunk_bytes=4096) as digests:
        assert [digests.get(p) for p in paths] == [file_sha256(p) for p in paths]


def test_a_background_digest_raises_what_reading_raised(tmp_path: Path) -> None:
    missing = str(tmp_path / "gone")
    with BackgroundDigests([missing]) as digests, pytest.raises(FileNotFoundError):
        digests.get(missing)
