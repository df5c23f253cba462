"""Record what a sign-in keeps out of sight, so tests can look for it (or use it) later.

PKCE code verifiers never leave the session; tests that check no secret is written
anywhere, or that redeem a code with the app's own verifier, need to know them. The
loopback listener's port is only in the URL handed to the browser; tests that check
the port closes after a timeout or a cancel need it.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from twinedge_desktop.auth import session as session_module
from twinedge_desktop.auth.pkce import new_code_verifier


def record_code_verifiers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that every code verifier a sign-in draws is appended to, until the test ends."""
    verifiers: list[str] = []

    def recording() -> str:
        verifiers.append(new_code_verifier())
        return verifiers[-1]

    monkeypatch.setattr(session_module, "new_code_verifier", recording)
    return verifiers


class NoBrowser:
    """An ``open_browser`` that opens nothing, so a sign-in waits until it times out or
    is cancelled; it records the port of each sign-in's loopback listener (to check it
    closes) and sets ``opened`` when a sign-in has asked for a browser."""

    def __init__(self) -> None:
        self.ports: list[int] = []
        self.opened = asyncio.Event()

    def __call__(self, url: str) -> bool:
        redirect_uri = dict(httpx.URL(url).params)["redirect_uri"]
        self.ports.append(httpx.URL(redirect_uri).port or 0)
        self.opened.set()
        return False
