"""Detection quality with each evidence family removed in turn.

Usage: python benchmarks/ablation.py DATA_DIR [--out FILE.md]

DATA_DIR holds ``events.parquet``, ``accounts.parquet`` and ``truth.csv`` from
``sybilgraph generate``. A family is removed by setting the prior of each of its signal types
to zero, so its values neither link accounts nor count as evidence.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import sybilgraph
from sybilgraph.settings import DEFAULT_TYPE_PRIORS
from sybilgraph.signals import FAMILIES


def run(data: Path, removed: str | None) -> dict[str, object]:
    priors = dict(DEFAULT_TYPE_PRIORS)
    if removed is not None:
        for signal_type, family in FAMILIES.items():
            if family == removed:
                priors[signal_type] = 0.0
    result = sybilgraph.analyze(
        data / "events.parquet", data / "accounts.parquet", settings={"type_priors": priors}
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = result.write(Path(tmp) / "out")
        ev = sybilgraph.evaluate(out, data / "truth.csv")
    passes = ev.passes()
    ops = ev.operations.filter(ev.operations["size"] >= 15)
    return {
        "removed": removed or "(none)",
        "precision": ev.flagged.precision,
        "recall": ev.flagged.recall,
        "ari": ev.ari,
        "min_op_recall": float(ops["recall"].min() or 0.0) if ops.height else float("nan"),  # type: ignore[arg-type]
        "checks": sum(passes.values()),
        "n_checks": len(passes),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    rows = [run(args.data, None)]
    for family in sorted(set(FAMILIES.values())):
        rows.append(run(args.data, family))
    lines = [
        "| evidence removed | precision | recall | ARI | lowest op recall (>= 15) | checks |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        p = "-" if r["precision"] is None else f"{r['precision']:.4f}"
        lines.append(
            f"| {r['removed']} | {p} | {r['recall']:.4f} | {r['ari']:.4f} | "
            f"{r['min_op_recall']:.4f} | {r['checks']}/{r['n_checks']} |"
        )
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
