"""Redact secrets from text before it reaches a log, an error message or a report.

Used by the logging filter (every handler the app installs), by the window's
error display and by "Copy diagnostics". It errs on the side of hiding: a
false positive costs a few characters of a log line, a false negative leaks a
credential.
"""

from __future__ import annotations

import logging
import re

from twinedge_desktop.keyformat import KEY_PATTERN

REDACTED = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization headers and anything else that says "Bearer <token>" or "Basic <creds>".
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*"), rf"\1 {REDACTED}"),
    # JWTs (and JWEs): base64url segments joined by dots, starting with a JSON header "eyJ".
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*){1,4}"), REDACTED),
    # TwinEdge API keys.
    (KEY_PATTERN, REDACTED),
    # Form, query or JSON fields that carry secrets: access/refresh/id tokens, codes,
    # verifiers, client secrets, passwords, API keys.
    (
        re.compile(
            r"(?i)(\"?(?:access_token|refresh_token|id_token|token|code|code_verifier|"
            r"client_secret|password|secret|key|api_key|csrf_token|state)\"?\s*[=:]\s*\"?)"
            r"([^\"&\s,}]+)"
        ),
        rf"\1{REDACTED}",
    ),
)


def redact(text: str) -> str:
    """``text`` with every credential-shaped part replaced by ``[REDACTED]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
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
        return True
