"""The one ``httpx.AsyncClient`` the services share, built with the house rules.

- Certificates are verified against the operating system's trust store
  (``truststore``), so corporate CAs installed on the machine work.
- HTTPS is required for every URL that is not on this computer: checked on
  every request, whichever code built the URL (discovery results included).
- Proxies come from the environment (``trust_env``), but loopback never goes
  through a proxy: the sandbox and the sign-in listener are on this machine.
- Timeouts everywhere; redirects are not followed silently.
"""

from __future__ import annotations

import ssl

import httpx

from twinedge_desktop import __version__
from twinedge_desktop.api.errors import InsecureUrl
from twinedge_desktop.api.urls import is_secure_url

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = f"twinedge-desktop/{__version__}"
# Connections kept per client; api/client.py caps requests in flight to the same number.
MAX_CONNECTIONS = 16
POOL_LIMITS = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=8)


async def require_secure_url(request: httpx.Request) -> None:
    """httpx request hook: refuse plain HTTP to anything but loopback (before it is sent)."""
    if not is_secure_url(str(request.url)):
        raise InsecureUrl(
            f"Refusing to send a request to {request.url.scheme}://{request.url.host}: only "
            "HTTPS is allowed for servers that are not on this computer."
        )


def os_trust_store_context() -> ssl.SSLContext:
    import truststore

    context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return context


def build_http_client(
    *, transport: httpx.AsyncBaseTransport | None = None, trust_env: bool = True
) -> httpx.AsyncClient:
    """The shared client; ``transport`` is for tests (``httpx.MockTransport``)."""
    no_proxy: dict[str, httpx.AsyncBaseTransport | None] = {
        "all://127.0.0.1": None,
        "all://[::1]": None,
        "all://localhost": None,
    }
    return httpx.AsyncClient(
        verify=os_trust_store_context(),
        trust_env=trust_env,
        timeout=DEFAULT_TIMEOUT,
        limits=POOL_LIMITS,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        event_hooks={"request": [require_secure_url]},
        transport=transport,
        mounts=None if transport is not None else no_proxy,
    )
