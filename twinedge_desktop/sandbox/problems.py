"""The contract's JSON errors: ``{"error", "error_description"[, "field"]}`` with its statuses.

Handlers raise :class:`Problem`; one exception handler turns it into the
response, so every error has the same shape and 401s always carry
``WWW-Authenticate``.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

_DEFAULT_DESCRIPTIONS = {
    "invalid_token": "The access token is invalid or expired",
    "insufficient_scope": "Missing required permissions",
    "invalid_client": "Unknown client ID",
    "invalid_grant": "Invalid authorization code",
}


class Problem(Exception):
    """An error answer of the API or of the OAuth endpoints."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str | None = None,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        scope: str | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.description = description or _DEFAULT_DESCRIPTIONS.get(error, error)
        self.field = field
        self.headers = dict(headers or {})
        self.scope = scope
        super().__init__(f"{status} {error}: {self.description}")


def _quoted(value: str) -> str:
    """A quoted-string for a header: ASCII only (headers are Latin-1), quotes escaped."""
    ascii_text = value.replace("…", "...").encode("ascii", "replace").decode("ascii")
    return ascii_text.replace("\\", "\\\\").replace('"', '\\"')


def _encodable(text: str | None) -> str | None:
    """``text`` that UTF-8 can carry: a lone surrogate quoted from a request would make
    rendering the error itself fail (a 500 instead of the 422 being answered)."""
    if text is None:
        return None
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def problem_response(problem: Problem) -> JSONResponse:
    body: dict[str, str | None] = {
        "error": problem.error,
        "error_description": _encodable(problem.description),
    }
    if problem.status == 422 or problem.field is not None:
        body["field"] = _encodable(problem.field)
    headers = dict(problem.headers)
    if problem.status in (401, 403) and "WWW-Authenticate" not in headers:
        challenge = f'Bearer realm="TwinEdge", error="{_quoted(problem.error)}"'
        challenge += f', error_description="{_quoted(problem.description)}"'
        if problem.scope:
            challenge += f', scope="{_quoted(problem.scope)}"'
        headers["WWW-Authenticate"] = challenge
    headers.setdefault("Cache-Control", "no-store")
    return JSONResponse(body, status_code=problem.status, headers=headers)


def invalid_token(description: str | None = None) -> Problem:
    return Problem(401, "invalid_token", description)


def insufficient_scope(description: str, scope: str | None = None) -> Problem:
    return Problem(403, "insufficient_scope", description, scope=scope)


def validation(field: str | None, description: str) -> Problem:
    return Problem(422, "invalid_request", description, field=field)


def invalid_request(description: str) -> Problem:
    return Problem(400, "invalid_request", description)


# Error names for statuses the API answers without a more specific error (404, 405, 413,
# 429, 5xx, and injected faults).
STATUS_ERRORS = {
    400: "invalid_request",
    401: "invalid_token",
    403: "insufficient_scope",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "server_error",
    502: "bad_gateway",
    503: "temporarily_unavailable",
    504: "gateway_timeout",
}


def error_for_status(status: int) -> str:
    return STATUS_ERRORS.get(status, "server_error" if status >= 500 else "invalid_request")
