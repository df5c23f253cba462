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
size limit. :func:`get_json_document` (discovery, key sets, ``/me`` at sign-in) and
:func:`send_bounded` (every API answer, token and revocation requests) add the two missing bounds: a
deadline for the whole exchange and a byte cap enforced while the body streams in
(:func:`read_capped`, which also inflates gzip and deflate within the cap).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import zlib
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
    clean_server_text,
    transport_problem,
)
from twinedge_desktop.api.urls import display_url, is_secure_url

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = f"twinedge-desktop/{__version__}"
# Connections kept per client; api/client.py caps requests in flight to the same number.
MAX_CONNECTIONS = 16
POOL_LIMITS = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=8)

# Metadata and key-set documents. Real ones are a few KB (the sandbox's metadata is
# 889 bytes and its JWKS with one key 456; a JWKS with a handful of RSA keys ~2-3 KB);
# 1 MiB is hundreds of times that and still costs nothing to hold. A document this
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


# What is decoded here, within the cap, and asked for explicitly: were httpx to advertise
# br or zstd (when those packages happen to be installed) a server could answer with them.
ACCEPT_ENCODING = "gzip, deflate"
_ZLIB_WINDOW = {
    "gzip": zlib.MAX_WBITS | 16,
    "x-gzip": zlib.MAX_WBITS | 16,
    "deflate": zlib.MAX_WBITS,
}


class _BoundedInflater:
    """gzip / deflate decoding that never produces more than the cap allows.

    httpx's own decoders inflate each network chunk whole: 64 KiB of a gzip "bomb"
    becomes ~64 MiB before any check can see it (measured: +130 MiB of RSS for a
    1 GiB bomb), and two stacked encodings multiply that again. Here every call to
    zlib is given the room left under the cap as its ``max_length``.
    """

    def __init__(self, encoding: str, limit: int, what: str, status: int) -> None:
        self._decompressor = zlib.decompressobj(_ZLIB_WINDOW[encoding])
        self._raw_deflate_fallback = encoding == "deflate"  # "deflate" is sent both ways
        self._limit = limit
        self._what = what
        self._status = status

    def feed(self, data: bytes, body: bytearray) -> None:
        while data and not self._decompressor.eof:
            room = self._limit + 1 - len(body)  # >= 1: body never stays over the limit
            try:
                body += self._decompressor.decompress(data, room)
            except zlib.error:
                if self._raw_deflate_fallback:
                    self._raw_deflate_fallback = False
                    self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise self._undecodable() from None
            self._raw_deflate_fallback = False
            if len(body) > self._limit:
                raise _too_large(self._what, self._limit, self._status)
            data = self._decompressor.unconsumed_tail

    def finish(self, body: bytearray) -> None:
        try:
            body += self._decompressor.flush()
        except zlib.error:
            raise self._undecodable() from None
        if len(body) > self._limit:
            raise _too_large(self._what, self._limit, self._status)

    def _undecodable(self) -> FetchUnavailable:
        return FetchUnavailable(
            f"{self._what} could not be decompressed (it is damaged).",
            reason="damaged compression",
            status=self._status,
        )


def _too_large(what: str, limit: int, status: int) -> FetchTooLarge:
    return FetchTooLarge(
        f"{what} is larger than {describe_size(limit)}; reading stopped there.",
        reason=f"larger than {describe_size(limit)}",
        status=status,
    )


async def read_capped(response: httpx.Response, limit: int, *, what: str) -> bytes:
    """The decoded body of a streamed ``response``, refusing anything over ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before a byte is read.
    Otherwise the raw body is read a network chunk (at most 64 KiB) at a time and
    decoded here: plain bodies stop at the first chunk past the limit; gzip and
    deflate are inflated never more than one byte past it (see
    :class:`_BoundedInflater`). Any other or stacked ``Content-Encoding`` is refused
    (we ask for gzip and deflate only). At most ``limit`` + 64 KiB is ever held.
    """
    status = response.status_code
    try:
        # A response built in memory (httpx.MockTransport in tests) is whole and decoded
        # already: nothing streams, only its size is checked.
        whole = response.content
    except httpx.ResponseNotRead:
        pass
    else:
        if len(whole) > limit:
            raise _too_large(what, limit, status)
        return whole
    declared = response.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise FetchTooLarge(
            f"{what} is larger than {describe_size(limit)} ({int(declared):,} bytes announced); "
            "it was not read.",
            reason=f"larger than {describe_size(limit)}",
            status=status,
        )
    encodings = [
        value.strip().lower()
        for value in response.headers.get_list("content-encoding", split_commas=True)
        if value.strip().lower() not in ("", "identity")
    ]
    if len(encodings) > 1 or (encodings and encodings[0] not in _ZLIB_WINDOW):
        shown = clean_server_text(", ".join(encodings), 60)
        raise FetchUnavailable(
            f"{what} uses a content encoding this app does not read ({shown}).",
            reason="unsupported encoding",
            status=status,
        )
    inflater = _BoundedInflater(encodings[0], limit, what, status) if encodings else None
    body = bytearray()
    async for raw in response.aiter_raw():
        if inflater is not None:
            inflater.feed(raw, body)
            continue
        if len(body) + len(raw) > limit:
            raise _too_large(what, limit, status)
        body += raw
    if inflater is not None:
        inflater.finish(body)
    return bytes(body)


# An API answer or a token response: a full page of 200 keys is ~100 KB and the other
# answers are smaller; 8 MiB is eighty times that, and bounds what a broken or hostile
# server (or a captive portal's endless page) can make this process hold.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
# One exchange, whole: connect, send, headers and every byte of the answer. The same 30 s
# a single read may take, so a server that is merely slow fails no sooner than before,
# while one that trickles a byte at a time now fails instead of never.
EXCHANGE_DEADLINE_SECONDS = 30.0
# Headers that describe the body as it travelled, not the decoded bytes kept here.
_TRANSFER_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


async def send_bounded(
    http: httpx.AsyncClient,
    request: httpx.Request,
    *,
    deadline: float | None = None,
    max_bytes: int | None = None,
    what: str = "The server's answer",
) -> httpx.Response:
    """Send ``request`` and return the whole response, within a deadline and a byte cap.

    For every exchange whose answer is read whole (API calls, token and revocation
    requests): ``client.request()`` would read any amount, for as long as the server
    keeps sending. Raises ``TimeoutError`` when ``deadline`` (default
    :data:`EXCHANGE_DEADLINE_SECONDS`) passes, :class:`FetchTooLarge` (or
    :class:`FetchUnavailable` for an encoding that cannot be bounded) from
    :func:`read_capped`, and whatever ``client.send`` raises (``httpx`` errors, the
    client's hooks). The response's body is already read and decoded.
    """
    limit = MAX_RESPONSE_BYTES if max_bytes is None else max_bytes
    async with asyncio.timeout(EXCHANGE_DEADLINE_SECONDS if deadline is None else deadline):
        streamed = await http.send(request, stream=True)
        try:
            body = await read_capped(streamed, limit, what=what)
        finally:
            await streamed.aclose()
    headers = [
        (name, value)
        for name, value in streamed.headers.multi_items()
        if name.lower() not in _TRANSFER_HEADERS
    ]
    return httpx.Response(
        streamed.status_code,
        headers=headers,
        content=body,
        request=streamed.request,
        extensions={
            key: value
            for key, value in streamed.extensions.items()
            if key in ("http_version", "reason_phrase")
        },
    )


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
        # In words, never the exception's text (it may quote the address with credentials).
        problem = transport_problem(exc)
        raise FetchUnavailable(
            f"Could not fetch the {what} from {shown}: {problem}.", reason=problem
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
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
        event_hooks={"request": [require_secure_url]},
        transport=transport,
        mounts=None if transport is not None else no_proxy,
    )
