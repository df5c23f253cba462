"""Bad input gets a clear 400 or a 422 naming its field: never a 500, never a stored value
that breaks a later reader (issue 15, finding 4, and the same kind found on the way)."""

from __future__ import annotations

import base64
import json
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.oauth_apps import create_app, created
from tests.integration.sandbox.flows import HTTP, api, assert_error, user_tokens
from twinedge_desktop.sandbox.embedded import RunningSandbox, start_in_thread
from twinedge_desktop.sandbox.problems import Problem
from twinedge_desktop.sandbox.validation import MAX_SEQUENCE, decode_cursor, encode_cursor

KEYS = "/v1/api-keys"
APPS = "/v1/oauth-apps"
# Both list endpoints read limit and cursor with the same rules (validation.page_window).
LISTINGS = pytest.mark.parametrize("listing", [KEYS, APPS])


@pytest.fixture
def engineer(sandbox: RunningSandbox) -> str:
    token: str = user_tokens(sandbox.base_url, scope="read:assets write:assets")["access_token"]
    return token


def _post_json_text(base_url: str, token: str, text: str | bytes) -> httpx.Response:
    content = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return HTTP.post(
        base_url + KEYS,
        content=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def _create(base_url: str, token: str, body: Any) -> httpx.Response:
    return api(base_url, "POST", KEYS, token, json=body)


def _field_error(response: httpx.Response, field: str) -> str:
    body = assert_error(response, 422, "invalid_request")
    assert body["field"] == field, body
    return str(body["error_description"])


# -- JSON bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 1000, 5000, 10_000])
def test_deeply_nested_json_is_400(sandbox: RunningSandbox, engineer: str, depth: int) -> None:
    for text in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        body = assert_error(
            _post_json_text(sandbox.base_url, engineer, text), 400, "invalid_request"
        )
        assert "nested" in body["error_description"]


def test_nesting_up_to_the_limit_is_read(sandbox: RunningSandbox, engineer: str) -> None:
    nested: Any = "x"
    for _ in range(30):
        nested = [nested]
    response = _create(sandbox.base_url, engineer, {"name": nested, "scopes": ["read:assets"]})
    _field_error(response, "name")  # read, then refused for what it is: not a string


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(
    sandbox: RunningSandbox, engineer: str, constant: str
) -> None:
    text = f'{{"name": "k", "scopes": ["read:assets"], "expires_at": {constant}}}'
    assert_error(_post_json_text(sandbox.base_url, engineer, text), 400, "invalid_request")


def test_a_member_named_twice_is_refused(sandbox: RunningSandbox, engineer: str) -> None:
    """Two parsers could read two different names; the sandbox reads none."""
    text = '{"name": "shown", "name": "stored", "scopes": ["read:assets"]}'
    body = assert_error(_post_json_text(sandbox.base_url, engineer, text), 400, "invalid_request")
    assert "twice" in body["error_description"]
    assert api(sandbox.base_url, "GET", KEYS, engineer).json()["data"] == []


# -- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "a\ud800",  # a lone surrogate: could not be stored, was a 500
        "\udfff",
        "pay\u202eroll",  # right-to-left override
        *(f"x{chr(code)}y" for code in range(0x202A, 0x202F)),  # embeddings and overrides
        *(f"x{chr(code)}y" for code in range(0x2066, 0x206A)),  # isolates
        "x\u200fy",  # right-to-left mark
        "bell\u0007",  # C0
        "nel\u0085",  # C1
        "tab\there",
        "line\u2028break",
        "para\u2029break",
        "\u200b\u200b",  # zero-width spaces only
        "\u3164",  # Hangul filler: a letter that shows nothing
        "\u00a0\u2003",  # only spaces
        "\u0301\u0301",  # combining marks without a base
        "private\ue000",
        "unassigned\U000e0080",
    ],
)
def test_names_that_hide_or_reorder_text_are_422(
    sandbox: RunningSandbox, engineer: str, name: str
) -> None:
    text = json.dumps({"name": name, "scopes": ["read:assets"]})  # \\uXXXX escapes
    _field_error(_post_json_text(sandbox.base_url, engineer, text), "name")
    assert api(sandbox.base_url, "GET", KEYS, engineer).json()["data"] == []


@pytest.mark.parametrize(
    "name",
    [
        "Überwachung Süd",
        "計測サーバー",
        "مراقبة",  # Arabic letters: right-to-left text needs no control characters
        "👩\u200d🔧 field team",  # a ZWJ emoji sequence
        "CI · nightly — v2",
        " padded ",
    ],
)
def test_ordinary_names_in_any_script_are_fine(
    sandbox: RunningSandbox, engineer: str, name: str
) -> None:
    response = _create(sandbox.base_url, engineer, {"name": name, "scopes": ["read:assets"]})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name.strip()


def test_a_surrogate_in_a_field_name_is_a_clean_422(sandbox: RunningSandbox, engineer: str) -> None:
    text = '{"name": "k", "scopes": ["read:assets"], "\\ud800x": 1}'
    response = _post_json_text(sandbox.base_url, engineer, text)
    body = assert_error(response, 422, "invalid_request")
    assert "unknown field" in body["error_description"]


def test_a_surrogate_in_a_scope_is_a_clean_422(sandbox: RunningSandbox, engineer: str) -> None:
    text = '{"name": "k", "scopes": ["read:\\udc00"]}'
    _field_error(_post_json_text(sandbox.base_url, engineer, text), "scopes")


# -- expires_at ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expires_at",
    [
        "9999-12-31T23:59:59-23:59",  # year 10000 in UTC: broke every later key list
        "9999-12-31T23:59:59-00:01",
        "20300101T000000Z",  # ISO 8601 basic format
        "2030-W01-1T00:00:00Z",  # week date
        "2030-001T00:00:00Z",  # ordinal date
        "2030-01-01T00:00:00",  # no offset
        "2030-01-01",  # no time
        "2030-01-01T00:00Z",  # no seconds
        "2030-01-01 00:00:00Z",  # not "T"
        "2030-01-01T00:00:00+0530",  # offset without a colon
        "2030-01-01T00:00:00+24:00",
        "2030-01-01T00:00:00+05:60",
        "2030-02-30T00:00:00Z",
        "2030-12-31T23:59:60Z",  # a leap second Python cannot hold
        "2030-01-01T24:00:00Z",
        "+2030-01-01T00:00:00Z",
        "٢٠٣٠-01-01T00:00:00Z",  # Arabic-Indic digits
        " 2030-01-01T00:00:00Z",
        "2030-01-01T00:00:00Z\n",
        "2030-01-01T00:00:00." + "1" * 100 + "Z",
    ],
)
def test_expires_at_must_be_rfc3339_and_representable(
    sandbox: RunningSandbox, engineer: str, expires_at: str
) -> None:
    body = {"name": "k", "scopes": ["read:assets"], "expires_at": expires_at}
    _field_error(_create(sandbox.base_url, engineer, body), "expires_at")
    assert api(sandbox.base_url, "GET", KEYS, engineer).json()["data"] == []


@pytest.mark.parametrize(
    ("expires_at", "stored"),
    [
        ("2030-01-31T12:00:00Z", "2030-01-31T12:00:00Z"),
        ("2030-01-31t12:00:00z", "2030-01-31T12:00:00Z"),  # RFC 3339 §5.6 NOTE
        ("2030-01-31T12:00:00.5+01:00", "2030-01-31T11:00:00Z"),
        ("2030-01-31T23:30:00-14:00", "2030-02-01T13:30:00Z"),
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
        ("9999-12-31T23:59:59+14:00", "9999-12-31T09:59:59Z"),
    ],
)
def test_valid_rfc3339_times_are_stored_in_utc(
    sandbox: RunningSandbox, engineer: str, expires_at: str, stored: str
) -> None:
    body = {"name": "k", "scopes": ["read:assets"], "expires_at": expires_at}
    response = _create(sandbox.base_url, engineer, body)
    assert response.status_code == 201, response.text
    assert response.json()["expires_at"] == stored
    listed = api(sandbox.base_url, "GET", KEYS, engineer).json()["data"]
    assert datetime.fromisoformat(listed[0]["expires_at"]).tzinfo is not None


# -- list parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "limit=%D9%A1%D9%A2",  # "١٢": int() reads it as 12
        "limit=%205",  # " 5"
        "limit=5%20",
        "limit=%2B5",  # "+5"
        "limit=5.0",
        "limit=1e2",
        "limit=0x10",
        "limit=1_0",
        "limit=",
        "limit=-1",
        "limit=99999999999999999999999",
        "limit=5&limit=300",  # given twice: which one?
    ],
)
@LISTINGS
def test_limit_must_be_plain_digits(
    sandbox: RunningSandbox, engineer: str, query: str, listing: str
) -> None:
    response = HTTP.get(
        f"{sandbox.base_url}{listing}?{query}", headers={"Authorization": f"Bearer {engineer}"}
    )
    _field_error(response, "limit")


@LISTINGS
def test_limit_with_leading_zeros_is_still_a_number(
    sandbox: RunningSandbox, engineer: str, listing: str
) -> None:
    response = HTTP.get(
        f"{sandbox.base_url}{listing}?limit=007", headers={"Authorization": f"Bearer {engineer}"}
    )
    assert response.status_code == 200


@LISTINGS
@pytest.mark.parametrize("query", ["sort=name", "limit=5&offset=10", "cursor=&cursor="])
def test_unknown_or_repeated_list_parameters_are_422(
    sandbox: RunningSandbox, engineer: str, listing: str, query: str
) -> None:
    response = HTTP.get(
        f"{sandbox.base_url}{listing}?{query}", headers={"Authorization": f"Bearer {engineer}"}
    )
    assert assert_error(response, 422, "invalid_request")["field"] in ("sort", "offset", "cursor")


def _old_style_cursor(value: int, version: str = "k1") -> str:
    return base64.urlsafe_b64encode(f"{version}:{value}".encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _old_style_cursor(2**63),  # overflowed SQLite: a 500
        _old_style_cursor(5),  # well formed, but not one this server issued
        _old_style_cursor(2**63, "a1"),  # the OAuth-apps list's old cursor: a 500 there
        _old_style_cursor(5, "a1"),
        "k2." + base64.urlsafe_b64encode((2**63).to_bytes(8, "big") + b"\0" * 12).decode(),
        "k2.",
        "k2.!!!",
        "k2." + "A" * 200,
        "\u0661\u0662",
    ],
)
@LISTINGS
def test_cursors_the_server_did_not_issue_are_422(
    sandbox: RunningSandbox, engineer: str, cursor: str, listing: str
) -> None:
    response = api(sandbox.base_url, "GET", listing, engineer, params={"cursor": cursor})
    _field_error(response, "cursor")


@pytest.mark.parametrize("seq", [0, MAX_SEQUENCE + 1, 2**64 - 1])
def test_a_correctly_signed_cursor_out_of_range_is_refused(seq: int) -> None:
    """The range check behind the signature: reachable only with the server's own secret
    (a sequence the server never issues, or one SQLite's INTEGER cannot hold), so it is
    tested on decode_cursor directly, with a cursor signed as the server signs."""
    secret = b"s" * 32
    cursor = encode_cursor(secret, "api-keys", seq)
    with pytest.raises(Problem) as refused:
        decode_cursor(secret, "api-keys", cursor)
    assert (refused.value.status, refused.value.field) == (422, "cursor")


@pytest.mark.parametrize("seq", [1, 42, MAX_SEQUENCE])
def test_a_correctly_signed_cursor_in_range_is_read_back(seq: int) -> None:
    secret = b"s" * 32
    assert decode_cursor(secret, "api-keys", encode_cursor(secret, "api-keys", seq)) == seq
    with pytest.raises(Problem):  # another listing's cursor, same secret
        decode_cursor(secret, "apps", encode_cursor(secret, "api-keys", seq))


def _create_three(base_url: str, token: str, listing: str) -> None:
    for index in range(3):
        if listing == KEYS:
            _create(base_url, token, {"name": f"k{index}", "scopes": ["read:assets"]})
        else:
            created(create_app(base_url, token, name=f"k{index}"))


@LISTINGS
def test_a_tampered_cursor_is_422_and_the_real_one_works(
    sandbox: RunningSandbox, engineer: str, listing: str
) -> None:
    _create_three(sandbox.base_url, engineer, listing)
    first = api(sandbox.base_url, "GET", listing, engineer, params={"limit": 1}).json()
    cursor = first["next_cursor"]
    payload = bytearray(base64.urlsafe_b64decode(cursor[3:] + "=" * (-len(cursor[3:]) % 4)))
    payload[7] ^= 1  # another sequence number under the same MAC
    tampered = "k2." + base64.urlsafe_b64encode(bytes(payload)).rstrip(b"=").decode()
    _field_error(
        api(sandbox.base_url, "GET", listing, engineer, params={"cursor": tampered}), "cursor"
    )
    following = api(
        sandbox.base_url, "GET", listing, engineer, params={"limit": 1, "cursor": cursor}
    )
    assert following.status_code == 200
    assert following.json()["data"][0]["name"] == "k1"
    last = api(
        sandbox.base_url,
        "GET",
        listing,
        engineer,
        params={"limit": 5, "cursor": following.json()["next_cursor"]},
    ).json()
    assert [item["name"] for item in last["data"]] == ["k0"] and last["next_cursor"] is None


def test_a_cursor_of_one_listing_is_refused_by_the_other(
    sandbox: RunningSandbox, engineer: str
) -> None:
    for listing in (KEYS, APPS):
        _create_three(sandbox.base_url, engineer, listing)
    for issued_by, used_on in ((KEYS, APPS), (APPS, KEYS)):
        page = api(sandbox.base_url, "GET", issued_by, engineer, params={"limit": 1}).json()
        response = api(
            sandbox.base_url, "GET", used_on, engineer, params={"cursor": page["next_cursor"]}
        )
        _field_error(response, "cursor")


def test_cursors_survive_a_restart_of_a_data_file(tmp_path: Any) -> None:
    """The cursor secret is kept with the data, so a client paging across a restart of
    the same sandbox does not get a 422."""
    data = str(tmp_path / "cursor.sqlite3")
    with start_in_thread(data_path=data, test_controls=True) as first:
        token = user_tokens(first.base_url)["access_token"]
        HTTP.post(f"{first.base_url}/_sandbox/seed-keys", json={"count": 3})
        cursor = api(first.base_url, "GET", KEYS, token, params={"limit": 1}).json()["next_cursor"]
        port = int(first.base_url.rsplit(":", 1)[1])
    with start_in_thread(data_path=data, port=port) as second:
        page = api(second.base_url, "GET", KEYS, token, params={"cursor": cursor})
        assert page.status_code == 200 and len(page.json()["data"]) == 2


def test_every_422_names_a_field(sandbox: RunningSandbox, engineer: str) -> None:
    """Whole-body problems name no field (null); the key is there all the same."""
    for response in (
        _create(sandbox.base_url, engineer, ["not", "an", "object"]),
        _create(sandbox.base_url, engineer, {"name": "k"}),
        api(sandbox.base_url, "GET", KEYS, engineer, params={"sort": "name"}),
        HTTP.post(f"{sandbox.base_url}/_sandbox/clock", json=[1]),
    ):
        assert response.status_code == 422
        assert "field" in response.json()


# -- property: anything at all in a name --------------------------------------------------------


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[tuple[RunningSandbox, str]]:
    with start_in_thread() as running:
        token = user_tokens(running.base_url, scope="read:assets")["access_token"]
        yield running, token


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(alphabet=st.characters(exclude_categories=()), max_size=20))
def test_any_name_gets_201_or_422_and_what_is_stored_is_readable(
    shared_sandbox: tuple[RunningSandbox, str], name: str
) -> None:
    """Every code point, lone surrogates included (sent as JSON escapes)."""
    running, token = shared_sandbox
    text = json.dumps({"name": name, "scopes": ["read:assets"]})
    response = _post_json_text(running.base_url, token, text)
    assert response.status_code in (201, 422), response.text
    if response.status_code == 201:
        stored = response.json()["name"]
        assert all(unicodedata.category(char) not in ("Cc", "Cs", "Zl", "Zp") for char in stored)
    else:
        assert response.json()["field"] == "name"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    expires_at=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
    ).map(lambda moment: moment.isoformat())
    | st.text(max_size=40)
)
def test_any_expires_at_gets_201_or_422_and_lists_stay_readable(
    shared_sandbox: tuple[RunningSandbox, str], expires_at: str
) -> None:
    running, token = shared_sandbox
    body = {"name": "k", "scopes": ["read:assets"], "expires_at": expires_at}
    response = api(running.base_url, "POST", KEYS, token, json=body)
    assert response.status_code in (201, 422), response.text
    if response.status_code == 201:
        stored = datetime.fromisoformat(response.json()["expires_at"])
        assert stored > datetime.now(UTC)
        assert len(response.json()["expires_at"]) == len("2030-01-01T00:00:00Z")
