"""Generated reference pages: the CLI's help texts and the settings, as Markdown.

``python -m sybilgraph.cli.reference`` rewrites ``docs/cli.md`` and ``docs/settings.md``; a test
fails when the committed pages drift from the code.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from sybilgraph.settings import Settings

__all__ = ["cli_reference", "settings_reference", "write_references"]

_WIDTH = 100


def cli_reference() -> str:
    """Every command's ``--help`` text, in a Markdown page.

    The help is produced by invoking each command with ``--help``, exactly as a user sees it.

    Examples
    --------
    >>> "## sybilgraph analyze" in cli_reference()
    True
    """
    from click.testing import CliRunner

    from sybilgraph.cli import cli

    lines = [
        "# Command-line reference",
        "",
        "Generated from the commands' own help by `python -m sybilgraph.cli.reference`;",
        "do not edit by hand.",
        "",
    ]
    runner = CliRunner()
    names: list[list[str]] = [[]]
    names += [[name] for name in sorted(cli.list_commands(click.Context(cli)))]
    for path in names:
        result = runner.invoke(
            cli,
            [*path, "--help"],
            prog_name="sybilgraph",
            terminal_width=_WIDTH,
            max_content_width=_WIDTH,
        )
        title = " ".join(["sybilgraph", *path])
        lines.extend([f"## {title}", "", "```", result.output.rstrip("\n"), "```", ""])
    return "\n".join(lines)


def settings_reference() -> str:
    """A table of every setting with its default and meaning.

    Examples
    --------
    >>> "| `seed` |" in settings_reference()
    True
    """
    defaults = Settings().to_dict()
    lines = [
        "# Settings reference",
        "",
        "Generated from `sybilgraph.Settings` by `python -m sybilgraph.cli.reference`; do not",
        "edit by hand. Give settings as keywords (`Settings(seed=7)`), a dict, or a TOML file",
        "(`--settings run.toml`); tables such as `[columns]` and `[type_priors]` are TOML tables.",
        "",
        "| setting | default | meaning |",
        "|---|---|---|",
    ]
    for field in dataclasses.fields(Settings):
        default = defaults[field.name]
        shown = (
            ", ".join(f"{k} = {v}" for k, v in default.items())
            if isinstance(default, dict)
            else repr(default)
        )
        help_text = field.metadata["help"].replace("|", "\\|")
        lines.append(f"| `{field.name}` | `{shown or '{}'}` | {help_text} |")
    return "\n".join(lines) + "\n"


def write_references(docs: Path) -> list[Path]:
    """Write ``cli.md`` and ``settings.md`` into ``docs``."""
    written = []
    for name, text in (("cli.md", cli_reference()), ("settings.md", settings_reference())):
        path = docs / name
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs")
    for path in write_references(target):
        print(path)
