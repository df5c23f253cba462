"""Whole-operation deadlines and byte caps, against a real misbehaving server on loopback.

httpx's timeouts are per read: a server trickling a byte every fraction of a second
never trips them, and nothing limits a body's size. ``get_json_document`` (metadata,
key sets) and ``ApiClient`` (every API answer) must end such exchanges quickly, with
a typed error that says why, and must stop reading an endless body at the cap.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.helpers.hostile_server import Document, Endless, Silent, Trickle, hostile_server
from tests.helpers.loop_clock import loop_clock
from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.errors import (
    FetchNotJson,
    FetchTooLarge,
    FetchTooSlow,
    FetchUnavailable,
    NetworkError,
)
from twinedge_desktop.api.http import (
    DOCUMENT_TIMEOUT_SECONDS,
    MAX_DOCUMENT_BYTES,
    build_http_client,
    get_json_document,
    send_bounded,
)

# Every wait in these tests is bounded by this, far above the deadlines under test: without
# the deadlines the trickling and endless servers never end, and the bound is what fails.
BOUND = 20.0
# Loopback socket buffers hold a few MiB between a server and a client that stopped
# reading; a client that read an endless body would instead take everything offered.
SOCKET_BUFFER_SLACK = 32 * 1024 * 1024


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    http = build_http_client(trust_env=False)
    yield http
    await http.aclose()


async def _no_sleep(seconds: float) -> None:
    return None


async def test_a_trickling_document_ends_at_the_deadline_as_too_slow(
    client: httpx.AsyncClient,
) -> None:
    server = hostile_server({"/jwks": Trickle(interval=0.1)})
    with server, pytest.raises(FetchTooSlow) as caught:
        await asyncio.wait_for(
            get_json_document(client, server.url("/jwks"), what="key set", timeout=1.0), BOUND
        )
    message = str(caught.value)
    assert message == f"The key set at {server.url('/jwks')} did not arrive within 1 s; " + (
        "stopped waiting."
    )
    assert caught.value.reason == "too slow"


async def test_a_server_that_never_answers_ends_at_the_deadline(
    client: httpx.AsyncClient,
) -> None:
    server = hostile_server({"/meta": Silent()})
    with server, pytest.raises(FetchTooSlow, match=r"did not arrive within 0\.5 s"):
        await asyncio.wait_for(get_json_document(client, server.url("/meta"), timeout=0.5), BOUND)


async def test_an_endless_body_stops_at_the_cap_without_reading_on(
    client: httpx.AsyncClient,
) -> None:
    with hostile_server({"/endless": Endless()}) as server:
        with pytest.raises(FetchTooLarge) as caught:
            await asyncio.wait_for(
                get_json_document(client, server.url("/endless"), what="issuer metadata"),
                BOUND,
            )
        assert server.finished("/endless"), "the server kept sending: the client kept reading"
        sent = server.sent["/endless"]
    assert "is larger than 1 MiB; reading stopped there" in str(caught.value)
    assert str(caught.value).startswith("The issuer metadata at http://127.0.0.1:")
    assert sent < MAX_DOCUMENT_BYTES + SOCKET_BUFFER_SLACK


async def test_an_announced_oversized_length_is_refused_before_reading(
    client: httpx.AsyncClient,
) -> None:
    server = hostile_server({"/huge": Endless(content_length=2 * 1024**3)})
    with server, pytest.raises(FetchTooLarge, match=r"2,147,483,648 bytes announced\); it was"):
        await asyncio.wait_for(get_json_document(client, server.url("/huge")), BOUND)


def _gzip_of_zeros(size: int) -> bytes:
    """``size`` zero bytes gzip-compressed (~1,000:1), without ever holding them."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    block = bytes(1024 * 1024)
    return b"".join(compressor.compress(block) for _ in range(size // len(block))) + (
        compressor.flush()
    )


async def test_a_compression_bomb_is_never_inflated_past_the_cap(
    client: httpx.AsyncClient,
) -> None:
    # 256 MiB of zeros in ~256 KiB of gzip: one 64 KiB network chunk alone inflates to
    # ~64 MiB if decoded whole. Python allocations (the decoded bytes among them) are
    # traced while the document is fetched: the peak must stay near the 1 MiB cap.
    route = Document(_gzip_of_zeros(256 * 1024 * 1024), headers={"Content-Encoding": "gzip"})
    with hostile_server({"/bomb": route}) as server:
        tracemalloc.start()
        try:
            with pytest.raises(FetchTooLarge, match="larger than 1 MiB; reading stopped there"):
                await asyncio.wait_for(get_json_document(client, server.url("/bomb")), BOUND)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"{peak / 1024 / 1024:.1f} MiB held at the peak"


async def test_stacked_or_unknown_encodings_are_refused(client: httpx.AsyncClient) -> None:
    twice = gzip.compress(gzip.compress(b'{"keys": []}'))
    routes = {
        "/twice": Document(twice, headers={"Content-Encoding": "gzip, gzip"}),
        "/br": Document(b"\x8b\x05\x80{}\x03", headers={"Content-Encoding": "br"}),
    }
    with hostile_server(routes) as server:
        for path, shown in (("/twice", "gzip, gzip"), ("/br", "br")):
            with pytest.raises(FetchUnavailable) as caught:
                await asyncio.wait_for(get_json_document(client, server.url(path)), BOUND)
            assert f"uses a content encoding this app does not read ({shown})" in str(caught.value)


async def test_the_client_asks_only_for_the_encodings_it_can_bound(
    client: httpx.AsyncClient,
) -> None:
    assert client.headers["accept-encoding"] == "gzip, deflate"


async def test_a_page_that_is_not_json_is_a_typed_error(client: httpx.AsyncClient) -> None:
    page = Document(b"<html>captive portal</html>", content_type="text/html")
    server = hostile_server({"/portal": page})
    with server, pytest.raises(FetchNotJson, match=r"^The document at .* is not JSON\.$"):
        await asyncio.wait_for(get_json_document(client, server.url("/portal")), BOUND)


async def test_another_status_is_unavailable_with_the_status(client: httpx.AsyncClient) -> None:
    with hostile_server({}) as server, pytest.raises(FetchUnavailable) as caught:
        await asyncio.wait_for(get_json_document(client, server.url("/missing")), BOUND)
    assert caught.value.status == 404
    assert caught.value.reason == "HTTP 404"


async def test_an_unreachable_server_is_unavailable_and_names_no_credentials(
    client: httpx.AsyncClient,
) -> None:
    with hostile_server({}) as server:
        url = server.url("/x").replace("http://", "http://someone:hunter2-password@")
    # The server has stopped: the port now refuses connections.
    with pytest.raises(FetchUnavailable) as caught:
        await asyncio.wait_for(get_json_document(client, url), BOUND)
    # In words (issue 11: no message names an exception class), never the address.
    assert caught.value.reason == "nothing answered there (connection refused)"
    assert "ConnectError" not in str(caught.value)
    assert "hunter2" not in str(caught.value) and "someone" not in str(caught.value)


async def test_a_good_document_is_returned_with_its_headers(client: httpx.AsyncClient) -> None:
    body = json.dumps({"keys": []}).encode()
    route = Document(body, headers={"Cache-Control": "max-age=60"})
    with hostile_server({"/jwks": route}) as server:
        document = await asyncio.wait_for(get_json_document(client, server.url("/jwks")), BOUND)
    assert document.data == {"keys": []}
    assert document.headers["cache-control"] == "max-age=60"


def test_the_production_limits_are_generous_for_real_servers() -> None:
    # Real metadata and key sets are a few KB and arrive in well under a second.
    assert MAX_DOCUMENT_BYTES == 1024 * 1024
    assert 10.0 <= DOCUMENT_TIMEOUT_SECONDS <= 15.0


# --- the API client -------------------------------------------------------------------
class _Tokens:
    async def access_token(self) -> str:
        return "user-token-for-limits"

    async def handle_unauthorized(self, rejected_token: str) -> str:
        return "user-token-for-limits"


async def test_api_requests_that_trickle_end_after_bounded_attempts(
    client: httpx.AsyncClient,
) -> None:
    with hostile_server({"/v1/api-keys": Trickle(interval=0.1)}) as server:
        api = ApiClient(
            client,
            server.url("/v1"),
            _Tokens(),
            sleep=_no_sleep,
            max_attempts=2,
            attempt_deadline=0.5,
        )
        with pytest.raises(NetworkError, match="did not answer in time"):
            await asyncio.wait_for(api.request("GET", "/api-keys"), BOUND)
        assert server.requests == ["/v1/api-keys", "/v1/api-keys"]  # retried once, then done


async def test_an_endless_api_answer_stops_at_the_cap_and_is_not_retried(
    client: httpx.AsyncClient,
) -> None:
    with hostile_server({"/v1/me": Endless()}) as server:
        api = ApiClient(
            client, server.url("/v1"), _Tokens(), sleep=_no_sleep, max_response_bytes=256 * 1024
        )
        with pytest.raises(FetchTooLarge, match="answer is larger than 256 KiB"):
            await asyncio.wait_for(api.request("GET", "/me"), BOUND)
        assert server.finished("/v1/me")
        assert server.requests == ["/v1/me"]
        assert server.sent["/v1/me"] < 256 * 1024 + SOCKET_BUFFER_SLACK


@pytest.mark.parametrize("encoding", ["gzip", "deflate (zlib)", "deflate (raw)"])
async def test_compressed_api_answers_are_still_read_whole(
    client: httpx.AsyncClient, encoding: str
) -> None:
    # The client decodes the body itself (to bound it) and rebuilds the response: the
    # decoded body must not be decoded a second time. "deflate" is sent both with and
    # without its zlib wrapper in the wild.
    document = json.dumps({"sub": "user-1", "scopes": ["read:assets"]}).encode()
    if encoding == "gzip":
        body = gzip.compress(document)
    elif encoding == "deflate (zlib)":
        body = zlib.compress(document)
    else:
        raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body = raw.compress(document) + raw.flush()
    route = Document(body, headers={"Content-Encoding": encoding.split()[0]})
    with hostile_server({"/v1/me": route}) as server:
        api = ApiClient(client, server.url("/v1"), _Tokens(), sleep=_no_sleep)
        response = await asyncio.wait_for(api.request("GET", "/me"), BOUND)
    assert response.json() == {"sub": "user-1", "scopes": ["read:assets"]}
    assert "content-encoding" not in response.headers


async def test_a_damaged_compressed_answer_is_a_typed_error(client: httpx.AsyncClient) -> None:
    route = Document(b"\x1f\x8b\x08\x00garbage-not-gzip", headers={"Content-Encoding": "gzip"})
    with hostile_server({"/v1/me": route}) as server:
        api = ApiClient(client, server.url("/v1"), _Tokens(), sleep=_no_sleep)
        with pytest.raises(FetchUnavailable, match="could not be decompressed"):
            await asyncio.wait_for(api.request("GET", "/me"), BOUND)


async def test_send_bounded_ends_a_trickling_token_response(client: httpx.AsyncClient) -> None:
    # How the sign-in code can send its token and revocation requests (a form POST).
    with hostile_server({"/oauth/token": Trickle(interval=0.1)}) as server:
        request = client.build_request(
            "POST", server.url("/oauth/token"), data={"grant_type": "refresh_token"}
        )
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(send_bounded(client, request, deadline=0.5), BOUND)


async def test_send_bounded_returns_a_whole_decoded_response(client: httpx.AsyncClient) -> None:
    body = gzip.compress(json.dumps({"access_token": "x", "expires_in": 3600}).encode())
    route = Document(body, headers={"Content-Encoding": "gzip"})
    with hostile_server({"/oauth/token": route}) as server:
        request = client.build_request("POST", server.url("/oauth/token"), data={"a": "b"})
        response = await asyncio.wait_for(send_bounded(client, request), BOUND)
    assert response.status_code == 200
    assert response.json() == {"access_token": "x", "expires_in": 3600}


# --- the production defaults, as ApiClient and send_bounded use them when told nothing ---
async def test_the_default_attempt_deadline_ends_a_trickling_answer_at_about_30_s(
    client: httpx.AsyncClient,
) -> None:
    """No deadline given: a trickling answer is still awaited after 25 s of the loop's
    clock (a slow real server is not cut) and has failed by 50 s. The clock is moved
    (tests/helpers/loop_clock.py) in 5 s steps while bytes keep arriving in real time,
    so httpx's own 30 s per-read timeout never fires: only the whole-attempt one can."""
    with hostile_server({"/v1/api-keys": Trickle(interval=0.02)}) as server:
        api = ApiClient(client, server.url("/v1"), _Tokens(), sleep=_no_sleep, max_attempts=1)
        attempt = asyncio.ensure_future(api.request("GET", "/api-keys"))
        clock = loop_clock()
        try:
            for _ in range(5):
                await clock.advance(5.0)
                await asyncio.sleep(0.1)  # real time for a few trickled bytes to arrive
            assert not attempt.done(), "cut before 25 s"
            for _ in range(5):
                await clock.advance(5.0)
                await asyncio.sleep(0.1)
                if attempt.done():
                    break
            with pytest.raises(NetworkError, match="did not answer in time"):
                await asyncio.wait_for(attempt, 1.0)
        finally:
            attempt.cancel()
        assert server.requests == ["/v1/api-keys"] and server.sent["/v1/api-keys"] > 10


async def test_the_default_response_cap_is_8_mib(client: httpx.AsyncClient) -> None:
    """No cap given: an endless answer stops at 8 MiB (API calls and token requests),
    read no further than the cap plus what loopback buffers hold."""
    with hostile_server({"/v1/me": Endless(), "/oauth/token": Endless()}) as server:
        api = ApiClient(client, server.url("/v1"), _Tokens(), sleep=_no_sleep)
        with pytest.raises(FetchTooLarge, match="larger than 8 MiB"):
            await asyncio.wait_for(api.request("GET", "/me"), BOUND)
        request = client.build_request("POST", server.url("/oauth/token"), data={"a": "b"})
        with pytest.raises(FetchTooLarge, match="larger than 8 MiB"):
            await asyncio.wait_for(send_bounded(client, request), BOUND)
        for path in ("/v1/me", "/oauth/token"):
            assert server.finished(path)
            assert 8 * 1024**2 <= server.sent[path] < 8 * 1024**2 + SOCKET_BUFFER_SLACK
