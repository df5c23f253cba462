"""The README's command-line table names every command the parser has, and the options
scripts rely on: a command nobody can find in the README is a command nobody uses."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from twinedge_desktop.cli import build_parser

README = Path(__file__).resolve().parents[3] / "README.md"


def _command_table() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


def _subcommands() -> list[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(name for action in actions for name in action.choices)


def test_every_subcommand_has_a_row() -> None:
    table = _command_table()
    missing = [
        name
        for name in _subcommands()
        if not re.search(rf"`twinedge-desktop (\[[^`]*\] )?{name}\b|/ `?{name}\b", table)
    ]
    assert missing == []


def test_the_options_scripts_rely_on_are_there() -> None:
    table = _command_table()
    for shown in ("token --json", "login --issuer URL --api-url URL", "keys list", "scan [PATH"):
        assert shown in table, shown


def test_the_intro_links_the_sdk() -> None:
    intro = README.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "(sdk/README.md)" in intro
    assert (README.parent / "sdk" / "README.md").is_file()
