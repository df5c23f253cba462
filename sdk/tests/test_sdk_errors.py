"""Typed errors after the seed's table, Retry-After, and the 429 retry budget (no I/O)."""

from __future__ import annotations

import email.utils

import httpx
import pytest
from sdk_helpers import MockApi, error_response, make_key

from twinedge import (
    InsufficientScope,
    InvalidClient,
    InvalidGrant,
    InvalidToken,
    RateLimited,
    TwinEdgeClient,
    TwinEdgeError,
)
from twinedge._http import RateLimitBudget, error_from_response, retry_after_seconds


def _response(status: int, **kwargs: object) -> httpx.Response:
    request = httpx.Request("GET", "https://api.twinedgeai.com/v1/assets")
    return httpx.Response(status, request=request, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "error", "cls"),
    [
        (401, "invalid_token", InvalidToken),
        (403, "insufficient_scope", InsufficientScope),
        (401, "invalid_client", InvalidClient),
        (400, "invalid_grant", InvalidGrant),
        (429, "rate_limited", RateLimited),
    ],
)
def test_each_seed_error_has_its_class(status: int, error: str, cls: type[TwinEdgeError]) -> None:
    response = _response(status, json={"error": error, "error_description": "Because."})
    raised = error_from_response(response)
    assert type(raised) is cls and isinstance(raised, TwinEdgeError)
    assert (raised.error, raised.description, raised.status) == (error, "Because.", status)
    assert str(raised) == f"Because. ({error}, HTTP {status})"


def test_without_a_body_the_status_and_challenge_decide() -> None:
    challenge = 'Bearer realm="TwinEdge", error="insufficient_scope", scope="read:alerts"'
    scoped = error_from_response(_response(403, headers={"WWW-Authenticate": challenge}))
    assert isinstance(scoped, InsufficientScope) and scoped.scope == "read:alerts"
    bare_401 = error_from_response(_response(401))
    assert isinstance(bare_401, InvalidToken) and bare_401.error == "invalid_token"
    assert isinstance(error_from_response(_response(401), token_endpoint=True), InvalidClient)
    limited = error_from_response(_response(429, headers={"Retry-After": "7"}))
    assert isinstance(limited, RateLimited) and limited.retry_after == 7.0
    other = error_from_response(
        _response(502, text="<html>bad gateway</html>", headers={"content-type": "text/html"})
    )
    assert type(other) is TwinEdgeError
    assert (other.error, other.status, other.description) == (
        "http_502",
        502,
        "HTTP 502 Bad Gateway",
    )


def test_a_validation_error_keeps_its_field() -> None:
    body = {"error": "invalid_request", "error_description": "name is required", "field": "name"}
    raised = error_from_response(_response(422, json=body))
    assert type(raised) is TwinEdgeError
    assert (raised.error, raised.field) == ("invalid_request", "name")


def test_server_text_is_scrubbed_of_the_secret_and_anything_key_or_token_shaped() -> None:
    key = make_key()
    other_key = make_key()
    jwt_like = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
    body = {
        "error": "invalid_token",
        "error_description": f"bad {key}; also {other_key} and {jwt_like} and secret-xyz\n\x1b[31m",
    }
    raised = error_from_response(_response(401, json=body), secrets=["secret-xyz"])
    for secret in (key, other_key, jwt_like, "secret-xyz"):
        assert secret not in str(raised) and secret not in repr(raised)
    assert "\x1b" not in raised.description and "\n" not in raised.description


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("3", 3.0),
        ("120", 120.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("١٢", None),  # Arabic-Indic digits are not HTTP's DIGIT
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_as_an_http_date() -> None:
    now = 1_800_000_000.0
    in_ten = email.utils.formatdate(now + 10, usegmt=True)
    assert retry_after_seconds(in_ten, now=now) == pytest.approx(10.0)
    in_the_past = email.utils.formatdate(now - 60, usegmt=True)
    assert retry_after_seconds(in_the_past, now=now) == 0.0


def test_the_budget_allows_at_most_the_attempts() -> None:
    budget = RateLimitBudget(attempts=3, max_wait=100)
    limited = _response(429, headers={"Retry-After": "2"})
    assert [budget.next_wait(limited) for _ in range(4)] == [2.0, 2.0, None, None]


def test_the_budget_never_starts_a_wait_it_cannot_finish() -> None:
    budget = RateLimitBudget(attempts=10, max_wait=5)
    assert budget.next_wait(_response(429, headers={"Retry-After": "3"})) == 3.0
    # 3 + 3 > 5: give up now rather than sleep and fail anyway.
    assert budget.next_wait(_response(429, headers={"Retry-After": "3"})) is None
    assert (
        RateLimitBudget(10, 30).next_wait(_response(429, headers={"Retry-After": "3600"})) is None
    )


def test_without_retry_after_the_budget_backs_off_exponentially() -> None:
    budget = RateLimitBudget(attempts=5, max_wait=100)
    waits = [budget.next_wait(_response(429)) for _ in range(5)]
    assert waits == [1.0, 2.0, 4.0, 8.0, None]


def test_one_attempt_means_no_retry() -> None:
    assert RateLimitBudget(1, 100).next_wait(_response(429, headers={"Retry-After": "0"})) is None


def test_request_can_return_error_responses_instead_of_raising() -> None:
    api = MockApi(lambda request: error_response(404, "not_found", "No API key with this id"))
    client = TwinEdgeClient(api_key=make_key(), http_client=api.client())
    response = client.request("DELETE", "/v1/api-keys/key_x", raise_for_status=False)
    assert response.status_code == 404
    with pytest.raises(TwinEdgeError) as caught:
        client.request("DELETE", "/v1/api-keys/key_x")
    assert (caught.value.error, caught.value.status) == ("not_found", 404)


def test_a_body_that_is_not_a_json_object_is_an_error_not_a_crash() -> None:
    api = MockApi(lambda request: httpx.Response(200, json=["not", "an", "object"]))
    client = TwinEdgeClient(api_key=make_key(), http_client=api.client())
    with pytest.raises(TwinEdgeError, match="not an object") as caught:
        client.assets.list()
    assert caught.value.error == "unexpected_response"
    html = MockApi(
        lambda request: httpx.Response(200, text="<html>", headers={"content-type": "text/html"})
    )
    with pytest.raises(TwinEdgeError, match="not JSON"):
        TwinEdgeClient(api_key=make_key(), http_client=html.client()).me()
