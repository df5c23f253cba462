"""The window's own arguments are read without building the whole parser (startup cost),
and mean exactly what the whole parser says they mean."""

from __future__ import annotations

import argparse

import pytest

from twinedge_desktop import cli

WINDOW_ARGUMENTS = [
    [],
    ["--sandbox"],
    ["--debug"],
    ["--profile", "work"],
    ["--profile=work", "--sandbox", "--debug"],
    ["--prof", "work"],  # argparse's abbreviations, as the whole parser allows them
]


@pytest.mark.parametrize("argv", WINDOW_ARGUMENTS)
def test_window_arguments_match_the_whole_parser(argv: list[str]) -> None:
    found = cli._window_only(argv)
    assert found is not None
    _parser, fast = found
    whole = cli.build_parser().parse_args(argv)
    for name in ("profile", "sandbox", "debug", "handler", "command"):
        assert getattr(fast, name) == getattr(whole, name), name


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["--profile", "work", "token", "--json"],
        ["-h"],
        ["--help"],
        ["--version"],
        ["--profile"],  # no value: the whole parser reports it
        ["--sandbox=yes"],
        ["--unknown"],
    ],
)
def test_anything_else_goes_to_the_whole_parser(argv: list[str]) -> None:
    assert cli._window_only(argv) is None


def test_opening_the_window_does_not_build_the_subcommands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[argparse.Namespace] = []

    def refuse_to_build() -> argparse.ArgumentParser:
        raise AssertionError("the whole parser was built to open the window")

    monkeypatch.setattr(cli, "build_parser", refuse_to_build)
    monkeypatch.setattr(cli, "_run_gui", lambda args: opened.append(args) or 0)
    assert cli.main(["--sandbox", "--profile", "work"]) == 0
    assert opened and opened[0].sandbox and opened[0].profile == "work"


def test_a_window_profile_that_is_not_text_is_bad_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--profile", "w\udcffrk"]) == 2
    err = capsys.readouterr().err
    assert "--profile" in err and "Traceback" not in err
