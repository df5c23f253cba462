"""A profile from an authorization server's metadata: the one place that decides it.

``twinedge-desktop login --issuer URL`` and the window's "Add profile…" both
discover the issuer's metadata and then need the same answer: which profile id,
which client id and scopes, and where the REST API is. The API address comes from
what the person typed (``login --api-url``: they said so on purpose, for instance to
reach the API through a gateway the server does not know of), else from the server's
own metadata (TwinEdge's ``api_base_url`` extension), else from the existing profile,
else it stays unknown until sign-in, when the access token's audience is tried
(``{aud}/v1``). The command line says so when ``--api-url`` overrides the metadata
(:func:`api_url_note`). No I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from twinedge_desktop.api.urls import is_secure_url
from twinedge_desktop.auth.credentials import unverified_claims
from twinedge_desktop.auth.discovery import ServerMetadata
from twinedge_desktop.config import (
    CLOUD_PROFILE,
    DEFAULT_SIGN_IN_SCOPES,
    DESKTOP_CLIENT_ID,
    ConfigError,
    Profile,
    ProfileStore,
    profile_id_for_issuer,
)


def default_scopes(metadata: ServerMetadata) -> tuple[str, ...]:
    """TwinEdge's scopes when the server knows them; else let the server choose its default."""
    supported = set(metadata.scopes_supported)
    if not supported:
        return ()
    return tuple(s for s in DEFAULT_SIGN_IN_SCOPES if s in supported)


def _host_of(url: str) -> str:
    """The name a new profile gets: the issuer's host, with its port unless it is the
    scheme's default ("127.0.0.1:8765", "auth.example.com"), so two local servers differ."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return url
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address, as in a URL
    try:
        port = parts.port
    except ValueError:  # not a number: no port to name
        port = None
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return shown if port is None or port == default else f"{shown}:{port}"


def profile_for_issuer(
    store: ProfileStore,
    metadata: ServerMetadata,
    *,
    profile_id: str | None = None,
    client_id: str | None = None,
    scopes: Sequence[str] | None = None,
    api_url: str | None = None,
) -> Profile:
    """The profile for the server ``metadata`` describes: a new one, or the existing one of
    that id updated. Not saved: the caller puts it in ``store`` once sign-in worked.

    Raises :class:`ConfigError` for a built-in profile asked to point at another
    issuer, or an ``api_url`` that is not a safe address.
    """
    if api_url is not None and not is_secure_url(api_url.strip()):
        raise ConfigError(
            "--api-url must be an https:// address (plain http:// only for a server on this "
            "computer, such as the sandbox)."
        )
    issuer = metadata.issuer.rstrip("/")
    chosen_id = profile_id or profile_id_for_issuer(issuer)
    existing = store.profiles.get(chosen_id)
    same_server = existing is not None and existing.issuer.rstrip("/") == issuer
    if existing is not None and not same_server and existing.builtin:
        raise ConfigError(
            f"The profile {chosen_id!r} is built in and cannot be pointed at another issuer."
        )
    cloud = issuer == CLOUD_PROFILE.issuer
    api_base = (
        _typed_api_url(api_url)
        or metadata.api_base_url
        or (existing.api_base if existing is not None and same_server else None)
        or (CLOUD_PROFILE.api_base if cloud else None)
    )
    wanted_scopes = tuple(scopes) if scopes else None
    if existing is not None and same_server:
        return replace(
            existing,
            client_id=client_id or existing.client_id,
            scopes=wanted_scopes or existing.scopes,
            api_base=api_base,
        )
    return Profile(
        id=chosen_id,
        name=CLOUD_PROFILE.name if cloud else _host_of(issuer),
        issuer=issuer,
        client_id=client_id or DESKTOP_CLIENT_ID,
        api_base=api_base,
        audience=CLOUD_PROFILE.audience if cloud else None,
        scopes=wanted_scopes or default_scopes(metadata),
    )


def _typed_api_url(api_url: str | None) -> str | None:
    return api_url.strip().rstrip("/") or None if api_url else None


def api_url_note(metadata: ServerMetadata, api_url: str | None) -> str | None:
    """The note for stderr when ``--api-url`` overrides a different address the server's
    metadata names (the person's choice wins, but they should know it differs)."""
    typed = _typed_api_url(api_url)
    named = metadata.api_base_url.rstrip("/") if metadata.api_base_url else None
    if typed is None or named is None or typed == named:
        return None
    return f"Note: the server names its API at {named}; using {typed} from --api-url as you asked."


def audience_of(access_token: str) -> str | None:
    """The API audience an access token names (its first ``aud``), if it is a usable URL."""
    audience = unverified_claims(access_token).get("aud")
    if isinstance(audience, list):
        audience = audience[0] if audience else None
    if not isinstance(audience, str) or not is_secure_url(audience):
        return None
    return audience


__all__ = ["api_url_note", "audience_of", "default_scopes", "profile_for_issuer"]
