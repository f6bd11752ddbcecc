"""The whole pipeline, one stage after the other: load → signals → edges → weigh → link →
cluster → score. The Python API, the CLI and the notebook all call :func:`run`.
"""

from __future__ import annotations

import dataclasses
import functools
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from sybilgraph import schema
from sybilgraph._version import __version__
from sybilgraph.cluster import cluster
from sybilgraph.edges import EdgeTable, build_edges
from sybilgraph.errors import InputError
from sybilgraph.expand import expand
from sybilgraph.export.atomic import held_signals
from sybilgraph.link import link
from sybilgraph.load import Loaded, read_accounts, read_edges, read_input
from sybilgraph.load.sources import expand_sources
from sybilgraph.score import Scored, score
from sybilgraph.settings import Settings
from sybilgraph.signals import EventSpool, build_observations
from sybilgraph.weigh import WeightedValues, weigh

__all__ = ["PathsLike", "RunResult", "run"]

PathsLike = str | Path | Sequence[str | Path]
Progress = Callable[[str], None]


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is KiB on Linux and bytes on macOS.
    return usage / (1024 * 1024) if sys.platform == "darwin" else usage / 1024


@dataclass
class _Stages:
    progress: Progress | None
    timings: list[dict[str, Any]] = field(default_factory=list)
    _start: float = field(default_factory=time.perf_counter)

    def note(self, message: str) -> None:
        """A progress line inside a long stage."""
        if self.progress is not None:
            self.progress(f"[{time.perf_counter() - self._start:7.1f}s]   {message}")

    def done(self, stage: str, started: float, **counts: int | float) -> None:
        seconds = time.perf_counter() - started
        entry: dict[str, Any] = {
            "stage": stage,
            "seconds": round(seconds, 3),
            "peak_memory_mb": round(peak_memory_mb(), 1),
            **counts,
        }
        self.timings.append(entry)
        if self.progress is not None:
            detail = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items())
            self.progress(
                f"[{time.perf_counter() - self._start:7.1f}s] {stage:<8} {seconds:6.1f}s"
                f"  {detail}  (peak {entry['peak_memory_mb']:,.0f} MiB)"
            )


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced, before it is written anywhere."""

    scored: Scored
    rejects: pl.DataFrame
    manifest: dict[str, Any]
    table: EdgeTable
    weighted: WeightedValues


def _as_loaded(
    data: PathsLike | Loaded | pl.DataFrame | pl.LazyFrame | None,
    reader: Callable[[PathsLike, Settings], Loaded],
    settings: Settings,
    label: str,
    scratch: Path,
) -> Loaded | None:
    """Read paths with ``reader``; send in-memory frames through the same validation.

    A frame is written to a Parquet file in ``scratch`` and read back like any input, so that
    its rows are validated and rejected exactly as a file's would be; the rejects and the
    manifest then name it ``label`` instead of the scratch path.
    """
    if data is None or isinstance(data, Loaded):
        return data
    if not isinstance(data, (pl.DataFrame, pl.LazyFrame)):
        return reader(data, settings)
    frame = data.collect() if isinstance(data, pl.LazyFrame) else data
    path = scratch / f"{label.strip('<>').replace(' ', '_')}.parquet"
    frame.write_parquet(path)
    loaded = reader(path, settings)
    rejects = loaded.rejects.with_columns(
        pl.when(pl.col("source") == str(path))
        .then(pl.lit(label))
        .otherwise(pl.col("source"))
        .alias("source")
    )
    files = tuple(
        dataclasses.replace(f, path=label) if f.path == str(path) else f for f in loaded.files
    )
    return dataclasses.replace(loaded, rejects=rejects, files=files)


#: Event files of at most this many bytes in all are spooled in memory (five to eight times
#: their size once decoded) rather than to Parquet: writing the Parquet spool was a quarter of the
#: load stage on the 1/50 sample of the article preset (56 MB of events), 5% of the run.
MEMORY_SPOOL_BYTES = 128 * 1024 * 1024


def _small(events: PathsLike | Loaded | pl.DataFrame | pl.LazyFrame | None) -> bool:
    """Whether ``events`` are files of at most :data:`MEMORY_SPOOL_BYTES` in all. Frames are
    spooled to disk as before; paths that cannot be listed are left to the reader to report."""
    if events is None or isinstance(events, (Loaded, pl.DataFrame, pl.LazyFrame)):
        return False
    try:
        sources = expand_sources(events)
    except (InputError, OSError):
        return False
    return sum(s.size_bytes for s in sources) <= MEMORY_SPOOL_BYTES


def run(
    events: PathsLike | Loaded | pl.DataFrame | pl.LazyFrame | None = None,
    accounts: PathsLike | Loaded | pl.DataFrame | pl.LazyFrame | None = None,
    edges: PathsLike | Loaded | pl.DataFrame | pl.LazyFrame | None = None,
    settings: Settings | None = None,
    *,
    progress: Progress | None = None,
) -> RunResult:
    """Run every stage and return the scored clusters, the rejects and the manifest.

    ``events`` may be given in the edges form; it is recognised from its columns.
    """
    settings = settings or Settings()
    if events is None and edges is None and accounts is None:
        raise InputError("nothing to analyse: give events, edges or accounts")
    stages = _Stages(progress)
    scratch = Path(tempfile.mkdtemp(prefix="sybilgraph-frames-"))
    try:
        return _run(events, accounts, edges, settings, stages, scratch)
    finally:
        # The scratch spool is about the size of the events: never leave it half-removed.
        with held_signals():
            shutil.rmtree(scratch, ignore_errors=True)


def _run(
    events: PathsLike | Loaded | pl.DataFrame | pl.LazyFrame | None,
    accounts: PathsLike | Loaded | pl.DataFrame | pl.LazyFrame | None,
    edges: PathsLike | Loaded | pl.DataFrame | pl.LazyFrame | None,
    settings: Settings,
    stages: _Stages,
    scratch: Path,
) -> RunResult:
    t = time.perf_counter()
    # The events' spool is written in the pass that validates them.
    spooled = EventSpool(scratch, stripped=True, in_memory=_small(events))
    ev = _as_loaded(
        events, functools.partial(read_input, tap=spooled), settings, "<events frame>", scratch
    )
    ac = _as_loaded(accounts, read_accounts, settings, "<accounts frame>", scratch)
    ed = _as_loaded(edges, read_edges, settings, "<edges frame>", scratch)
    if isinstance(ev, Loaded) and ev.kind == "edges":
        if ed is not None:
            raise InputError("edges given twice: as the main input and with --edges")
        ed, ev = ev, None
    loaded = [x for x in (ev, ac, ed) if x is not None]
    rejects = (
        pl.concat([x.rejects for x in loaded], how="diagonal_relaxed")
        if loaded
        else pl.DataFrame(
            schema={"source": pl.String, "row": pl.Int64, "reason": pl.String, "column": pl.String}
        )
    )
    dropped = (
        pl.concat([x.dropped_values for x in loaded], how="diagonal_relaxed")
        if loaded
        else pl.DataFrame()
    )
    n_rows = sum(x.n_rows for x in loaded)
    stages.done("load", t, rows=n_rows, rejected=rejects.height)

    def frame(x: Loaded | None) -> pl.LazyFrame | None:
        return x.frame if x is not None else None

    note = stages.note if stages.progress is not None else None
    t = time.perf_counter()
    obs = build_observations(
        frame(ev),
        frame(ac),
        frame(ed),
        settings,
        signal_columns=ev.signal_columns if ev is not None else None,
        n_events=ev.n_valid if ev is not None else None,
        stripped=True,
        spool_dir=None if spooled.in_memory else scratch,
        progress=note,
        spooled=spooled,
    )
    table = build_edges(
        obs,
        min_degree=settings.min_accounts_per_value,
        progress=note,
    )
    if spooled.in_memory:
        # Every pass over the spool has run: its rows need not outlive this stage.
        spooled.discard()
    stages.done(
        "signals",
        t,
        accounts=table.n_accounts,
        observations=table.n_observations,
        shared_values=table.values.height,
    )

    t = time.perf_counter()
    weighted = weigh(table, settings)
    stages.done(
        "weigh",
        t,
        linking_values=weighted.edges.get_column("value").n_unique(),
        capped_values=weighted.n_capped,
    )

    t = time.perf_counter()
    pairs = link(
        weighted,
        table.accounts.select("account", schema.ORG_ID),
        settings,
        progress=note,
    )
    n_strong = int(pairs.pairs.get_column("strong").sum()) if pairs.pairs.height else 0
    stages.done(
        "link",
        t,
        candidate_pairs=pairs.n_candidates,
        strong_pairs=n_strong,
        partitions=pairs.n_partitions,
    )

    t = time.perf_counter()
    clustering = cluster(pairs.pairs, settings)
    stages.done(
        "cluster",
        t,
        linked_accounts=clustering.membership.height,
        subgroups=clustering.n_subgroups,
    )

    t = time.perf_counter()
    before = clustering.membership.height
    clustering = expand(clustering, table, settings)
    stages.done("expand", t, attached_accounts=clustering.membership.height - before)

    t = time.perf_counter()
    scored = score(clustering, table, weighted, settings)
    n_flagged = int(scored.clusters.get_column("flagged").sum()) if scored.clusters.height else 0
    stages.done("score", t, clusters=scored.clusters.height, flagged=n_flagged)

    manifest: dict[str, Any] = {
        "tool": "sybilgraph",
        "version": __version__,
        "settings": settings.to_dict(),
        "seed": settings.seed,
        "inputs": [
            {
                "kind": x.kind,
                **{
                    k: getattr(f, k)
                    for k in ("path", "format", "compression", "size_bytes", "sha256", "rows")
                },
            }
            for x in loaded
            for f in x.files
        ],
        "rows_read": n_rows,
        "rows_rejected": rejects.height,
        "rejects_by_reason": _counts(rejects, "reason"),
        "values_dropped": dropped.to_dicts() if dropped.height else [],
        "counts": {
            "accounts": table.n_accounts,
            "observations": table.n_observations,
            "shared_values": table.values.height,
            "values_capped": weighted.n_capped,
            "sync_sample_rate": obs.sync_sample_rate,
            "hub_values": pairs.n_hub_values,
            "candidate_pairs": pairs.n_candidates,
            "link_partitions": pairs.n_partitions,
            "strong_pairs": n_strong,
            "attach_only_pairs": pairs.pairs.height - n_strong,
            "linked_accounts": clustering.membership.height,
            "subgroups": clustering.n_subgroups,
            "clusters": scored.clusters.height,
            "flagged_clusters": n_flagged,
            "flagged_accounts": int(
                scored.clusters.filter(pl.col("flagged")).get_column("n_accounts").sum()
            )
            if scored.clusters.height
            else 0,
        },
        "stages": stages.timings,
        "peak_memory_mb": round(peak_memory_mb(), 1),
    }
    return RunResult(
        scored=scored, rejects=rejects, manifest=manifest, table=table, weighted=weighted
    )


def _counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    if frame.height == 0 or column not in frame.columns:
        return {}
    counted = frame.group_by(column).len().sort(column)
    return {str(k): int(v) for k, v in counted.iter_rows()}
