"""Copy-once on a real X server (Xvfb): the secret goes to the CLIPBOARD and the PRIMARY
selection (middle-click paste), and clearing takes it from both, as another application
would see them. The offscreen platform has no selection, so only X11 can show this."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.xvfb import xvfb_display
from twinedge_desktop.keyformat import generate_key

ROOT = Path(__file__).resolve().parents[3]
HELPER = ROOT / "tests" / "helpers" / "x11_clipboard.py"
ANSWER_TIMEOUT = 30.0  # a Qt process starting on a loaded machine


@pytest.fixture
def display() -> Iterator[str]:
    with xvfb_display() as name:
        yield name


def client_env(display: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(DISPLAY=display, PYTHONPATH=str(ROOT))
    return env


def read_selections(display: str, secret: str) -> dict[str, bool]:
    """What another X client pastes: whether each selection holds the secret."""
    done = subprocess.run(
        [sys.executable, str(HELPER), "read"],
        input=f"{secret}\n",
        capture_output=True,
        text=True,
        env=client_env(display),
        timeout=ANSWER_TIMEOUT,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


class Owner:
    """The app's side: a SecretClipboard in its own X client, answering line by line."""

    def __init__(self, display: str, secret: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HELPER), "owner"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
            env=client_env(display),
        )
        self.send(secret)
        assert self.answer() == "ready"

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n")
        self.process.stdin.flush()

    def answer(self) -> str:
        import select

        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], ANSWER_TIMEOUT)
        if not ready:
            raise TimeoutError(f"the clipboard owner did not answer in {ANSWER_TIMEOUT:.0f} s")
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        if self.process.poll() is None:
            self.send("exit")
            try:
                self.process.wait(timeout=ANSWER_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def test_copy_once_clears_the_x11_primary_selection_too(display: str) -> None:
    secret = generate_key()
    owner = Owner(display, secret)
    try:
        owner.send("copy")
        assert owner.answer() == "copied"
        before = read_selections(display, secret)
        assert before["supports_selection"]  # X11 has a PRIMARY selection
        assert before == {"supports_selection": True, "clipboard": True, "selection": True}

        owner.send("clear")  # what the countdown, quitting and closing the page do
        assert owner.answer() == "cleared True"
        # The owner is still running: a selection it had not released would still be
        # served to this reader.
        after = read_selections(display, secret)
        assert after == {"supports_selection": True, "clipboard": False, "selection": False}
    finally:
        owner.close()
