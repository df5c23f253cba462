"""``$BROWSER`` as xdg-utils and Python read it, with real little scripts as browsers.

Each "browser" is a Python script that reports the arguments it got through a FIFO
the test reads (a bounded wait on a real event, no polling), so every form of the
variable is checked by what a launched program actually receives.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from twinedge_desktop.browser import open_with_browser_variable, parse_browser_variable
from twinedge_desktop.cli.auth import _requested_scopes, system_browser_opener

URL = "http://127.0.0.1:9/authorize?state=abc&x=1&y=$(touch pwned);z"

REPORTER = """\
import json, os, sys
with open(sys.argv[1], "w") as fifo:
    fifo.write(json.dumps({"argv": sys.argv[2:], "pid": os.getpid()}))
hold = os.environ.get("HOLD_UNTIL")
if hold:  # stay open like a real browser, until the test lets go (bounded)
    import select
    r = os.open(hold, os.O_RDONLY | os.O_NONBLOCK)
    select.select([r], [], [], 30)
"""


class Reporter:
    """A browser script and the FIFO it reports on."""

    def __init__(self, root: Path) -> None:
        self.script = root / "browser.py"
        self.script.write_text(REPORTER)
        self.fifo = root / "report.fifo"
        os.mkfifo(self.fifo)

    def command(self, *extra: str) -> str:
        words = [sys.executable, str(self.script), str(self.fifo), *extra]
        return " ".join(shlex.quote(w) if "%" not in w else w for w in words)

    def report(self, timeout: float = 20) -> dict[str, object]:
        """What the launched browser got: blocks (in a thread, bounded) until it writes."""
        result: list[str] = []

        def read() -> None:
            with open(self.fifo) as handle:  # blocks until the browser opens the FIFO
                result.append(handle.read())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        assert result, "the browser was never started"
        report: dict[str, object] = json.loads(result[0])
        return report


@pytest.fixture
def reporter(tmp_path: Path) -> Reporter:
    return Reporter(tmp_path)


@pytest.fixture(autouse=True)
def _work_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)  # so an injected "touch pwned" would land where we look
    yield
    assert not (tmp_path / "pwned").exists()  # the link never reached a shell


def test_an_entry_with_arguments_gets_the_link_appended(reporter: Reporter) -> None:
    assert open_with_browser_variable(URL, reporter.command("--new-window", "two words"))
    assert reporter.report()["argv"] == ["--new-window", "two words", URL]


def test_percent_s_is_the_link_and_double_percent_a_percent(reporter: Reporter) -> None:
    assert open_with_browser_variable(URL, reporter.command("--url=%s", "100%%", "--last"))
    assert reporter.report()["argv"] == [f"--url={URL}", "100%", "--last"]


def test_a_list_with_a_missing_first_entry_uses_the_next(
    reporter: Reporter, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-browser"
    not_executable = tmp_path / "not-executable"
    not_executable.write_text("#!/bin/sh\n")
    not_executable.chmod(stat.S_IRUSR)
    value = os.pathsep.join([str(missing), "", str(not_executable), reporter.command()])
    assert open_with_browser_variable(URL, value)
    assert reporter.report()["argv"] == [URL]


def test_an_entry_that_fails_at_once_falls_through_to_the_next(
    reporter: Reporter, tmp_path: Path
) -> None:
    failing = tmp_path / "fails.py"
    failing.write_text("import sys; sys.exit(3)\n")
    value = os.pathsep.join([f"{sys.executable} {failing}", reporter.command()])
    assert open_with_browser_variable(URL, value)
    assert reporter.report()["argv"] == [URL]


def test_the_browser_is_not_waited_for(
    reporter: Reporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = tmp_path / "hold.fifo"
    os.mkfifo(hold)
    monkeypatch.setenv("HOLD_UNTIL", str(hold))
    assert open_with_browser_variable(URL, reporter.command())  # returned while it runs
    pid = int(str(reporter.report()["pid"]))
    os.kill(pid, 0)  # still running: nobody waited for it to exit
    with open(hold, "w"):  # let it go
        pass


def test_nothing_to_start_is_false() -> None:
    assert open_with_browser_variable(URL, "/no/such/browser:'unbalanced") is False
    assert parse_browser_variable("::") == []


def test_the_command_line_opener_uses_browser(
    reporter: Reporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Today's bug: the whole variable went to webbrowser as one program name."""
    monkeypatch.setenv("BROWSER", reporter.command("--private-window"))
    assert system_browser_opener()(URL) is True
    assert reporter.report()["argv"] == ["--private-window", URL]


def test_no_browser_without_a_display_or_browser_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    if sys.platform.startswith("linux"):
        assert system_browser_opener()("http://127.0.0.1:9/") is False


def test_disabled_opener_never_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROWSER", "false %s")
    assert system_browser_opener(enabled=False)("http://127.0.0.1:9/") is False


def test_scopes_may_be_given_separately_or_space_joined() -> None:
    args = argparse.Namespace(scope=["read:assets write:assets", "read:assets", "admin"])
    assert _requested_scopes(args) == ("read:assets", "write:assets", "admin")
    assert _requested_scopes(argparse.Namespace(scope=None)) is None
