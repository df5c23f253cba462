"""The errors the SDK raises, typed after the seed's error table.

Every error is a :class:`TwinEdgeError` with three attributes:

- ``error``: the server's error code (``invalid_token``…) or the SDK's own
  (``configuration_error``, ``credential_unavailable``, ``network_error``);
- ``description``: one sentence for a person;
- ``status``: the HTTP status, or ``None`` when no response was received.

| class | HTTP | when |
|---|---|---|
| :class:`InvalidToken` | 401 | the access token or API key is invalid, expired or revoked |
| :class:`InsufficientScope` | 403 | the credential lacks a permission (``.scope`` says which) |
| :class:`InvalidClient` | 401 | unknown client id or wrong client secret |
| :class:`InvalidGrant` | 400 | the grant (code, refresh token) is invalid |
| :class:`RateLimited` | 429 | too many requests; ``.retry_after`` in seconds when the server said |

No error's text ever holds a secret: descriptions that come from a server are
cleaned of the credential in use and of anything shaped like a key or a token
before they are raised.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "CredentialUnavailable",
    "InsufficientScope",
    "InvalidClient",
    "InvalidGrant",
    "InvalidToken",
    "NetworkError",
    "RateLimited",
    "TwinEdgeError",
]


class TwinEdgeError(Exception):
    """Base of every error this SDK raises (also raised as itself for codes without a class)."""

    default_error = "twinedge_error"

    def __init__(
        self,
        description: str,
        *,
        error: str | None = None,
        status: int | None = None,
        field: str | None = None,
    ) -> None:
        self.error = error or self.default_error
        self.description = description
        self.status = status
        self.field = field  # the request field a 422 names, when the server says
        super().__init__(description)

    def __str__(self) -> str:
        where = f", HTTP {self.status}" if self.status is not None else ""
        return f"{self.description} ({self.error}{where})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(error={self.error!r}, status={self.status!r}, "
            f"description={self.description!r})"
        )


class InvalidToken(TwinEdgeError):
    """401 ``invalid_token``: the access token or API key is invalid, expired or revoked."""

    default_error = "invalid_token"


class InsufficientScope(TwinEdgeError):
    """403 ``insufficient_scope``: the credential is valid but lacks a permission."""

    default_error = "insufficient_scope"

    def __init__(
        self,
        description: str,
        *,
        error: str | None = None,
        status: int | None = None,
        field: str | None = None,
        scope: str | None = None,
    ) -> None:
        super().__init__(description, error=error, status=status, field=field)
        self.scope = scope  # the missing scope(s), from WWW-Authenticate, when the server says


class InvalidClient(TwinEdgeError):
    """401 ``invalid_client``: the client id is unknown or the client secret is wrong."""

    default_error = "invalid_client"


class InvalidGrant(TwinEdgeError):
    """400 ``invalid_grant``: the authorization grant is invalid, expired or revoked."""

    default_error = "invalid_grant"


class RateLimited(TwinEdgeError):
    """429: too many requests, after the SDK's bounded retries (if any) were used up."""

    default_error = "rate_limited"

    def __init__(
        self,
        description: str,
        *,
        error: str | None = None,
        status: int | None = None,
        field: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(description, error=error, status=status, field=field)
        self.retry_after = retry_after  # seconds the server asked to wait, when it said


class ConfigurationError(TwinEdgeError, ValueError):
    """The client was set up wrongly: conflicting arguments, an insecure or malformed URL,
    a malformed API key, half of a client id/secret pair."""

    default_error = "configuration_error"


class CredentialUnavailable(TwinEdgeError):
    """No credential could be obtained: nothing configured, or TwinEdge Desktop is absent,
    signed out, too old or did not answer. The description names the next step."""

    default_error = "credential_unavailable"


class NetworkError(TwinEdgeError):
    """No response: the connection failed or timed out. The description names httpx's error
    (type and text); the error itself is not chained, because it holds the request."""

    default_error = "network_error"
