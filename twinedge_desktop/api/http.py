"""The one ``httpx.AsyncClient`` the services share, built with the house rules.

- Certificates are verified against the operating system's trust store
  (``truststore``), so corporate CAs installed on the machine work.
- HTTPS is required for every URL that is not on this computer: checked on
  every request, whichever code built the URL (discovery results included).
- Proxies come from the environment (``trust_env``), but loopback never goes
  through a proxy: the sandbox and the sign-in listener are on this machine.
- Timeouts everywhere; redirects are not followed silently.

httpx's timeouts are per network operation (connect, each read), not per request:
a server that sends one byte every few seconds never trips them, and a body has no
size limit. :func:`get_json_document` (discovery, key sets) and :func:`read_capped`
(every API answer) add the two missing bounds: a deadline for the whole exchange and
a byte cap enforced while the body streams in.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from twinedge_desktop import __version__
from twinedge_desktop.api.errors import (
    FetchNotJson,
    FetchTooLarge,
    FetchTooSlow,
    FetchUnavailable,
    InsecureUrl,
)
from twinedge_desktop.api.urls import display_url, is_secure_url

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = f"twinedge-desktop/{__version__}"
# Connections kept per client; api/client.py caps requests in flight to the same number.
MAX_CONNECTIONS = 16
POOL_LIMITS = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=8)

# Metadata and key-set documents. Real ones are 1-10 KB (TwinEdge's metadata is ~1 KB,
# Google's and Microsoft's OpenID documents ~2-4 KB, their JWKS ~1-3 KB); 1 MiB is a
# hundred times the largest seen and still costs nothing to hold. A document this
# size on a link that delivers it within the deadline needs only ~560 kbit/s.
MAX_DOCUMENT_BYTES = 1024 * 1024
# The whole fetch of one such document: DNS, connect, TLS, headers and body. A healthy
# server answers in well under a second; 15 s leaves room for a slow VPN, a cold TLS
# session and a proxy, and is what a person will wait before deciding it is broken.
DOCUMENT_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class JsonDocument:
    """A JSON document fetched whole: its parsed ``data`` and the response's headers."""

    url: str = field(repr=False)  # as asked for: it may carry credentials
    data: Any
    headers: httpx.Headers = field(repr=False)
    received_at: float  # wall-clock time when the response headers arrived


def describe_size(limit: int) -> str:
    """A byte count for a sentence: "1 MiB", "64 KiB", "1,000 bytes"."""
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit:,} bytes"


async def read_capped(response: httpx.Response, limit: int, *, what: str) -> bytes:
    """The body of a streamed ``response``, refusing anything over ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before a byte is read;
    otherwise reading stops at the first chunk that goes past the limit, so at most
    ``limit`` plus one network chunk (64 KiB) is ever read. The limit applies to the
    decoded body (what is held in memory): with ``Content-Encoding: gzip`` one network
    chunk can inflate to at most ~1000 times its size before the check sees it.
    """
    declared = response.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise FetchTooLarge(
            f"{what} is larger than {describe_size(limit)} ({int(declared):,} bytes announced); "
            "it was not read.",
            reason=f"larger than {describe_size(limit)}",
            status=response.status_code,
        )
    body = bytearray()
    async for chunk in response.aiter_bytes():
        if len(body) + len(chunk) > limit:
            raise FetchTooLarge(
                f"{what} is larger than {describe_size(limit)}; reading stopped there.",
                reason=f"larger than {describe_size(limit)}",
                status=response.status_code,
            )
        body.extend(chunk)
    return bytes(body)


async def get_json_document(
    http: httpx.AsyncClient,
    url: str,
    *,
    what: str = "document",
    max_bytes: int | None = None,
    timeout: float | None = None,
    headers: Mapping[str, str] | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> JsonDocument:
    """GET ``url`` and parse its JSON body, within a deadline and a byte cap.

    ``timeout`` bounds the whole exchange (connect, headers and every byte of the
    body), default :data:`DOCUMENT_TIMEOUT_SECONDS`; ``max_bytes`` caps the body,
    default :data:`MAX_DOCUMENT_BYTES` (both read at call time, so a test can lower
    them). Only a 200 answer's body is read.

    Raises :class:`FetchTooSlow`, :class:`FetchTooLarge`, :class:`FetchNotJson` or
    :class:`FetchUnavailable` (unreachable, or another status; ``.status`` says which),
    each with a sentence that names ``what`` and the address (credentials removed);
    the client's own hooks may raise :class:`InsecureUrl`.
    """
    limit = MAX_DOCUMENT_BYTES if max_bytes is None else max_bytes
    deadline = DOCUMENT_TIMEOUT_SECONDS if timeout is None else timeout
    shown = display_url(url)
    subject = f"The {what} at {shown}"
    request_headers = {"Accept": "application/json", **(headers or {})}
    try:
        async with (
            asyncio.timeout(deadline),
            http.stream("GET", url, headers=request_headers) as response,
        ):
            received_at = wall_clock()
            if response.status_code != 200:
                raise FetchUnavailable(
                    f"{subject} answered HTTP {response.status_code}.",
                    reason=f"HTTP {response.status_code}",
                    status=response.status_code,
                )
            body = await read_capped(response, limit, what=subject)
    except (TimeoutError, httpx.TimeoutException):
        raise FetchTooSlow(
            f"{subject} did not arrive within {deadline:g} s; stopped waiting.",
            reason="too slow",
        ) from None
    except (httpx.HTTPError, OSError) as exc:
        # Only the type: an exception's text may quote the address with its credentials.
        raise FetchUnavailable(
            f"Could not fetch the {what} from {shown} ({type(exc).__name__}).",
            reason=type(exc).__name__,
        ) from None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise FetchNotJson(f"{subject} is not JSON.", reason="not JSON", status=200) from None
    return JsonDocument(url=url, data=data, headers=response.headers, received_at=received_at)


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
