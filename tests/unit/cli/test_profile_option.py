"""``--profile P`` means the same before or after the subcommand, for every subcommand.

A subparser copies every attribute it sets onto the namespace, so a subcommand's own
``--profile`` with a ``None`` default used to erase the top-level one:
``twinedge-desktop --profile cloud logout`` signed out of the current profile and
``--profile nonexist token`` printed the current profile's token.
"""

from __future__ import annotations

import argparse

import pytest

from twinedge_desktop.cli import build_parser

# The smallest valid arguments of every subcommand that acts on a profile. The walk below
# finds every subcommand of the real parser, so a new one must be added here.
MINIMAL_ARGUMENTS: dict[tuple[str, ...], list[str]] = {
    ("login",): [],
    ("status",): [],
    ("token",): [],
    ("logout",): [],
    ("inspect",): ["-"],
    ("keys", "list"): [],
    ("keys", "create"): ["name", "--scope", "read:assets"],
    ("keys", "revoke"): ["te_abc123"],
    ("apps", "list"): [],
    ("apps", "create"): ["name", "--type", "web", "--scope", "read:assets"],
    ("apps", "rotate-secret"): ["app-1"],
    ("apps", "delete"): ["app-1"],
    ("scan",): ["."],
}
# Commands without a profile: the sandbox serves, it does not sign in.
WITHOUT_PROFILE = {("sandbox",)}


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        return {path}
    found: set[tuple[str, ...]] = set()
    for action in subparsers:
        for name, child in action.choices.items():
            found |= _leaves(child, (*path, name))
    return found


def test_the_table_names_every_subcommand() -> None:
    assert _leaves(build_parser()) == set(MINIMAL_ARGUMENTS) | WITHOUT_PROFILE


@pytest.mark.parametrize("command", sorted(MINIMAL_ARGUMENTS), ids=" ".join)
def test_profile_before_or_after_the_subcommand_means_the_same(command: tuple[str, ...]) -> None:
    parser = build_parser()
    rest = MINIMAL_ARGUMENTS[command]
    before = parser.parse_args(["--profile", "lab", *command, *rest])
    after = parser.parse_args([*command, *rest, "--profile", "lab"])
    neither = parser.parse_args([*command, *rest])
    assert before.profile == "lab"
    assert after.profile == "lab"
    assert neither.profile is None


@pytest.mark.parametrize(
    "argv",
    [
        ["keys", "--profile", "lab", "list"],
        ["apps", "--profile", "lab", "list"],
        ["--profile", "other", "keys", "list", "--profile", "lab"],
    ],
)
def test_profile_between_a_command_and_its_action_or_given_twice(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).profile == "lab"
