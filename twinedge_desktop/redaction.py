"""Redact secrets from text before it reaches a log, an error message or a report.

Used by the logging filter (every handler the app installs), by the window's
error display and by "Copy diagnostics". It errs on the side of hiding: a
false positive costs a few characters of a log line, a false negative leaks a
credential.

Two mechanisms, applied in this order:

1. **Secrets the process holds**, registered with :func:`register_secret` by
   whoever receives one (the session: access and refresh tokens; the command line:
   client secrets, new API keys; sign-in: the code verifier). Every exact
   occurrence is replaced, also bare, where no pattern could know it is a secret.
   Values shorter than :data:`MIN_SECRET_LENGTH` are never registered (a short
   value would hide ordinary words), and only the :data:`MAX_SECRETS` most recently
   registered are kept: a secret the process let go of long ago stops being held.
2. **Shapes**: ``Bearer``/``Basic`` credentials (also ``Bearer%20…``), JWTs,
   TwinEdge API keys, the password in a URL's ``user:password@``, and the value
   of any field whose name says it is a secret (``refresh_token``, ``access_token``,
   ``client_secret``, ``code_verifier``, ``code``, ``password``…) in every form seen
   in logs: ``name=value`` (forms,
   query strings), ``name: value``, JSON ``"name": "value"``, Python reprs
   ``'name': 'value'`` and ``name='value'``, URL-encoded ``name%3Dvalue``,
   JSON inside a JSON string (``\\"name\\": \\"value\\"``), ``--name value``, and
   ``client_secret VALUE`` (spaces only: unambiguous names, credential-shaped values).
   A quoted value is hidden up to its closing quote, spaces included.

Cost (``benchmarks/redaction.py``, this machine): ``redact()`` takes ~6 µs per line
of a mix of real log lines with no secret registered (the turn-1 patterns took
~10 µs on the same lines: each pattern now runs only on lines holding a word it
needs), ~8.7 µs with the maximum of 64 secrets held; a log call without the
filter costs ~2.8 µs, with it ~9-12 µs.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from urllib.parse import quote, quote_plus

from twinedge_desktop.keyformat import KEY_PATTERN

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 8
# A session holds 2-3 secrets at a time (access and refresh token, a verifier during
# sign-in); each hourly refresh adds two. 64 keeps the last ~30 hours of them, and
# the ones that fall out are spent: an expired access token, a rotated refresh token.
# Each held secret costs ~40 ns per log line (a substring test; a regex alternation
# measured 2-3 times slower), so 64 add ~2.5 µs (benchmarks/redaction.py).
MAX_SECRETS = 64

# Field names whose value is a secret. No word boundary on the left, on purpose:
# "my_refresh_token=…" and "X-Client-Secret: …" must be caught, and "error_code=…"
# being hidden too is the cheap side of the trade.
_SENSITIVE_FIELDS = (
    r"access[-_]?token|refresh[-_]?token|id[-_]?token|client[-_]?secret|code[-_]?verifier"
    r"|api[-_]?key|csrf[-_]?token|password|passwd|secret|token|code|key|state"
)
# A quote around a name or a value: plain, JSON-escaped inside a JSON string, or URL-encoded.
_QUOTE = r"(?:\\?[\"']|%22|%27)"
# name=value, name: value, name%3Dvalue (and %3A, double-encoded %253D / %253A).
_SEPARATOR = r"\s*(?:[=:]|%3[DdAa]|%253[DdAa])\s*"

_BEARER = re.compile(
    r"(?i)(?<![A-Za-z])(bearer|basic)(\s+|%20|\+)(?:[A-Za-z0-9\-._~+/]|%[0-9A-Fa-f]{2})+=*"
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*){1,4}")
# The password of a URL's user:password@ (proxies, issuer addresses typed with credentials).
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/@:]*:)[^\s/@]*@")
_FIELD = re.compile(
    rf"(?i)(?P<name>{_QUOTE}?(?:{_SENSITIVE_FIELDS}){_QUOTE}?{_SEPARATOR})"
    r"(?P<value>"
    r"\\\"(?:[^\\]|\\(?!\"))*(?:\\\"|$)"  # \"…\" (JSON inside a JSON string)
    r"|\"(?:[^\"\\]|\\.)*(?:\"|$)"  # "…" (JSON), to the closing quote
    r"|'(?:[^'\\]|\\.)*(?:'|$)"  # '…' (Python repr)
    r"|%22.*?(?:%22|$)|%27.*?(?:%27|$)"  # URL-encoded quotes
    r"|(?:(?!%26)[^\s&,;\"'}\]])+"  # bare: up to a separator (also an encoded "&")
    r")"
)
# "client_secret VALUE", "service secret  VALUE": a name and its value separated by spaces
# only (a banner, a message). Only names that cannot be an ordinary word of a sentence, and
# only a value that looks like a credential: 8+ characters with a digit or one of _-+/=.~%,
# or 16+ of anything; not a URL. "refresh token expired" and "password authentication"
# stay readable.
_SPACED_FIELD = re.compile(
    r"(?i)(?P<name>(?:client|service)[-_ ]?secret|refresh[-_ ]?token|access[-_ ]?token"
    r"|id[-_]token|code[-_ ]?verifier|api[-_ ]?key|password|passwd|secret)(?P<gap>[ \t]+)"
    r"(?![a-z][a-z0-9+.\-]*://)"
    r"(?P<value>(?=[^\s\"',;]*[0-9_+/=.~%-])[^\s\"',;]{8,}|[^\s\"',;]{16,})"
)
# Each name of _SPACED_FIELD ends with one of these, followed by a space or tab: the
# regex (an alternation with no literal start, ~2.5 µs a line) runs only then.
_SPACED_HINTS = tuple(
    end + gap
    for end in ("secret", "token", "verifier", "key", "password", "passwd")
    for gap in (" ", "\t")
)
# --client-secret VALUE, --password=VALUE: command lines quoted in logs and errors.
_FLAG = re.compile(
    r"(?i)(--(?:client-secret|refresh-token|access-token|code-verifier|password|api-key|token)"
    r"(?:\s+|=))(?!-)(\S+)"
)
_QUOTES = ('\\"', '"', "'", "%22", "%27")
# Every name in _SENSITIVE_FIELDS contains one of these (lower case): a line without
# any of them cannot match _FIELD, and most log lines have none, so the one costly
# regex is skipped for them (a substring test is ~50 ns, the regex ~10 µs a line).
_FIELD_HINTS = ("token", "secret", "code", "key", "pass", "state")


def _hide_field_value(match: re.Match[str]) -> str:
    value = match.group("value")
    for quote_mark in _QUOTES:
        if value.startswith(quote_mark):
            closed = len(value) >= 2 * len(quote_mark) and value.endswith(quote_mark)
            return match.group("name") + quote_mark + REDACTED + (quote_mark if closed else "")
    return match.group("name") + REDACTED


class _SecretRegistry:
    """Secrets this process holds, most recent last; thread-safe, bounded.

    ``redact`` reads an immutable snapshot (longest first, so a secret that contains
    another is replaced whole), rebuilt under the lock only when the set changes:
    logging from any thread never waits on a registration.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._values: OrderedDict[str, None] = OrderedDict()
        self._snapshot: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<secret registry: {len(self._values)} held>"  # never the values

    def register(self, value: str) -> bool:
        if len(value) < MIN_SECRET_LENGTH:
            return False
        with self._lock:
            if value in self._values:
                self._values.move_to_end(value)
                return True
            self._values[value] = None
            while len(self._values) > self._capacity:
                self._values.popitem(last=False)
            self._rebuild()
        return True

    def forget(self, value: str) -> None:
        with self._lock:
            if value in self._values:
                del self._values[value]
                self._rebuild()

    def forget_all(self) -> None:
        with self._lock:
            self._values.clear()
            self._rebuild()

    def __len__(self) -> int:
        return len(self._values)

    def _rebuild(self) -> None:
        # Each secret also as it looks in a URL or a form body, when that differs.
        forms: set[str] = set()
        for value in self._values:
            forms.update((value, quote(value, safe=""), quote_plus(value, safe="")))
        self._snapshot = tuple(sorted(forms, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for value in self._snapshot:  # one reference read: a consistent snapshot
            if value in text:
                text = text.replace(value, REDACTED)
        return text


_registry = _SecretRegistry(MAX_SECRETS)


def register_secret(value: str | None) -> bool:
    """Hide every exact occurrence of ``value`` from now on; True when it is held.

    Call it wherever a secret enters the process (a token response, a secret read
    from the keychain, a new API key, a client secret typed in). None, and values
    shorter than :data:`MIN_SECRET_LENGTH`, are ignored (False). Registering again
    marks the secret as recently used, so it is kept longest.
    """
    if not value or not isinstance(value, str):
        return False
    return _registry.register(value)


def forget_secret(value: str) -> None:
    """Stop holding ``value`` (a revoked token, say); it is no longer hidden when bare."""
    _registry.forget(value)


def forget_all_secrets() -> None:
    """Stop holding every registered secret (sign-out; tests)."""
    _registry.forget_all()


def registered_secret_count() -> int:
    """How many secrets are held: for diagnostics and tests, never the values."""
    return len(_registry)


def redact(text: str) -> str:
    """``text`` with every registered secret and every credential-shaped part hidden."""
    text = _registry.redact(text)
    # Each pattern runs only when the text holds a substring it cannot match without.
    # Replacing inserts only "[REDACTED]", which holds none of them, so one look at
    # the text as it was is enough.
    lowered = text.lower()
    if "bearer" in lowered or "basic" in lowered:
        text = _BEARER.sub(rf"\1\2{REDACTED}", text)
    if "eyJ" in text:
        text = _JWT.sub(REDACTED, text)
    if "://" in text and "@" in text:
        text = _URL_PASSWORD.sub(rf"\1{REDACTED}@", text)
    if "te_" in text:
        text = KEY_PATTERN.sub(REDACTED, text)
    if "--" in text:
        text = _FLAG.sub(rf"\1{REDACTED}", text)
    if any(hint in lowered for hint in _FIELD_HINTS):
        text = _FIELD.sub(_hide_field_value, text)
        if any(end in lowered for end in _SPACED_HINTS):
            text = _SPACED_FIELD.sub(rf"\g<name>\g<gap>{REDACTED}", text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the final message (after %-formatting) and tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
