"""Shared pieces of the core's integration tests against the real sandbox."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from tests.helpers.signin import async_complete_sign_in


class FormBrowser:
    """``open_browser`` for sign_in_with_browser: drives the sandbox's real sign-in and
    consent forms over HTTP, then follows the redirect to the loopback listener as a
    browser would (optionally tampering with the callback first)."""

    def __init__(
        self,
        *,
        email: str = "engineer@example.com",
        password: str = "twinedge-demo",
        decision: str = "allow",
        tamper: Callable[[dict[str, str]], dict[str, str]] | None = None,
    ) -> None:
        self.email = email
        self.password = password
        self.decision = decision
        self.tamper = tamper
        self.authorize_urls: list[str] = []
        self.callback_urls: list[str] = []
        self.pages: list[httpx.Response] = []
        self.tasks: list[asyncio.Task[None]] = []

    @property
    def listener_port(self) -> int:
        redirect = dict(parse_qsl(urlsplit(self.authorize_urls[-1]).query))["redirect_uri"]
        return int(urlsplit(redirect).port or 0)

    def __call__(self, url: str) -> bool:
        self.authorize_urls.append(url)
        self.tasks.append(asyncio.ensure_future(self._run(url)))
        return True

    async def _run(self, url: str) -> None:
        final = await async_complete_sign_in(
            url, email=self.email, password=self.password, decision=self.decision
        )
        if self.tamper is not None:
            parts = urlsplit(final)
            params = self.tamper(dict(parse_qsl(parts.query)))
            final = urlunsplit(parts._replace(query=urlencode(params)))
        self.callback_urls.append(final)
        async with httpx.AsyncClient(follow_redirects=True, timeout=15) as client:
            self.pages.append(await client.get(final))

    async def finished(self) -> None:
        await asyncio.wait_for(asyncio.gather(*self.tasks), 20)


def port_is_closed(port: int) -> bool:
    """True when nothing accepts connections on the port, on either loopback address."""
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue
        with sock:
            sock.settimeout(2)
            try:
                if sock.connect_ex((host, port)) == 0:
                    return False
            except OSError:
                continue
    return True
