"""The exploration notebook runs top to bottom and is committed without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import ipykernel.kernelspec
import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"
SAMPLE = ROOT / "sample_data"
KERNEL = "sybilgraph-test"


def test_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the notebook has no code cells"
    dirty = [i for i, cell in enumerate(code) if cell.outputs or cell.execution_count is not None]
    assert not dirty, f"code cells {dirty} keep outputs or execution counts; strip them"


def test_notebook_runs_top_to_bottom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Plotting is the optional `plot` extra, which `make test` installs.
    pytest.importorskip("matplotlib")
    # SYBILGRAPH_DATA, when set, points the notebook at other data; otherwise it must find
    # sample_data/ by itself.
    override = os.environ.get("SYBILGRAPH_DATA")
    data = Path(override) if override else SAMPLE
    needed = ("events.parquet", "accounts.parquet", "truth.csv")
    missing = [name for name in needed if not (data / name).is_file()]
    if missing:
        pytest.fail(f"{data}: missing {', '.join(missing)}; run 'make sample-data' first")
    # A kernelspec of its own, pointing at this interpreter, so the notebook runs in the
    # project's environment whatever kernels the machine has registered.
    ipykernel.kernelspec.install(kernel_name=KERNEL, prefix=str(tmp_path))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    # Connection files and IPython profiles in scratch space: a read-only or customised home
    # directory must not change the run.
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    # The inline backend renders with Agg, needs no display, and returns each figure as a PNG
    # output that the test can see.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    pythonpath = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), pythonpath])))

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=300,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors
    # The graph drawing and the timeline really produced figures.
    images = [o for cell in code for o in cell.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2, "expected the timeline and the graph drawing as images"
