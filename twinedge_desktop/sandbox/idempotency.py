"""``Idempotency-Key`` for every create that hands out a secret once: a new API key, a new
OAuth application, a new client secret.

A response lost on the way (a dropped connection after the server committed) must not
cost the secret nor make a second resource, so the client retries with the same key and
gets the identical answer, within :data:`~twinedge_desktop.sandbox.state.IDEMPOTENCY_SECONDS`
(10 minutes). The same key with another body is a 422 (``field: "Idempotency-Key"``).

A stored answer holds the secret, so it lives in memory only (never in the data file), and
is never replayed once its resource stopped working; what happens then is the endpoint's
choice (:class:`WhenGone`):

- API keys: 409 ``conflict`` naming the key (docs/contracts.md, "Idempotent replays"): a
  client retrying a create expects a secret, and is told plainly there is none to have.
- OAuth applications: the answer is forgotten with the app, and the request is handled as
  new (a new app, a new secret).

:func:`forget_secrets_of` drops the kept copies of a resource's secret the moment it is
revoked or deleted; what remains of the entry (its fingerprint, the resource id) is
enough to answer the next replay.

Handlers run on the sandbox's one event loop and nothing between :meth:`replay` and
:meth:`remember` awaits, so a replay check and the create it guards cannot interleave
with another request.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from twinedge_desktop.sandbox.problems import Problem, validation
from twinedge_desktop.sandbox.state import IDEMPOTENCY_SECONDS, IdempotentResponse, SandboxState

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_NO_STORE = {"Cache-Control": "no-store"}


class WhenGone(Enum):
    """What a replay does once the resource it created no longer works."""

    CONFLICT = "conflict"  # 409, the secret is not shown again
    FORGET = "forget"  # the stored answer is dropped; the request is handled as new


@dataclass(frozen=True)
class IdempotentRequest:
    """One create's place in the replay table (``cache_key`` None: the client sent no key)."""

    cache_key: tuple[str, str] | None
    fingerprint: str

    def replay(
        self,
        state: SandboxState,
        now: float,
        *,
        why_gone: Callable[[str], str | None],
        when_gone: WhenGone,
        what: str,
    ) -> Response | None:
        """The stored answer to send again, or None when the request is to be handled.

        ``why_gone(resource_id)`` says why the created resource no longer works ("has
        since been revoked"), or None while it works; ``what`` names it in the 409 ("key").
        """
        if self.cache_key is None:
            return None
        state.forget_stale()
        previous = state.idempotency.get(self.cache_key)
        if previous is None or now - previous.created_at > IDEMPOTENCY_SECONDS:
            return None
        if previous.body_fingerprint != self.fingerprint:
            raise validation(
                HEADER, f"this {HEADER} was already used with a different request body"
            )
        reason = why_gone(previous.resource_id) if previous.resource_id else None
        if reason is not None:
            if when_gone is WhenGone.FORGET:
                del state.idempotency[self.cache_key]
                return None
            raise Problem(
                409,
                "conflict",
                f"The {what} created with this {HEADER} ({previous.resource_id}) {reason}; its "
                f"secret is not shown again. Create a new {what} with a new {HEADER}.",
            )
        return Response(
            previous.body,
            status_code=previous.status,
            media_type="application/json",
            headers={**previous.headers, "Idempotent-Replayed": "true"},
        )

    def respond(
        self,
        state: SandboxState,
        now: float,
        payload: dict[str, Any],
        *,
        resource_id: str,
        location: str,
        status: int = 201,
    ) -> Response:
        """The create's answer, kept for replays when the client sent a key."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Location": location, **_NO_STORE}
        if self.cache_key is not None:
            state.idempotency[self.cache_key] = IdempotentResponse(
                owner=self.cache_key[0],
                body_fingerprint=self.fingerprint,
                status=status,
                body=body,
                created_at=now,
                resource_id=resource_id,
                headers=headers,
            )
        return Response(body, status_code=status, media_type="application/json", headers=headers)


def idempotent_request(
    request: Request, *, owner: str, operation: str, body: Any
) -> IdempotentRequest:
    """Read the request's ``Idempotency-Key`` (1-255 visible ASCII characters, else 422).

    Keys are per ``owner`` (the caller's subject) and per ``operation`` ("api-keys",
    "oauth-apps", "oauth-app-secret:APP_ID"): the same key sent to two endpoints names
    two different creates.
    """
    key = request.headers.get(HEADER)
    if key is not None and not _KEY.fullmatch(key):
        raise validation(HEADER, f"{HEADER} must be 1 to 255 visible ASCII characters")
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    cache_key = (owner, f"{operation}:{key}") if key is not None else None
    return IdempotentRequest(cache_key, fingerprint)


def forget_secrets_of(state: SandboxState, resource_id: str) -> None:
    """Drop the kept copies of ``resource_id``'s secret (it was revoked or deleted)."""
    for stored in state.idempotency.values():
        if stored.resource_id == resource_id:
            stored.body = b""


__all__ = [
    "HEADER",
    "IdempotentRequest",
    "WhenGone",
    "forget_secrets_of",
    "idempotent_request",
]
