"""The command line's browser opener: $BROWSER honoured, nothing launched without a display."""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
from pathlib import Path

import pytest

from twinedge_desktop.cli.auth import _requested_scopes, system_browser_opener


def test_browser_env_is_honoured_and_gets_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "opened.txt"
    script = f"import sys; open({str(out)!r}, 'w').write(sys.argv[1])"
    monkeypatch.setenv("BROWSER", f"{shlex.quote(sys.executable)} -c {shlex.quote(script)} %s")
    url = "http://127.0.0.1:9/authorize?state=abc&x=1"
    assert system_browser_opener()(url) is True
    for thread in threading.enumerate():
        if thread.name == "open-browser":
            thread.join(timeout=30)
    assert out.read_text() == url


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
