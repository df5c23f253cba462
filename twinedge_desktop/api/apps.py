"""OAuth applications (the seed's "Settings → OAuth Applications"): the client service.

The window's page and the ``apps`` command are built on :class:`OAuthAppsService`:

    service = OAuthAppsService(ApiClient(http, profile.api_base, session))
    async for page in service.list_pages(): ...
    key = new_idempotency_key()                    # keep it across retries of this create
    created = await service.create("Plant dashboard", ApplicationType.WEB,
                                   ["https://app.example.com/callback"], ["read:assets"],
                                   idempotency_key=key)
    created.client_secret                          # shown once; None for spa/native
    await service.update(app.id, scopes=["read:assets"])
    rotated = await service.rotate_secret(app.id, idempotency_key=new_idempotency_key())
    await service.delete(app.id)

Errors are the API layer's typed errors (``api/errors.py``), with two refinements a form
needs: :class:`InvalidRedirectUris` (a 422 ``invalid_redirect_uri``) carries a reason per
URI from the shared rules, and every 422 keeps the server's ``field`` so the form can put
the message under the field it names; a 403 is an ``InsufficientScope`` whose
``required_scopes`` says which scopes were missing.

The editor validates as you type with the same rules the sandbox enforces:
``twinedge_desktop.oauth_apps_rules`` (re-exported here for convenience).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from twinedge_desktop.api.client import ApiClient
from twinedge_desktop.api.errors import ApiError, NotFound, ValidationFailed
from twinedge_desktop.api.keys import new_idempotency_key
from twinedge_desktop.api.models import parse_time
from twinedge_desktop.oauth_apps_rules import (
    ApplicationType,
    RedirectUriCheck,
    check_redirect_uris,
    name_problem,
    redirect_uri_problem,
    scopes_problem,
)
from twinedge_desktop.redaction import register_secret

MAX_PAGE_SIZE = 200
APPS_PATH = "/oauth-apps"

__all__ = [
    "ApplicationType",
    "CreatedOAuthApp",
    "InvalidRedirectUris",
    "NewClientSecret",
    "OAuthApp",
    "OAuthAppsService",
    "RedirectUriCheck",
    "check_redirect_uris",
    "name_problem",
    "new_idempotency_key",
    "redirect_uri_problem",
    "scopes_problem",
]


@dataclass(frozen=True, slots=True)
class OAuthApp:
    """A registered application as the server describes it (never its secret)."""

    id: str
    client_id: str
    name: str
    application_type: ApplicationType
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    created_at: datetime
    created_by: str
    secret_hint: str | None
    previous_secret_expires_at: datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OAuthApp:
        """Strict about what the contract promises; ValueError/KeyError/TypeError otherwise."""
        created = parse_time(data["created_at"])
        if created is None:
            raise ValueError("created_at is required")
        redirect_uris = data.get("redirect_uris") or []
        scopes = data.get("scopes") or []
        if not isinstance(redirect_uris, list) or not isinstance(scopes, list):
            raise TypeError("redirect_uris and scopes must be lists")
        hint = data.get("secret_hint")
        return cls(
            id=str(data["id"]),
            client_id=str(data["client_id"]),
            name=str(data.get("name") or ""),
            application_type=ApplicationType(str(data["application_type"])),
            redirect_uris=tuple(str(uri) for uri in redirect_uris),
            scopes=tuple(str(scope) for scope in scopes),
            created_at=created,
            created_by=str(data.get("created_by") or ""),
            secret_hint=str(hint) if hint else None,
            previous_secret_expires_at=parse_time(data.get("previous_secret_expires_at")),
        )

    @property
    def is_confidential(self) -> bool:
        """Whether the app has a client secret (``web`` and ``service``)."""
        return self.application_type.is_confidential

    def previous_secret_works(self, now: datetime) -> bool:
        """Whether the secret before the last rotation is still accepted at ``now``."""
        until = self.previous_secret_expires_at
        return until is not None and now < until


@dataclass(frozen=True)
class CreatedOAuthApp:
    """An app just registered: the only time its secret is available (None for public apps)."""

    app: OAuthApp
    client_secret: str | None = field(repr=False)

    def __repr__(self) -> str:
        secret = f"'…{self.app.secret_hint}'" if self.client_secret else "None"
        return f"CreatedOAuthApp(app={self.app!r}, client_secret={secret})"


@dataclass(frozen=True)
class NewClientSecret:
    """A rotated secret, shown once. ``app.previous_secret_expires_at`` says until when the
    one before it still works (None: it stopped at once)."""

    app: OAuthApp
    client_secret: str = field(repr=False)

    @property
    def previous_secret_expires_at(self) -> datetime | None:
        return self.app.previous_secret_expires_at

    def __repr__(self) -> str:
        return f"NewClientSecret(app={self.app!r}, client_secret='…{self.app.secret_hint}')"


class InvalidRedirectUris(ValidationFailed):
    """422 ``invalid_redirect_uri`` (RFC 7591 §3.2.2), ``field == "redirect_uris"``.

    ``check`` holds the shared rules' verdict on the URIs that were sent, so a form can
    mark the very line at fault (the server's description names only the first).
    """

    def __init__(self, source: ValidationFailed, check: RedirectUriCheck) -> None:
        super().__init__(
            source.user_message,
            status=source.status,
            error=source.error,
            description=source.description,
            field="redirect_uris",
        )
        self.check = check


class OAuthAppsService:
    """The ``/v1/oauth-apps`` endpoints for one signed-in person (a user access token)."""

    def __init__(self, client: ApiClient) -> None:
        self._client = client

    @property
    def api_base(self) -> str:
        return self._client.base_url

    # -- reading ---------------------------------------------------------------------------

    async def list_pages(
        self, *, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncGenerator[list[OAuthApp], None]:
        """Yield the apps a page at a time, newest first, following ``next_cursor``.

        Yours, or every app of the organisation for an admin.
        """
        limit = max(1, min(MAX_PAGE_SIZE, page_size))
        cursor: str | None = None
        seen_cursors: set[str] = set()
        while True:
            params: dict[str, str | int] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            response = await self._client.request("GET", APPS_PATH, params=params)
            body = _json_object(response)
            items = body.get("data")
            if not isinstance(items, list):
                raise ApiError(
                    "The server's list of OAuth applications was not in the expected form."
                )
            yield [_app(item) for item in items]
            next_cursor = body.get("next_cursor")
            if not isinstance(next_cursor, str) or not next_cursor:
                return
            if next_cursor in seen_cursors:
                raise ApiError(
                    "The server's list of OAuth applications did not advance; stopped reading."
                )
            seen_cursors.add(next_cursor)
            cursor = next_cursor

    async def list_all(self, *, on_progress: Callable[[int], None] | None = None) -> list[OAuthApp]:
        apps: list[OAuthApp] = []
        async for page in self.list_pages():
            apps.extend(page)
            if on_progress is not None:
                on_progress(len(apps))
        return apps

    async def get(self, app_id: str) -> OAuthApp:
        """The app with this id; :class:`NotFound` when there is none you may see."""
        response = await self._client.request("GET", _app_path(app_id))
        return _app(_json_object(response))

    # -- changing --------------------------------------------------------------------------

    async def create(
        self,
        name: str,
        application_type: ApplicationType,
        redirect_uris: Sequence[str],
        scopes: Sequence[str],
        *,
        idempotency_key: str,
    ) -> CreatedOAuthApp:
        """Register an app. The same ``idempotency_key`` on a retry (within 10 minutes)
        returns the same app and secret, so a lost response never makes two apps.

        The request itself is retried here on network errors and 5xx with the same key.
        """
        body: dict[str, Any] = {
            "name": name,
            "application_type": application_type.value,
            "redirect_uris": list(redirect_uris),
            "scopes": list(scopes),
        }
        response = await self._send(
            "POST",
            APPS_PATH,
            body,
            application_type,
            headers={"Idempotency-Key": idempotency_key},
        )
        data = _json_object(response)
        app = _app(data)
        secret = data.get("client_secret")
        if isinstance(secret, str):
            register_secret(secret)  # shown once; hidden wherever else it turns up
        if app.is_confidential and (not isinstance(secret, str) or not secret):
            raise ApiError("The server registered the application but did not return its secret.")
        return CreatedOAuthApp(app=app, client_secret=secret if isinstance(secret, str) else None)

    async def update(
        self,
        app: OAuthApp,
        *,
        name: str | None = None,
        redirect_uris: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
    ) -> OAuthApp:
        """Change the given fields (the others stay); returns the app as it is now.

        Narrowing the scopes revokes the app's tokens that carry a removed scope.
        """
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if redirect_uris is not None:
            body["redirect_uris"] = list(redirect_uris)
        if scopes is not None:
            body["scopes"] = list(scopes)
        response = await self._send("PATCH", _app_path(app.id), body, app.application_type)
        return _app(_json_object(response))

    async def rotate_secret(
        self, app_id: str, *, revoke_previous: bool = False, idempotency_key: str
    ) -> NewClientSecret:
        """A new secret, shown once. The previous one keeps working for 24 hours unless
        ``revoke_previous`` (then it stops at once). Retry with the same key after a lost
        response to get the same secret instead of rotating again."""
        response = await self._client.request(
            "POST",
            f"{_app_path(app_id)}/secret",
            json={"revoke_previous": revoke_previous},
            headers={"Idempotency-Key": idempotency_key},
        )
        data = _json_object(response)
        secret = data.get("client_secret")
        if not isinstance(secret, str) or not secret:
            raise ApiError("The server made a new secret but did not return it.")
        register_secret(secret)
        return NewClientSecret(app=_app(data), client_secret=secret)

    async def delete(self, app_id: str) -> bool:
        """Delete an app: its client id stops working at once and its tokens are revoked.

        True when this call deleted it; False when there was no such app to delete (never
        there, deleted elsewhere, or deleted by an earlier attempt whose answer was lost).
        """
        try:
            await self._client.request("DELETE", _app_path(app_id))
        except NotFound:
            return False
        return True

    async def _send(
        self,
        method: str,
        path: str,
        body: dict[str, Any],
        application_type: ApplicationType,
        *,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            return await self._client.request(method, path, json=body, headers=headers)
        except ValidationFailed as exc:
            uris = body.get("redirect_uris")
            if exc.error == "invalid_redirect_uri" and isinstance(uris, list):
                raise InvalidRedirectUris(
                    exc, check_redirect_uris(application_type, uris)
                ) from None
            raise


def _app_path(app_id: str) -> str:
    return f"{APPS_PATH}/{quote(app_id, safe='')}"


def _app(data: Any) -> OAuthApp:
    if not isinstance(data, dict):
        raise ApiError(
            "The server's description of an OAuth application was not in the expected form."
        )
    try:
        return OAuthApp.from_json(data)
    except (KeyError, TypeError, ValueError):
        raise ApiError(
            "The server's description of an OAuth application was not in the expected form."
        ) from None


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ApiError(
            "The server's answer was not in the expected form.", status=response.status_code
        )
    return data
