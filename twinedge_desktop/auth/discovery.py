"""Authorization server discovery: RFC 8414 metadata, falling back to OpenID discovery.

Only standard fields are relied on, so any compliant server that allows
loopback redirects for a public client works, not only TwinEdge's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from twinedge_desktop.api.errors import FetchError, FetchTooSlow, FetchUnavailable
from twinedge_desktop.api.http import get_json_document
from twinedge_desktop.api.urls import display_url
from twinedge_desktop.api.urls import is_loopback_host as is_loopback_host
from twinedge_desktop.api.urls import is_secure_url as is_secure_url
from twinedge_desktop.api.urls import well_known_urls as well_known_urls
from twinedge_desktop.auth.errors import DiscoveryError, clean_server_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerMetadata:
    """What the client needs from an authorization server's metadata."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str | None = None
    revocation_endpoint: str | None = None
    scopes_supported: tuple[str, ...] = ()
    iss_parameter_supported: bool = False
    code_challenge_methods_supported: tuple[str, ...] = ()
    grant_types_supported: tuple[str, ...] = ()
    token_endpoint_auth_methods_supported: tuple[str, ...] = ()
    # TwinEdge's extension field (RFC 8414 §2 allows others): where the server's REST API
    # is, e.g. "http://127.0.0.1:8765/v1". None when absent or not a usable address.
    api_base_url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerMetadata:
        """Build from a metadata document; raises DiscoveryError when it is unusable."""

        def text(name: str, required: bool = False) -> str | None:
            value = data.get(name)
            if value is None or value == "":
                if required:
                    raise DiscoveryError(
                        f"The authorization server's metadata lacks {name!r}, so sign-in "
                        "cannot work with it."
                    )
                return None
            if not isinstance(value, str):
                raise DiscoveryError(
                    f"The authorization server's metadata has an invalid {name!r}."
                )
            return value

        def strings(name: str) -> tuple[str, ...]:
            value = data.get(name)
            if isinstance(value, list):
                return tuple(str(v) for v in value)
            return ()

        issuer = text("issuer", required=True)
        authorization_endpoint = text("authorization_endpoint", required=True)
        token_endpoint = text("token_endpoint", required=True)
        assert issuer and authorization_endpoint and token_endpoint  # for the type checker
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "revocation_endpoint"):
            value = text(name)
            if value is not None and not is_secure_url(value):
                raise DiscoveryError(
                    f"The authorization server's {name} is not an HTTPS address; only servers on "
                    "this computer may use plain HTTP."
                )
        api_base_url = _api_base_url(data.get("api_base_url"))
        response_types = strings("response_types_supported")
        if response_types and "code" not in response_types:
            raise DiscoveryError(
                "The authorization server does not offer the authorization code flow, which "
                "this app uses to sign in."
            )
        return cls(
            issuer=issuer,
            authorization_endpoint=authorization_endpoint,
            token_endpoint=token_endpoint,
            jwks_uri=text("jwks_uri"),
            revocation_endpoint=text("revocation_endpoint"),
            scopes_supported=strings("scopes_supported"),
            iss_parameter_supported=data.get("authorization_response_iss_parameter_supported")
            is True,
            code_challenge_methods_supported=strings("code_challenge_methods_supported"),
            grant_types_supported=strings("grant_types_supported"),
            token_endpoint_auth_methods_supported=strings("token_endpoint_auth_methods_supported"),
            api_base_url=api_base_url,
            raw=dict(data),
        )

    @property
    def supports_pkce_s256(self) -> bool:
        """False only when the server lists its PKCE methods and S256 is not among them."""
        methods = self.code_challenge_methods_supported
        return not methods or "S256" in methods


def _api_base_url(value: Any) -> str | None:
    """The ``api_base_url`` extension, when it is an address tokens may be sent to.

    An extension field is optional, so a bad one is ignored (with a log line) rather
    than refusing the whole server: the profile then finds its API another way.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not is_secure_url(value):
        log.warning(
            "Ignoring the server's api_base_url: not an https:// address (plain http:// is "
            "only for a server on this computer)"
        )
        return None
    return value.rstrip("/")


def _same_issuer(announced: str, requested: str) -> bool:
    # RFC 8414 §3.3 wants an exact match; a trailing slash typed by a person is forgiven.
    return announced.rstrip("/") == requested.rstrip("/")


async def discover(http: httpx.AsyncClient, issuer: str) -> ServerMetadata:
    """Read the issuer's metadata (RFC 8414, else OpenID Connect Discovery).

    Raises :class:`DiscoveryError` with a message that says what went wrong.
    """
    issuer = issuer.strip()
    if not is_secure_url(issuer):
        raise DiscoveryError(
            f"{clean_server_text(issuer, 120)} is not a usable issuer: it must be an https:// "
            "address (plain http:// only for a server on this computer)."
        )
    problems: list[str] = []
    unreachable = 0  # locations where nothing answered at all (no HTTP status)
    for url in well_known_urls(issuer):
        # One document, whole, within a deadline and a byte cap (api/http.py): httpx's own
        # timeouts are per read, so a server trickling bytes would otherwise never end.
        try:
            document = await get_json_document(http, url, what="authorization server metadata")
        except FetchTooSlow as exc:
            # The other location is on the same server: it would keep us waiting as long.
            raise DiscoveryError(
                f"{exc.user_message} Check the issuer address and your connection."
            ) from None
        except FetchUnavailable as exc:
            problems.append(exc.reason)
            unreachable += exc.status is None
            log.info("Discovery at %s failed: %s", display_url(url), exc.reason)
            continue
        except FetchError as exc:
            problems.append(exc.reason)  # too large, not JSON: the other location may be fine
            continue
        data = document.data
        if not isinstance(data, dict):
            problems.append("not a JSON object")
            continue
        metadata = ServerMetadata.from_json(data)
        if not _same_issuer(metadata.issuer, issuer):
            raise DiscoveryError(
                "The authorization server's metadata names a different issuer "
                f"({clean_server_text(metadata.issuer, 120)}) than the one asked for "
                f"({clean_server_text(issuer, 120)}); refusing to use it."
            )
        log.info("Discovered authorization server %s", metadata.issuer)
        return metadata
    if problems and unreachable == len(problems):
        raise DiscoveryError(
            f"The authorization server at {clean_server_text(issuer, 120)} could not be reached: "
            f"{problems[0]}. Check the address and your connection."
        )
    raise DiscoveryError(
        f"No authorization server metadata was found at {clean_server_text(issuer, 120)} "
        f"({', '.join(problems)}). Check the issuer address."
    )
