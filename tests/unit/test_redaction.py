"""Redaction: every form a secret field takes in a log line, and secrets the process holds.

The forms come from what reaches logs in practice: form bodies and query strings,
JSON, Python reprs of dicts and dataclasses, URL-encoded query strings inside
other URLs, JSON quoted inside JSON, command lines. Properties are checked with
hypothesis over the field names and values; the registry with real threads.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from twinedge_desktop import redaction
from twinedge_desktop.keyformat import generate_key
from twinedge_desktop.redaction import (
    MAX_SECRETS,
    MIN_SECRET_LENGTH,
    REDACTED,
    RedactingFilter,
    forget_all_secrets,
    forget_secret,
    redact,
    register_secret,
    registered_secret_count,
)


@pytest.fixture(autouse=True)
def empty_registry() -> Iterator[None]:
    forget_all_secrets()
    yield
    forget_all_secrets()


NAMES = ("refresh_token", "access_token", "client_secret", "code_verifier", "code", "password")

# Each form puts ``value`` in the field ``name`` as it appears in some log line.
FORMS: dict[str, Callable[[str, str], str]] = {
    "form body": lambda n, v: f"grant_type=x&{n}={v}&scope=read:assets",
    "query string": lambda n, v: f"GET /callback?{n}={v}&iss=https://a.test",
    "json": lambda n, v: f'{{"{n}": "{v}", "token_type": "Bearer"}}',
    "json no space": lambda n, v: f'{{"{n}":"{v}"}}',
    "json in json": lambda n, v: f'{{"body": "{{\\"{n}\\": \\"{v}\\"}}"}}',
    "python dict repr": lambda n, v: f"{{'{n}': '{v}', 'expires_in': 3600}}",
    "python dict repr, double": lambda n, v: f'{{"{n}": "{v}"}}',
    "dataclass repr": lambda n, v: f"Tokens({n}='{v}', expires_in=3600)",
    "yaml": lambda n, v: f"{n}: {v}\nnext: line",
    "header": lambda n, v: f"X-{n}: {v}",
    "url-encoded": lambda n, v: f"next=%2Fcb%3F{n}%3D{quote(v, safe='')}%26state%3Dabc",
    "url-encoded json": lambda n, v: f"q=%7B%22{n}%22%3A%22{quote(v, safe='')}%22%7D",
    "double-encoded": lambda n, v: f"u=%2Fcb%253F{n}%253D{v}",
    "spaced": lambda n, v: f"{n} = {v}",
}
# Forms whose value is quoted may hold spaces and punctuation: all of it must go.
QUOTED_FORMS = ("json", "json no space", "python dict repr", "dataclass repr")
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("form", list(FORMS))
def test_each_secret_field_is_hidden_in_each_form(name: str, form: str) -> None:
    value = "Zq7-secret.VALUE_x9"
    text = FORMS[form](name, value)
    out = redact(text)
    assert value not in out, out
    assert quote(value, safe="") not in out, out
    assert REDACTED in out


@given(
    st.sampled_from(NAMES),
    st.sampled_from(list(FORMS)),
    st.text(TOKEN_ALPHABET, min_size=4, max_size=60),
)
def test_any_token_shaped_value_is_hidden_in_any_form(name: str, form: str, value: str) -> None:
    text = FORMS[form](name, value)
    assume(value not in FORMS[form](name, ""))  # the value must not be part of the template
    assert value not in redact(text)


@given(
    st.sampled_from(NAMES),
    st.sampled_from(QUOTED_FORMS),
    st.text(st.characters(blacklist_characters="'\"\\", blacklist_categories=["Cs"]), min_size=3),
)
def test_quoted_values_are_hidden_whole_spaces_included(name: str, form: str, value: str) -> None:
    text = FORMS[form](name, value)
    assume(value.strip() and value not in FORMS[form](name, ""))
    out = redact(text)
    assert value not in out
    # Not even a word of a passphrase is left: what is between the quotes is replaced.
    for word in value.split():
        if len(word) > 3:
            assert word not in out.replace(name, "").replace("expires_in", ""), (word, out)


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abc.DEF-ghi_jkl",
        "authorization%3A%20Bearer%20abc.DEF-ghi_jkl",
        "Authorization: bearer+abc.DEF-ghi_jkl",
        "Authorization: Basic YWJjLkRFRi1naGlfamts",
        "--client-secret abc.DEF-ghi_jkl --scope read:assets",
        "--password=abc.DEF-ghi_jkl",
    ],
)
def test_schemes_and_flags_are_hidden(text: str) -> None:
    out = redact(text)
    assert "DEF-ghi_jkl" not in out and "YWJjLkRFRi1naGlfamts" not in out, out


@pytest.mark.parametrize(
    ("text", "hidden", "kept"),
    [
        ("proxy http://alice:pr0xy-pa55@proxy.corp:3128 failed", "pr0xy-pa55", "alice"),
        ("issuer https://svc:s3cr3t%40x@auth.example/ t", "s3cr3t%40x", "auth.example/"),
    ],
)
def test_the_password_of_a_url_is_hidden(text: str, hidden: str, kept: str) -> None:
    out = redact(text)
    assert hidden not in out and kept in out and "[REDACTED]@" in out


@pytest.mark.parametrize(
    "text",
    [
        "grant_type=refresh_token&scope=read:assets",
        "signed in as https://alice@auth.example.test/ (no password in it)",
        'HTTP Request: GET https://api.twinedgeai.com/v1/api-keys?limit=200 "HTTP/1.1 200 OK"',
        "Discovered authorization server http://127.0.0.1:8765",
        "Loaded 1,234 keys in 7 pages for org-456",
        '{"token_type": "Bearer", "expires_in": 3600, "scope": "read:assets"}',
        "the keyring backend is SecretService.Keyring",
    ],
)
def test_what_is_not_secret_stays_readable(text: str) -> None:
    assert redact(text) == text


def _every_pattern_on_every_line(text: str) -> str:
    """redact() without its shortcuts (each pattern skipped when a word it needs is absent)."""
    text = redaction._registry.redact(text)
    text = redaction._BEARER.sub(rf"\1\2{REDACTED}", text)
    text = redaction._JWT.sub(REDACTED, text)
    text = redaction._URL_PASSWORD.sub(rf"\1{REDACTED}@", text)
    text = redaction.KEY_PATTERN.sub(REDACTED, text)
    text = redaction._FLAG.sub(rf"\1{REDACTED}", text)
    text = redaction._FIELD.sub(redaction._hide_field_value, text)
    return redaction._SPACED_FIELD.sub(rf"\g<name>\g<gap>{REDACTED}", text)


_loggy_text = st.lists(
    st.sampled_from(
        [
            *NAMES,
            "Bearer",
            "bASic",
            "eyJhbGciOi",
            "te_",
            "--",
            "=",
            ":",
            "%3D",
            "%3a",
            "'",
            '"',
            '\\"',
            " ",
            "&",
            "x",
            "Zq7",
            "CODE",
            "Token",
            "PassWord",
            "%22",
            "\n",
            "https://",
            "@",
            "/",
            "secret",
            "key",
        ]
    )
    | st.text(max_size=8),
    max_size=30,
).map("".join)


@settings(max_examples=300)
@given(_loggy_text)
def test_the_shortcuts_never_change_the_result(text: str) -> None:
    assert redact(text) == _every_pattern_on_every_line(text)


def _every_field_name() -> list[str]:
    """Each name the field pattern knows, in each spelling it allows (a[-_]?b: a-b, a_b, ab)."""
    names = []
    for alternative in redaction._SENSITIVE_FIELDS.split("|"):
        spellings = [alternative]
        while any("[-_]?" in s for s in spellings):
            spellings = [s.replace("[-_]?", sep, 1) for s in spellings for sep in ("-", "_", "")]
        names += spellings
    return names


@pytest.mark.parametrize("name", _every_field_name())
def test_every_field_name_alone_on_a_line_is_hidden_in_any_case(name: str) -> None:
    # A line holding only this name must still reach the field pattern (the shortcut
    # words in redact() must cover every name).
    for spelling in (name, name.upper(), name.title()):
        assert "Zq7value" not in redact(f"{spelling}=Zq7value"), spelling


@given(st.text())
def test_redaction_is_idempotent_and_never_fails(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


# --- secrets the process holds ----------------------------------------------------------
def test_a_registered_secret_is_hidden_bare_and_url_encoded() -> None:
    secret = "opaque+bare/Value=="  # no field name in it: only the registry can know it
    assert register_secret(secret)
    text = f"retrying with {secret}; body x={quote_plus(secret)} url={quote(secret, safe='')}"
    assert redact(text) == "retrying with [REDACTED]; body x=[REDACTED] url=[REDACTED]"


def test_short_values_are_never_registered() -> None:
    assert not register_secret("a" * (MIN_SECRET_LENGTH - 1))
    assert not register_secret("")
    assert not register_secret(None)
    assert registered_secret_count() == 0
    assert redact("value aaaaaaa here") == "value aaaaaaa here"


def test_the_registry_is_bounded_and_keeps_the_most_recent() -> None:
    secrets = [f"held-secret-{n:04d}" for n in range(MAX_SECRETS + 10)]
    for secret in secrets:
        register_secret(secret)
    assert registered_secret_count() == MAX_SECRETS
    assert secrets[0] in redact(f"old {secrets[0]}")  # let go of: no longer held
    assert secrets[-1] not in redact(f"new {secrets[-1]}")
    # Registering again makes a secret recent: it outlives newer ones.
    register_secret(secrets[10])
    register_secret("one-more-secret-1")
    assert secrets[10] not in redact(secrets[10])
    assert secrets[11] in redact(secrets[11])


def test_forgetting_a_secret_stops_hiding_it_bare() -> None:
    register_secret("forget-me-please")
    forget_secret("forget-me-please")
    forget_secret("never-registered")
    assert redact("forget-me-please") == "forget-me-please"


def test_a_secret_that_contains_another_is_replaced_whole() -> None:
    register_secret("inner-secret")
    register_secret("outer-inner-secret-tail")
    assert redact("x outer-inner-secret-tail y") == "x [REDACTED] y"


def test_the_registry_never_shows_its_values() -> None:
    register_secret("do-not-print-me")
    assert "do-not-print-me" not in repr(redaction._registry)


@given(
    st.text(TOKEN_ALPHABET, min_size=MIN_SECRET_LENGTH, max_size=80),
    st.text(max_size=40),
    st.text(max_size=40),
)
def test_any_registered_secret_is_hidden_wherever_it_appears(
    secret: str, before: str, after: str
) -> None:
    forget_all_secrets()
    register_secret(secret)
    assert secret not in redact(before + secret + after)


def test_registering_and_redacting_from_many_threads_at_once() -> None:
    # Eight threads register, check and forget their own secrets while the others do the
    # same: no error, and a secret is hidden as soon as it is registered. Six secrets per
    # thread (48 in all, under MAX_SECRETS) so no thread's secret is evicted by others.
    per_thread = 6
    assert 8 * per_thread < MAX_SECRETS
    failures: list[str] = []
    start = threading.Barrier(8)

    def work(thread: int) -> None:
        start.wait(timeout=10)
        try:
            for n in range(400):
                secret = f"thread{thread}-secret-{n % per_thread}"
                register_secret(secret)
                if secret in redact(f"line {secret}"):
                    failures.append(secret)
                if n % 5 == 0:
                    forget_secret(f"thread{thread}-secret-{(n + 1) % per_thread}")
        except Exception as exc:  # an exception in a thread would otherwise only be printed
            failures.append(repr(exc))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: races show up, if there are any
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sys.setswitchinterval(interval)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    assert registered_secret_count() <= 8 * per_thread


# --- the logging filter -----------------------------------------------------------------
def test_the_filter_redacts_stack_info_and_preformatted_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_secret("stack-held-secret")
    logger = logging.getLogger("twinedge.test.redaction.stack")
    logger.addFilter(RedactingFilter())
    record = logger.makeRecord(
        logger.name, logging.ERROR, __file__, 1, "failed for %s", ("stack-held-secret",), None
    )
    record.exc_text = "Traceback: refresh_token='rt-preformatted-value'"
    record.stack_info = "Stack (most recent call last): stack-held-secret"
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.handle(record)
    assert "stack-held-secret" not in caplog.text
    assert "rt-preformatted-value" not in caplog.text
    assert "failed for [REDACTED]" in caplog.text


@pytest.mark.parametrize(
    "before",
    ["'a\\n", '"A=1\\n', "\\t", "\\x41", "q%3D", "Bearer%20x%20", "id_", "key-", " ", ""],
)
def test_an_api_key_is_hidden_whatever_precedes_it(before: str) -> None:
    """An escape, URL encoding or an identifier right before ``te_`` ends with a word
    character: the key is hidden all the same (``\\bte_`` left these three visible)."""
    key = generate_key()
    out = redact(f"sent {before}{key}' to the server")
    assert key not in out and key[3:15] not in out, out


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("client_secret abcdefghijkl12", "abcdefghijkl12"),
        ("  service secret  p_Ab-cd12345678901xyz", "p_Ab-cd12345678901xyz"),
        ("Client-Secret\tS3cr3t-value", "S3cr3t-value"),
        ("users (demo password twinedge-demo)", "twinedge-demo"),
        ("refresh token rt-0123456789abcdef expired", "rt-0123456789abcdef"),
        ("secret correcthorsebatterystaple", "correcthorsebatterystaple"),
    ],
)
def test_a_secret_separated_from_its_name_by_spaces_is_hidden(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out and REDACTED in out, out


@pytest.mark.parametrize(
    "text",
    [
        "refresh token expired",
        "password authentication failed",
        "access token expires in 3600 s",
        "client secret https://auth.example/rotate-2024",
        "the secret is safe",
    ],
)
def test_ordinary_words_after_a_secret_name_stay_readable(text: str) -> None:
    assert redact(text) == text
