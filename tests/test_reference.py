"""The generated reference pages match the code (run `make docs` after changing either)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sybilgraph.cli.reference import cli_reference, settings_reference

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize(
    ("page", "render"), [("cli.md", cli_reference), ("settings.md", settings_reference)]
)
def test_reference_page_has_not_drifted(page: str, render: object) -> None:
    committed = (DOCS / page).read_text()
    assert callable(render)
    assert committed == render(), f"docs/{page} is out of date: run `make docs`"


def test_every_command_is_documented() -> None:
    text = cli_reference()
    for name in ("analyze", "validate", "explain", "report", "evaluate", "generate"):
        assert f"## sybilgraph {name}" in text
        assert "Example:" in text.split(f"## sybilgraph {name}", 1)[1].split("## ", 1)[0]
