"""A web page cannot drive the sandbox: test controls refuse cross-origin and non-JSON
requests, and every endpoint refuses a ``Host`` that is not this sandbox's loopback name
(DNS rebinding). Issue 15, finding 7, and the test-control inputs found on the way."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.helpers.sandbox import SandboxControls
from tests.integration.sandbox.flows import HTTP, api, assert_error, user_tokens
from twinedge_desktop.sandbox.embedded import RunningSandbox


def _port(sandbox: RunningSandbox) -> int:
    return int(sandbox.base_url.rsplit(":", 1)[1])


def _clock_still_real(sandbox: RunningSandbox, token: str) -> bool:
    """An access token of an hour still works: nobody shifted the clock by hours."""
    return api(sandbox.base_url, "GET", "/v1/me", token).status_code == 200


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1:{port}"]
)
def test_controls_refuse_cross_origin_requests(sandbox: RunningSandbox, origin: str) -> None:
    token = user_tokens(sandbox.base_url)["access_token"]
    response = HTTP.post(
        f"{sandbox.base_url}/_sandbox/clock",
        json={"shift_seconds": 7200},
        headers={"Origin": origin.format(port=_port(sandbox))},
    )
    assert_error(response, 403, "forbidden")
    assert _clock_still_real(sandbox, token)
    delete = HTTP.delete(
        f"{sandbox.base_url}/_sandbox/faults", headers={"Origin": "http://evil.example"}
    )
    assert_error(delete, 403, "forbidden")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",  # what a page's fetch() may send without a preflight
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
    ],
)
def test_controls_take_json_bodies_only(sandbox: RunningSandbox, content_type: str | None) -> None:
    token = user_tokens(sandbox.base_url)["access_token"]
    headers = {"Content-Type": content_type} if content_type else {}
    response = HTTP.post(
        f"{sandbox.base_url}/_sandbox/clock",
        content=json.dumps({"shift_seconds": 7200}).encode(),
        headers=headers,
    )
    assert_error(response, 415, "unsupported_media_type")
    assert _clock_still_real(sandbox, token)


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_controls_accept_the_sandboxs_own_origin(sandbox: RunningSandbox, name: str) -> None:
    own = f"http://{name}:{_port(sandbox)}"
    response = HTTP.post(
        f"{sandbox.base_url}/_sandbox/clock",
        json={"shift_seconds": 0},
        headers={"Origin": own, "Host": f"{name.lower()}:{_port(sandbox)}"},
    )
    assert response.status_code == 200, response.text


_ENDPOINTS = [
    ("GET", "/"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/oauth/authorize"),
    ("POST", "/oauth/token"),
    ("GET", "/v1/me"),
    ("GET", "/v1/api-keys"),
    ("GET", "/static/sandbox.css"),
    ("POST", "/_sandbox/clock"),
    ("DELETE", "/_sandbox/faults"),
]


@pytest.mark.parametrize(
    "host", ["rebind.evil.example:{port}", "127.0.0.1:{other}", "localhost", "127.0.0.2:{port}"]
)
def test_every_endpoint_refuses_a_foreign_host(sandbox: RunningSandbox, host: str) -> None:
    port = _port(sandbox)
    token = user_tokens(sandbox.base_url)["access_token"]
    for method, path in _ENDPOINTS:
        response = HTTP.request(
            method,
            f"{sandbox.base_url}{path}",
            headers={
                "Host": host.format(port=port, other=port + 1),
                "Authorization": f"Bearer {token}",
            },
            json={"shift_seconds": 7200} if method == "POST" else None,
        )
        body = assert_error(response, 400, "invalid_request")
        assert "Host" in body["error_description"], (method, path)
    assert _clock_still_real(sandbox, token)


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "Localhost", "[::1]"])
def test_loopback_names_with_the_right_port_are_answered(
    sandbox: RunningSandbox, name: str
) -> None:
    response = HTTP.get(
        f"{sandbox.base_url}/.well-known/jwks.json", headers={"Host": f"{name}:{_port(sandbox)}"}
    )
    assert response.status_code == 200


def test_a_request_without_host_is_refused(sandbox: RunningSandbox) -> None:
    """HTTP/1.0 allows leaving Host out; nothing the sandbox serves needs it."""
    import socket

    port = _port(sandbox)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"GET /.well-known/jwks.json HTTP/1.0\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]


# -- test-control inputs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/_sandbox/clock", b'{"shift_seconds": NaN}', None),  # NaN froze every request
        ("/_sandbox/clock", b'{"shift_seconds": 1e300}', "shift_seconds"),
        ("/_sandbox/clock", b'{"shift_seconds": -1e300}', "shift_seconds"),
        ("/_sandbox/rate-limit", b'{"limit": 1e400}', None),  # Infinity
        ("/_sandbox/rate-limit", b'{"limit": 2.5}', "limit"),
        ("/_sandbox/rate-limit", b'{"window_seconds": 0}', "window_seconds"),
        ("/_sandbox/faults", b'{"path": "/v1/me", "delay": 1e9}', "delay"),
        ("/_sandbox/faults", b'{"path": "/v1/me", "count": 1e12}', "count"),
        ("/_sandbox/faults", b'{"path": "/v1/me", "method": "GET /x"}', "method"),
        ("/_sandbox/faults", b'{"path": "/' + b"x" * 2000 + b'"}', "path"),
        ("/_sandbox/seed-keys", b'{"count": 100001}', "count"),
        ("/_sandbox/seed-keys", b'{"count": true}', "count"),
        ("/_sandbox/seed-usage", b'{"key_id": "key_nope"}', "key_id"),
        ("/_sandbox/clock", b"[" * 5000 + b"]" * 5000, None),
    ],
)
def test_control_inputs_get_clear_errors_and_change_nothing(
    sandbox: RunningSandbox, path: str, body: bytes, field: str | None
) -> None:
    token = user_tokens(sandbox.base_url)["access_token"]
    response = HTTP.post(
        sandbox.base_url + path, content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    if response.status_code == 422:
        assert response.json()["field"] == field
    assert _clock_still_real(sandbox, token)
    assert HTTP.get(f"{sandbox.base_url}/.well-known/jwks.json").status_code == 200


def test_the_clock_moves_ten_years_at_most(
    sandbox: RunningSandbox, sandbox_controls: SandboxControls
) -> None:
    sandbox_controls.shift_clock(10 * 365 * 86400)
    assert HTTP.get(f"{sandbox.base_url}/.well-known/jwks.json").status_code == 200
    with pytest.raises(httpx.HTTPStatusError):
        sandbox_controls.shift_clock(11 * 366 * 86400)


def test_faults_are_bounded(sandbox: RunningSandbox, sandbox_controls: SandboxControls) -> None:
    for _ in range(100):
        added = HTTP.post(
            f"{sandbox.base_url}/_sandbox/faults", json={"path": "/v1/nothing", "status": 500}
        )
        assert added.status_code == 201
    response = HTTP.post(
        f"{sandbox.base_url}/_sandbox/faults", json={"path": "/v1/nothing", "status": 500}
    )
    assert_error(response, 409, "conflict")
    sandbox_controls.clear_faults()
    sandbox_controls.fault("/v1/nothing", status=500)
