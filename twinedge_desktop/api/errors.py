"""Typed API errors, each with a message a person understands and no secret in it.

The mapping follows the product's error table: ``invalid_token`` 401,
``insufficient_scope`` 403, ``invalid_client`` 401, ``invalid_grant`` 400, plus
RFC 6749's 400s, 404 ``not_found``, 422 validation failures, 429 and 5xx.
"""

from __future__ import annotations

from typing import Any

from twinedge_desktop.redaction import redact


def clean_server_text(text: object, limit: int = 300) -> str:
    """Server-supplied text made safe to show: one line, redacted, bounded.

    The one implementation for every error message of the API and sign-in layers.
    """
    one_line = redact(" ".join(str(text).split()))
    return one_line if len(one_line) <= limit else one_line[: limit - 3] + "..."


_clean = clean_server_text

# What a failed connection means, in words; matched on the exception's class name and text
# (which stay internal: a person cannot act on "ConnectError", and the text may quote an
# address). First match wins.
_TRANSPORT_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("certificate", "ssl", "tls"),
        "the secure connection could not be set up (certificate or TLS)",
    ),
    (
        (
            "name or service not known",
            "nodename nor servname",
            "name resolution",
            "no address associated",
            "getaddrinfo",
        ),
        "its name could not be found (DNS)",
    ),
    (("refused",), "nothing answered there (connection refused)"),
    (("proxy",), "the proxy did not let the connection through"),
    (("timeout", "timed out"), "it did not answer in time"),
    (
        ("reset", "broken pipe", "disconnected", "closed", "protocol", "incomplete", "readerror"),
        "the connection broke off",
    ),
)


def transport_problem(exc: BaseException) -> str:
    """Why a connection failed, in words for a person ("nothing answered there (connection
    refused)"), never the exception's class name or text."""
    # httpx wraps the system's error ("All connection attempts failed" around a
    # ConnectionRefusedError): read the whole chain of causes, a few links deep.
    parts: list[str] = []
    link: BaseException | None = exc
    while link is not None and len(parts) < 8:
        parts.append(f"{type(link).__name__} {link}")
        link = link.__cause__ or link.__context__
    text = " ".join(parts).lower()
    for needles, words in _TRANSPORT_WORDS:
        if any(needle in text for needle in needles):
            return words
    return "the connection failed"


class ApiError(Exception):
    """An API call failed. ``str(exc) == exc.user_message``."""

    default_message = "The TwinEdge API reported an error."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        status: int | None = None,
        error: str | None = None,
        description: str | None = None,
        field: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.description = _clean(description) if description else None
        self.field = field
        self.retry_after = retry_after
        self.user_message = user_message or self.default_message
        super().__init__(self.user_message)

    def __str__(self) -> str:
        return self.user_message


class InvalidToken(ApiError):
    default_message = (
        "Your access is no longer valid (the token is invalid or expired). Sign in again."
    )


class InvalidClient(ApiError):
    default_message = (
        "The authorization server does not recognise this application's client id or secret."
    )


class InvalidGrant(ApiError):
    default_message = (
        "The authorization server rejected the grant (the code or refresh token is invalid, "
        "expired or already used)."
    )


class BadRequest(ApiError):
    default_message = "The request was not accepted by the server."


class InsufficientScope(ApiError):
    """403 ``insufficient_scope``. ``required_scopes``: the scopes the server named as missing
    (its ``WWW-Authenticate`` challenge's ``scope``), empty when it named none."""

    default_message = (
        "You do not have permission for this: the token or key lacks the required scope."
    )

    def __init__(
        self,
        user_message: str | None = None,
        *,
        required_scopes: tuple[str, ...] = (),
        **details: Any,
    ) -> None:
        super().__init__(user_message, **details)
        self.required_scopes = required_scopes


class NotFound(ApiError):
    default_message = "Not found: it may have been deleted already."


class ValidationFailed(ApiError):
    default_message = "Some of the values were not accepted."


class RateLimited(ApiError):
    default_message = "Too many requests: the server asked us to slow down. Try again shortly."


class ServerError(ApiError):
    default_message = "The TwinEdge server had a problem. Try again in a moment."


class NetworkError(ApiError):
    """No answer. ``request_sent`` is False only when the request certainly never reached
    the server (the connection itself failed); otherwise the server may have acted on it
    (a token endpoint may have rotated the refresh token) and only its answer was lost."""

    default_message = (
        "The TwinEdge server could not be reached. Check your connection and try again."
    )

    def __init__(
        self,
        user_message: str | None = None,
        *,
        request_sent: bool = True,
        status: int | None = None,
    ) -> None:
        super().__init__(user_message, status=status)
        self.request_sent = request_sent


class InsecureUrl(ApiError):
    default_message = "Only HTTPS is allowed for servers that are not on this computer."


class FetchError(ApiError):
    """A document (metadata, a key set, an API answer) could not be fetched whole.

    ``reason`` is a short phrase for lists of attempts ("HTTP 404", "nothing answered there
    (connection refused)", "not JSON", "larger than 1 MiB", "too slow"); ``str(exc)`` is the
    full sentence. A server that could not be reached at all has no ``status``.
    """

    default_message = "The document could not be fetched."

    def __init__(self, user_message: str, *, reason: str, status: int | None = None) -> None:
        super().__init__(user_message, status=status)
        self.reason = reason


class FetchTooSlow(FetchError):
    """The whole fetch (connect, headers and body) did not finish within its deadline."""


class FetchTooLarge(FetchError):
    """The body was larger than the cap; reading stopped there."""


class FetchNotJson(FetchError):
    """The body arrived whole but is not JSON (an HTML error page, a truncated file…)."""


class FetchUnavailable(FetchError):
    """The server could not be reached, or answered with a status other than 200."""
