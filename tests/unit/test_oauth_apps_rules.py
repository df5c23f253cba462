"""The shared OAuth-application rules as pure functions (the sandbox runs the same table)."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.redirect_uri_cases import REDIRECT_CASES, RedirectCase
from twinedge_desktop.oauth_apps_rules import (
    BIDI_CONTROLS,
    MAX_REDIRECT_URI_LENGTH,
    ApplicationType,
    check_redirect_uris,
    name_problem,
    normalized_name,
    parse_application_type,
    redirect_uri_matches,
    redirect_uri_problem,
    scopes_beyond,
    scopes_problem,
    unique_scopes,
)

WEB, SPA, NATIVE, SERVICE = (
    ApplicationType.WEB,
    ApplicationType.SPA,
    ApplicationType.NATIVE,
    ApplicationType.SERVICE,
)


@pytest.mark.parametrize("case", REDIRECT_CASES, ids=lambda case: case.id)
def test_redirect_uri_table(case: RedirectCase) -> None:
    reason = redirect_uri_problem(case.application_type, case.uri)
    if case.refused_because is None:
        assert reason is None
    else:
        assert reason is not None and case.refused_because in reason
        assert "\n" not in reason and len(reason) < 160  # one line under a field


def test_every_type_has_accepted_and_refused_cases_in_the_table() -> None:
    for kind in (WEB, SPA, NATIVE):
        verdicts = {
            case.refused_because is None for case in REDIRECT_CASES if case.application_type is kind
        }
        assert verdicts == {True, False}, kind


def test_list_rules_give_a_reason_per_uri_and_for_the_list() -> None:
    uris = ["https://a.example.com/cb", "http://a.example.com/cb", "https://a.example.com/cb"]
    check = check_redirect_uris(WEB, uris)
    assert not check.ok and check.list_problem is None
    assert check.reasons[0] is None
    assert check.reasons[1] is not None and "http://" in check.reasons[1]
    assert check.reasons[2] == "is listed twice"
    first = check.first_problem()
    assert first is not None and first.startswith("redirect_uris[1] (http://a.example.com/cb)")

    ten = [f"https://a.example.com/cb{n}" for n in range(10)]
    assert check_redirect_uris(WEB, ten).ok
    eleven = check_redirect_uris(WEB, [*ten, "https://a.example.com/cb10"])
    assert eleven.list_problem is not None and "at most 10" in eleven.list_problem
    assert all(reason is None for reason in eleven.reasons)

    assert check_redirect_uris(NATIVE, []).list_problem == "add at least one redirect URI"
    assert check_redirect_uris(SERVICE, []).ok
    service = check_redirect_uris(SERVICE, ["https://a.example.com/cb"])
    assert service.list_problem is not None and "no redirect URIs" in service.list_problem


def test_a_long_uri_is_shortened_in_the_message() -> None:
    uri = "http://a.example.com/" + "x" * 500
    first = check_redirect_uris(WEB, [uri]).first_problem()
    assert first is not None and len(first) < 250 and "..." in first


@pytest.mark.parametrize(
    ("registered", "requested", "matches"),
    [
        ("http://127.0.0.1/callback", "http://127.0.0.1:51000/callback", True),
        ("http://127.0.0.1:8400/callback", "http://127.0.0.1:51000/callback", True),
        ("http://127.0.0.1/callback", "http://127.0.0.1/callback", True),
        ("http://[::1]/callback", "http://[::1]:51000/callback", True),
        ("http://127.0.0.1/callback?app=1", "http://127.0.0.1:51000/callback?app=1", True),
        ("com.example.app:/callback", "com.example.app:/callback", True),
        ("http://127.0.0.1/callback", "http://[::1]:51000/callback", False),
        ("http://127.0.0.1/callback", "http://127.0.0.1:51000/other", False),
        ("http://127.0.0.1/callback", "http://127.0.0.1:51000/callback/", False),
        ("http://127.0.0.1/callback", "http://127.0.0.1:51000/callback?x=1", False),
        ("http://127.0.0.1/callback", "http://127.0.0.1:051000/callback", False),
        ("http://127.0.0.1/callback", "http://127.0.0.1:0/callback", False),
        ("http://127.0.0.1/callback", "http://127.0.0.1:99999/callback", False),
        ("http://127.0.0.1/callback", "http://localhost:51000/callback", False),
        ("http://127.0.0.1/callback", "http://u@127.0.0.1:51000/callback", False),
        ("http://127.0.0.1/callback", "https://127.0.0.1:51000/callback", False),
        ("com.example.app:/callback", "com.example.app:/callback2", False),
        ("https://app.example.com/cb", "https://app.example.com:444/cb", False),
    ],
)
def test_native_loopback_redirects_match_on_any_port(
    registered: str, requested: str, matches: bool
) -> None:
    assert redirect_uri_matches(NATIVE, [registered], requested) is matches


def test_web_redirects_match_exactly_even_on_loopback() -> None:
    registered = ["http://127.0.0.1:8080/callback", "http://localhost:3000/cb"]
    assert redirect_uri_matches(WEB, registered, "http://127.0.0.1:8080/callback")
    assert not redirect_uri_matches(WEB, registered, "http://127.0.0.1:8081/callback")
    assert not redirect_uri_matches(SPA, registered, "http://localhost:3001/cb")
    assert not redirect_uri_matches(SERVICE, [], "https://a.example.com/cb")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("    ", "empty"),
        ("a" * 101, "longer than 100"),
        ("tab\there", "control character"),
        ("two\nlines", "control character"),
        ("null\x00byte", "control character"),
        ("delete\x7f", "control character"),
        ("line\u2028separator", "line or paragraph separator"),
        ("para\u2029graph", "line or paragraph separator"),
        ("\u2028leading separator", "line or paragraph separator"),
        ("\x1fleading unit separator", "control character"),
        ("invoice\u202egnp.exe", "bidirectional"),
        ("isolate\u2066d", "bidirectional"),
        ("mark\u200f", "bidirectional"),
        ("\u200b", "nothing visible"),
        ("\u200b\u200d\u2060", "nothing visible"),
        ("\u3164\u3164", "nothing visible"),
        ("\u2800", "nothing visible"),
        ("\u0301\u0301", "nothing visible"),
        ("private\ue000use", "cannot be displayed"),
        ("unassigned\U000e0fff", "cannot be displayed"),
    ],
)
def test_bad_names_are_refused_with_their_reason(name: str, reason: str) -> None:
    problem = name_problem(name)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "a" * 100,
        "  Plant dashboard  ",
        "Ünïcødé Wërks",
        "数字孪生 ダッシュボード",
        "🚀",
        "👩\u200d💻 dev tools",  # a ZWJ emoji sequence
        "<script>alert(1)</script> & Co",
        "a\u00a0b",
    ],
)
def test_good_names_are_accepted(name: str) -> None:
    assert name_problem(name) is None
    assert 1 <= len(normalized_name(name)) <= 100


def test_names_are_trimmed_and_counted_after_trimming() -> None:
    assert normalized_name("  x  ") == "x"
    assert name_problem(" " * 50 + "a" * 100 + " " * 50) is None


def test_scope_rules() -> None:
    assert scopes_problem([]) == "choose at least one scope"
    problem = scopes_problem(["read:assets", "read:everything"])
    assert problem is not None and "read:everything" in problem
    assert scopes_problem(["read:assets", "admin"]) is None
    assert unique_scopes(["b", "a", "b"]) == ("b", "a")
    assert scopes_beyond(["read:assets", "write:assets"], ["read:assets"]) == ("write:assets",)
    assert scopes_beyond(["admin", "write:assets"], ["admin"]) == ()
    assert scopes_beyond(["read:assets"], []) == ("read:assets",)


def test_application_types() -> None:
    assert [kind.value for kind in ApplicationType] == ["web", "spa", "native", "service"]
    assert {kind for kind in ApplicationType if kind.is_confidential} == {WEB, SERVICE}
    assert {kind for kind in ApplicationType if kind.requires_pkce} == {SPA, NATIVE}
    assert SERVICE.grant_types == ("client_credentials",)
    assert WEB.grant_types == ("authorization_code", "refresh_token")
    assert not SERVICE.uses_redirect_uris and NATIVE.uses_redirect_uris
    assert parse_application_type("spa") is SPA
    assert parse_application_type("SPA") is None and parse_application_type(3) is None
    assert all(kind.label for kind in ApplicationType)


# -- properties ----------------------------------------------------------------------------

_uri_text = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}/{path}",
        st.sampled_from(["http", "https", "HTTP", "com.example.app", "ftp"]),
        st.sampled_from(["127.0.0.1", "[::1]", "localhost", "app.example.com", "*.x.com", ""]),
        st.sampled_from(["", ":0", ":80", ":8080", ":65536", ":08", ":"]),
        st.text(alphabet="ab/%*#?=&.-_~ :@", max_size=20),
    ),
)


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(list(ApplicationType)), uri=_uri_text)
def test_accepted_uris_have_no_fragment_wildcard_or_odd_characters(
    kind: ApplicationType, uri: str
) -> None:
    if redirect_uri_problem(kind, uri) is not None:
        return
    assert kind is not SERVICE
    assert "#" not in uri and "*" not in uri and uri.isascii() and " " not in uri
    assert len(uri) <= MAX_REDIRECT_URI_LENGTH
    assert redirect_uri_matches(kind, [uri], uri)
    if uri.lower().startswith("http://"):
        assert any(host in uri.lower() for host in ("127.0.0.1", "[::1]", "localhost"))


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_accepted_names_are_one_visible_line_without_bidi_controls(name: str) -> None:
    if name_problem(name) is not None:
        return
    trimmed = normalized_name(name)
    assert 1 <= len(trimmed) <= 100
    assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name)
    assert not any(c in BIDI_CONTROLS for c in name)


def test_the_rules_import_without_qt_or_httpx() -> None:
    """The sandbox and the window's editor both import it: it must stay pure."""
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'qasync', 'shiboken6', 'httpx', 'keyring'):\n"
        "            raise ImportError('not allowed here: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import twinedge_desktop.oauth_apps_rules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
