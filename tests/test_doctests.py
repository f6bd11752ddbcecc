"""The examples in the docstrings and in docs/ run, and every public name has one.

Each module of the package is a test of its own, so a failure names the module. The command
line modules are left out: their docstrings are click help texts, checked by the CLI tests.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import sybilgraph

SKIPPED = ("sybilgraph.__main__", "sybilgraph.cli")
DOCS = Path(__file__).resolve().parent.parent / "docs"


def _skipped(name: str) -> bool:
    return any(name == s or name.startswith(f"{s}.") for s in SKIPPED)


def _reraise_unless_skipped(name: str) -> None:
    # walk_packages calls this inside its `except ImportError`; a bare raise re-raises it, so a
    # package that cannot be imported fails the collection instead of vanishing from it.
    if not _skipped(name):
        raise


def _modules() -> list[str]:
    found = pkgutil.walk_packages(
        sybilgraph.__path__, "sybilgraph.", onerror=_reraise_unless_skipped
    )
    return ["sybilgraph", *sorted(m.name for m in found if not _skipped(m.name))]


MODULES = _modules()


def test_the_walk_finds_the_pipeline_modules() -> None:
    for name in ("sybilgraph.api", "sybilgraph.result", "sybilgraph.load.readers"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Examples that write files write them into a scratch directory.
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures: list[str] = []
    for test in finder.find(module, name, globs=vars(module).copy()):
        result = runner.run(test, out=failures.append)
        assert result.attempted == len(test.examples)
    assert not failures, "".join(failures)


@pytest.mark.parametrize("page", ["api.md"])
def test_documentation_examples(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The pages write their example files relative to the working directory.
    monkeypatch.chdir(tmp_path)
    result = doctest.testfile(
        str(DOCS / page), module_relative=False, optionflags=doctest.ELLIPSIS, report=False
    )
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} example(s) of docs/{page} fail; see the output"


def _public_names() -> list[str]:
    # __version__ is a plain string; everything else exported is a class or a function.
    return [
        name
        for name in sybilgraph.__all__
        if inspect.isclass(getattr(sybilgraph, name))
        or inspect.isfunction(getattr(sybilgraph, name))
    ]


@pytest.mark.parametrize("name", _public_names())
def test_public_name_has_a_numpydoc_example(name: str) -> None:
    doc = inspect.getdoc(getattr(sybilgraph, name)) or ""
    assert doc, f"sybilgraph.{name} has no docstring"
    head, _, examples = doc.partition("Examples\n--------")
    assert head.strip(), f"sybilgraph.{name}: the docstring starts with its examples"
    assert ">>> " in examples, f"sybilgraph.{name} has no numpydoc Examples section with an example"
