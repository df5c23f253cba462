"""The one-shot loopback listener (RFC 8252 §7.3/§8.3): addresses, filtering, page, closing."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import httpx
import pytest

from tests.helpers.loop_clock import loop_clock
from twinedge_desktop.auth.errors import SignInCancelled
from twinedge_desktop.auth.loopback import LoopbackListener, render_page


def port_accepts(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        try:
            sock.connect((host, port))
        except OSError:
            return False
        return True


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


async def test_binds_loopback_only_on_an_os_chosen_port() -> None:
    async with LoopbackListener() as listener:
        bound = [s.getsockname()[0] for srv in listener._servers for s in srv.sockets]
        assert "127.0.0.1" in bound
        assert not {"0.0.0.0", "::"} & set(bound)  # never a wildcard address
        assert listener.port > 0
        assert listener.redirect_uri == f"http://127.0.0.1:{listener.port}/callback"
        if ipv6_loopback_available():
            assert "::1" in bound
            assert f"[::1]:{listener.port}" in listener.addresses


async def test_probes_get_4xx_and_the_flow_goes_on() -> None:
    listener = LoopbackListener()
    await listener.start()
    try:
        base = f"http://127.0.0.1:{listener.port}"
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{base}/favicon.ico")).status_code == 404
            assert (await client.post(f"{base}/callback?code=x&state=y")).status_code == 405
            assert (await client.get(f"{base}/callback")).status_code == 400  # no parameters
            assert (await client.get(f"{base}/callback/extra?code=x&state=y")).status_code == 404
            rebinding = await client.get(
                f"{base}/callback?code=x&state=y", headers={"Host": f"evil.example:{listener.port}"}
            )
            assert rebinding.status_code == 400
            # Still waiting: none of those ended the flow.
            waiter = asyncio.ensure_future(listener.wait_for_callback())
            await asyncio.sleep(0)
            assert not waiter.done()
            good = await client.get(f"{base}/callback?code=abc&state=xyz&iss=https%3A%2F%2Fi")
            assert good.status_code == 303
            assert good.headers["Location"] == "/done"
            assert good.headers["Cache-Control"] == "no-store"
            assert good.headers["Referrer-Policy"] == "no-referrer"
            assert await asyncio.wait_for(waiter, 5) == {
                "code": "abc",
                "state": "xyz",
                "iss": "https://i",
            }
            again = await client.get(f"{base}/callback?code=abc&state=xyz")
            assert again.status_code == 400  # single use
    finally:
        await listener.aclose(grace=0)  # no browser will fetch the done page here


async def test_done_page_is_self_contained_escaped_and_not_cached() -> None:
    async with LoopbackListener() as listener:
        base = f"http://127.0.0.1:{listener.port}"
        async with httpx.AsyncClient(follow_redirects=True) as client:
            browser = asyncio.ensure_future(client.get(f"{base}/callback?error=x&state=s"))
            await asyncio.wait_for(listener.wait_for_callback(), 5)
            listener.finish(False, '<script>alert("x")</script> denied')
            page = await asyncio.wait_for(browser, 5)
        assert str(page.url) == f"{base}/done"  # the code-free URL
        assert page.status_code == 200
        assert "<script>" not in page.text
        assert "&lt;script&gt;" in page.text
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert "http" not in page.text.split("<body>")[1]  # no external resources or links


def test_rendered_page_has_no_external_resources() -> None:
    page = render_page(True, "ok").decode()
    assert "src=" not in page and "href=" not in page and "@import" not in page


async def test_closes_its_port_and_cancel_raises_sign_in_cancelled() -> None:
    listener = LoopbackListener()
    await listener.start()
    port = listener.port
    assert port_accepts("127.0.0.1", port)
    waiter = asyncio.ensure_future(listener.wait_for_callback())
    listener.cancel()
    with pytest.raises(SignInCancelled):
        await asyncio.wait_for(waiter, 5)
    await listener.aclose()
    assert not listener.is_serving
    assert not port_accepts("127.0.0.1", port)
    if ipv6_loopback_available():
        assert not port_accepts("::1", port)


async def test_garbage_and_oversized_requests_do_not_end_the_flow() -> None:
    async with LoopbackListener() as listener:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 400")
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(
            b"GET /callback?x HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * 40000 + b"\r\n\r\n"
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 4")
        assert listener.is_serving


async def test_a_callback_with_the_wrong_state_is_ignored_and_the_real_one_still_counts() -> None:
    """RFC 6749 §10.12: any local process can send ``GET /callback?state=x``; it is answered
    with a page saying it is not for this sign-in, and the listener keeps waiting."""
    async with LoopbackListener(expected_state="the-real-state-value") as listener:
        base = f"http://127.0.0.1:{listener.port}"
        waiter = asyncio.ensure_future(listener.wait_for_callback())
        async with httpx.AsyncClient() as client:
            for forged in ("state=x&code=forged", "code=forged", "error=access_denied&state="):
                page = await client.get(f"{base}/callback?{forged}")
                assert page.status_code == 400
                assert "not for the sign-in" in page.text
                assert page.headers["Cache-Control"] == "no-store"
            # A state that shares a long prefix is still not the state.
            near = await client.get(f"{base}/callback?state=the-real-state-valuE&code=c")
            assert near.status_code == 400
            await asyncio.sleep(0)
            assert not waiter.done() and listener.ignored_callbacks == 4
            real = await client.get(f"{base}/callback?state=the-real-state-value&code=c")
            assert real.status_code == 303
        assert await asyncio.wait_for(waiter, 5) == {"state": "the-real-state-value", "code": "c"}
        await listener.aclose(grace=0)  # no browser will fetch the done page here


async def test_an_oversized_request_with_the_right_host_is_refused() -> None:
    """20 KB of headers sent in one go with a Host the listener accepts: h11's own limit
    only covers an incomplete event, so the listener counts the bytes itself."""
    async with LoopbackListener(expected_state="s") as listener:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        request = (
            f"GET /callback?state=s&code=c HTTP/1.1\r\nHost: 127.0.0.1:{listener.port}\r\n"
            f"X-Padding: {'a' * 20_000}\r\n\r\n"
        ).encode()
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 431 ")
        assert b"Cache-Control: no-store" in answer
        # The oversized request did not count as the callback: the flow goes on.
        waiter = asyncio.ensure_future(listener.wait_for_callback())
        await asyncio.sleep(0)
        assert not waiter.done() and listener.is_serving
        async with httpx.AsyncClient() as client:
            ok = await client.get(f"http://127.0.0.1:{listener.port}/callback?state=s&code=c")
        assert ok.status_code == 303
        await asyncio.wait_for(waiter, 5)
        await listener.aclose(grace=0)  # no browser will fetch the done page here


async def test_a_slow_sender_is_cut_by_the_whole_request_deadline() -> None:
    """A byte every 0.1 s never lets a single read wait long, so only a deadline on the whole
    request ends it: the listener answers 408 and closes at the deadline."""
    deadline = 1.0
    async with LoopbackListener(expected_state="s", request_deadline=deadline) as listener:
        loop = asyncio.get_running_loop()
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        started = loop.time()
        request = f"GET /callback?state=s&code=c HTTP/1.1\r\nHost: 127.0.0.1:{listener.port}\r\n"

        async def trickle() -> None:
            with contextlib.suppress(ConnectionError):  # the listener hangs up on it
                for byte in (request + "X-Slow: " + "b" * 200).encode():
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.1)  # the sender's pace, not a wait for a result

        sender = asyncio.ensure_future(trickle())
        try:
            answer = await asyncio.wait_for(reader.read(), deadline + 5)
        finally:
            sender.cancel()
            writer.close()
        elapsed = loop.time() - started
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert deadline <= elapsed < deadline + 1.0
        assert listener.is_serving and not listener._callback.done()  # type: ignore[union-attr]


async def test_the_default_whole_request_deadline_is_about_ten_seconds() -> None:
    """A listener made as the sign-in makes it (no deadline given) cuts a request that has
    not arrived whole by ~10 s, and not before ~5 s (a slow but real browser gets time).
    Measured on a moved loop clock (tests/helpers/loop_clock.py): no real 10 s wait."""
    async with LoopbackListener(expected_state="s") as listener:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        try:
            writer.write(b"GET /callback?state=s&code=c HTTP/1.1\r\n")  # and nothing more
            await writer.drain()
            clock = loop_clock()
            await clock.advance(5.0)
            with pytest.raises(TimeoutError):  # still waiting for the rest of the request
                await asyncio.wait_for(reader.read(1), 0.3)
            await clock.advance(10.0)
            answer = await asyncio.wait_for(reader.read(), 5.0)
        finally:
            writer.close()
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert listener.is_serving and not listener._callback.done()  # type: ignore[union-attr]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_fixed_port_is_bound_and_a_taken_one_refused() -> None:
    """For a redirect URI registered with its port (the OAuth playground's web apps)."""
    port = free_port()
    async with LoopbackListener("/cb", port=port) as listener:
        assert listener.port == port
        assert listener.redirect_uri == f"http://127.0.0.1:{port}/cb"
        with pytest.raises(OSError):
            await LoopbackListener(port=port).start()
    assert not port_accepts("127.0.0.1", port)  # closed with the listener


async def test_extra_host_names_are_accepted_only_when_given() -> None:
    async with httpx.AsyncClient() as client:
        for names, expected in (((), 400), (("localhost",), 303)):
            port = free_port()
            async with LoopbackListener(port=port, host_names=names) as listener:
                answer = await client.get(
                    f"http://127.0.0.1:{port}/callback?code=x&state=y",
                    headers={"Host": f"localhost:{port}"},
                )
                assert answer.status_code == expected
                listener.finish(True, "done")
