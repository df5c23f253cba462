"""The rules for OAuth applications, shared by the sandbox (which enforces them) and the
client (whose editor checks as you type): application types, redirect URIs, names, scopes.

One implementation, imported by both sides, so the window can never accept what the
server refuses or the reverse. Pure functions over strings: no I/O, no Qt, no httpx
(``tests/unit/test_oauth_apps_rules.py`` imports it with those blocked).

Redirect URIs (DESIGN.md "OAuth applications", RFC 6749 §3.1.2, RFC 8252 §7–8):

- ``web`` and ``spa``: ``https://``, or ``http://`` only on ``localhost``, ``127.0.0.1``
  and ``[::1]`` (a developer's own machine); matched exactly at request time.
- ``native``: loopback ``http://127.0.0.1/…`` or ``http://[::1]/…``, any port at request
  time (§7.3; ``localhost`` is refused, §8.3); a private-use scheme in reverse-domain form
  with a single slash, ``com.example.app:/callback`` (§7.1); or ``https://`` (§7.2).
- ``service``: none (client credentials only).
- Always: absolute, ASCII, no fragment, no wildcard, no user name or password, at most
  2,000 characters each and 10 in all, no duplicates.

Each reason is one short line meant to sit under the field it describes.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import SplitResult, unquote, urlsplit

from twinedge_desktop.scopes import SCOPES_BY_NAME

MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI_LENGTH = 2000
MAX_NAME_LENGTH = 100

# Hosts where plain http:// is allowed for web and SPA apps (a developer's own machine).
WEB_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# RFC 8252 §7.3 / §8.3: native apps use the loopback IP literals, never the name.
NATIVE_LOOPBACK_HOSTS = ("127.0.0.1", "::1")


class ApplicationType(StrEnum):
    """The seed's "Web, Mobile, SPA", plus service accounts. A ``StrEnum``: the API's value."""

    WEB = "web"
    SPA = "spa"
    NATIVE = "native"
    SERVICE = "service"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_confidential(self) -> bool:
        """Whether the app has a client secret (and must authenticate with it)."""
        return self in (ApplicationType.WEB, ApplicationType.SERVICE)

    @property
    def uses_redirect_uris(self) -> bool:
        return self is not ApplicationType.SERVICE

    @property
    def requires_pkce(self) -> bool:
        """Public clients must send PKCE S256; ``web`` may (and it is then verified)."""
        return self in (ApplicationType.SPA, ApplicationType.NATIVE)

    @property
    def grant_types(self) -> tuple[str, ...]:
        if self is ApplicationType.SERVICE:
            return ("client_credentials",)
        return ("authorization_code", "refresh_token")


_LABELS = {
    ApplicationType.WEB: "Web application",
    ApplicationType.SPA: "Single-page application",
    ApplicationType.NATIVE: "Mobile or desktop application",
    ApplicationType.SERVICE: "Service account",
}


def parse_application_type(value: object) -> ApplicationType | None:
    """The type named by ``value`` (exactly one of the API's values), else None."""
    if isinstance(value, str):
        try:
            return ApplicationType(value)
        except ValueError:
            return None
    return None


# -- redirect URIs --------------------------------------------------------------------------

# RFC 3986's unreserved and reserved characters plus "%": anything else (spaces, controls,
# non-ASCII, backslashes, quotes, angle brackets) does not belong in a URI as written.
_URI_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_REVERSE_DOMAIN_LABEL = re.compile(r"^[a-z][a-z0-9-]*$")


def _host_problem(parts: SplitResult) -> str | None:
    """Why the authority's host is not a usable host name or IP literal, or None."""
    try:
        host = parts.hostname
    except ValueError:
        return "has an invalid host"
    if not host:
        return "has no host"
    if parts.netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "has an invalid IPv6 address"
        return None
    labels = host.split(".")
    if not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return "has an invalid host name"
    return None


def _port_text(parts: SplitResult) -> str | None:
    """The port exactly as written (``""`` for a bare colon), or None when there is none."""
    host_and_port = parts.netloc.rpartition("@")[2]
    after_host = (
        host_and_port.rpartition("]")[2] if host_and_port.startswith("[") else host_and_port
    )
    if ":" not in after_host:
        return None
    return after_host.rpartition(":")[2]


def _port_is_canonical(parts: SplitResult) -> bool:
    """No port, or one written as 1–65535 without leading zeros (``:08080`` and ``:0`` are
    not ports a browser would be sent to, and would compare unequal to their clean form)."""
    text = _port_text(parts)
    if text is None:
        return True
    return text.isascii() and text.isdigit() and text[0] != "0" and int(text) <= 65535


def _native_scheme_problem(scheme: str, uri: str) -> str | None:
    """RFC 8252 §7.1: a reverse domain name the developer controls, then a single slash."""
    labels = scheme.lower().split(".")
    if len(labels) < 2 or not all(_REVERSE_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return (
            "a private-use scheme must be a reverse domain name you control, such as "
            "com.example.app (RFC 8252 §7.1)"
        )
    rest = uri[len(scheme) + 1 :]
    if rest.startswith("//"):
        return f"a private-use scheme takes a single slash: {scheme}:/callback (RFC 8252 §7.1)"
    if not rest.startswith("/") or len(rest.split("?", 1)[0]) < 2:
        return f"needs a path after the scheme, such as {scheme}:/callback"
    return None


def redirect_uri_problem(application_type: ApplicationType, uri: str) -> str | None:
    """Why ``uri`` cannot be a redirect URI of an app of this type, or None when it can."""
    if not uri:
        return "is empty: enter a redirect URI"
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        return f"is longer than {MAX_REDIRECT_URI_LENGTH:,} characters ({len(uri):,})"
    if "#" in uri:
        return "has a fragment (#…); redirect URIs must not have one (RFC 6749 §3.1.2)"
    if "*" in uri or "*" in unquote(uri):
        return "has a wildcard (*); register each redirect URI exactly"
    if not _URI_CHARACTERS.fullmatch(uri):
        return (
            "has characters a URI cannot contain (spaces, control or non-ASCII characters); "
            "percent-encode them"
        )
    if _BAD_PERCENT.search(uri):
        return "has a % that is not followed by two hexadecimal digits"
    scheme_match = _SCHEME.match(uri)
    if scheme_match is None:
        return "is not an absolute URI: it needs a scheme, such as https://"
    scheme = scheme_match.group(1)
    lowered = scheme.lower()
    if application_type is ApplicationType.SERVICE:
        return "a service application uses client credentials and has no redirect URIs"
    if lowered not in ("http", "https"):
        if application_type is ApplicationType.NATIVE:
            return _native_scheme_problem(scheme, uri)
        return "must use https:// (or http:// on localhost, 127.0.0.1 or [::1])"
    if not uri[len(scheme) + 1 :].startswith("//"):
        return f"needs // after {lowered}:, as in {lowered}://example.com/callback"
    try:
        parts = urlsplit(uri)
        _ = parts.port  # ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        return "has an invalid port or address"
    if "@" in parts.netloc:
        return "has a user name or password (…@); redirect URIs must not"
    if not _port_is_canonical(parts):
        return "has an invalid port (a number from 1 to 65535, without leading zeros)"
    host_problem = _host_problem(parts)
    if host_problem is not None:
        return host_problem
    host = (parts.hostname or "").lower()
    if lowered == "https":
        return None
    if application_type is ApplicationType.NATIVE:
        if host == "localhost":
            return "use 127.0.0.1 or [::1] instead of localhost (RFC 8252 §8.3)"
        if host not in NATIVE_LOOPBACK_HOSTS:
            return (
                "http:// is allowed only on the loopback addresses 127.0.0.1 and [::1] "
                "(RFC 8252 §7.3); use https:// or a private-use scheme"
            )
        return None
    if host not in WEB_LOOPBACK_HOSTS:
        return "http:// is allowed only on localhost, 127.0.0.1 and [::1]; use https://"
    return None


@dataclass(frozen=True, slots=True)
class RedirectUriCheck:
    """The verdict on a list of redirect URIs: a reason (or None) per URI, in order, and a
    problem with the list as a whole (too many, none, any at all for a service app)."""

    uris: tuple[str, ...]
    reasons: tuple[str | None, ...]
    list_problem: str | None

    @property
    def ok(self) -> bool:
        return self.list_problem is None and all(reason is None for reason in self.reasons)

    def first_problem(self) -> str | None:
        """One sentence for an error message: the list's problem, else the first URI's."""
        if self.list_problem is not None:
            return self.list_problem
        for index, reason in enumerate(self.reasons):
            if reason is not None:
                shown = self.uris[index]
                if len(shown) > 80:
                    shown = shown[:77] + "..."
                return f"redirect_uris[{index}] ({shown}) {reason}"
        return None


def check_redirect_uris(application_type: ApplicationType, uris: Sequence[str]) -> RedirectUriCheck:
    """Every rule at once, so an editor can mark each offending line."""
    reasons: list[str | None] = []
    seen: set[str] = set()
    for uri in uris:
        reason = redirect_uri_problem(application_type, uri)
        if reason is None and uri in seen:
            reason = "is listed twice"
        seen.add(uri)
        reasons.append(reason)
    list_problem: str | None = None
    if not application_type.uses_redirect_uris:
        if uris:
            list_problem = "a service application uses client credentials and has no redirect URIs"
    elif not uris:
        list_problem = "add at least one redirect URI"
    elif len(uris) > MAX_REDIRECT_URIS:
        list_problem = f"at most {MAX_REDIRECT_URIS} redirect URIs are allowed ({len(uris)} given)"
    return RedirectUriCheck(tuple(uris), tuple(reasons), list_problem)


def _loopback_parts(uri: str) -> SplitResult | None:
    """``uri`` split, when it is a plain loopback ``http://`` URI (any port), else None."""
    try:
        parts = urlsplit(uri)
        _ = parts.port
    except ValueError:
        return None
    if parts.scheme != "http" or "@" in parts.netloc or parts.fragment:
        return None
    if not _port_is_canonical(parts):
        return None
    if (parts.hostname or "") not in NATIVE_LOOPBACK_HOSTS:
        return None
    return parts


def redirect_uri_matches(
    application_type: ApplicationType, registered: Iterable[str], requested: str
) -> bool:
    """Whether an authorization request's ``redirect_uri`` is one the app registered.

    Exact string comparison (RFC 6749 §3.1.2.3), except that a native app's loopback
    URI matches on any port (RFC 8252 §7.3): same host literal, path and query.
    """
    if redirect_uri_problem(application_type, requested) is not None:
        return False
    registered = tuple(registered)
    if requested in registered:
        return True
    if application_type is not ApplicationType.NATIVE:
        return False
    wanted = _loopback_parts(requested)
    if wanted is None:
        return False
    for candidate in registered:
        parts = _loopback_parts(candidate)
        if (
            parts is not None
            and parts.hostname == wanted.hostname
            and parts.path == wanted.path
            and parts.query == wanted.query
        ):
            return True
    return False


# -- names ------------------------------------------------------------------------------------

# Trojan Source (CVE-2021-42574): these reorder how text displays without changing it.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Letters and symbols that draw nothing (Hangul fillers, the braille blank).
_BLANK_GRAPHICS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(character: str) -> bool:
    category = unicodedata.category(character)
    return category[0] in "LNPS" and character not in _BLANK_GRAPHICS


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name an app, or None. 1–100 characters once trimmed (code points),
    one line, nothing that hides or reorders text, at least one visible character.

    Format characters other than the bidirectional controls (the zero-width joiner of emoji
    sequences, emoji tag characters) are allowed.
    """
    for character in name:
        category = unicodedata.category(character)
        if category == "Cc":
            return "contains a control character (such as a tab or a line break)"
        if category in ("Zl", "Zp"):
            return "contains a line or paragraph separator"
        if character in BIDI_CONTROLS:
            return (
                "contains a bidirectional-text control character, which can make a name "
                "display differently from what it says"
            )
        if category in ("Cs", "Co", "Cn"):
            return "contains a character that cannot be displayed (unassigned or private use)"
    trimmed = normalized_name(name)
    if not trimmed:
        return "is empty: enter a name"
    if len(trimmed) > MAX_NAME_LENGTH:
        return f"is longer than {MAX_NAME_LENGTH} characters ({len(trimmed)})"
    if not any(_visible(character) for character in trimmed):
        return "has nothing visible in it"
    return None


def normalized_name(name: str) -> str:
    """The name as stored: without spaces at either end."""
    return name.strip()


# -- scopes -------------------------------------------------------------------------------------


def unique_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """The scopes in order, each once."""
    return tuple(dict.fromkeys(scopes))


def scopes_problem(scopes: Sequence[str]) -> str | None:
    """Why these cannot be an app's scopes (none, or one TwinEdge does not define), or None."""
    if not scopes:
        return "choose at least one scope"
    unknown = [scope for scope in scopes if scope not in SCOPES_BY_NAME]
    if unknown:
        return "unknown scope: " + " ".join(unknown[:5])
    return None


def scopes_beyond(wanted: Iterable[str], holder_scopes: Iterable[str]) -> tuple[str, ...]:
    """The scopes of ``wanted`` that ``holder_scopes`` does not include (none for ``admin``).

    An app's scopes must be within its owner's unless the owner is an admin.
    """
    held = set(holder_scopes)
    if "admin" in held:
        return ()
    return tuple(scope for scope in unique_scopes(wanted) if scope not in held)


__all__ = [
    "BIDI_CONTROLS",
    "MAX_NAME_LENGTH",
    "MAX_REDIRECT_URIS",
    "MAX_REDIRECT_URI_LENGTH",
    "ApplicationType",
    "RedirectUriCheck",
    "check_redirect_uris",
    "name_problem",
    "normalized_name",
    "parse_application_type",
    "redirect_uri_matches",
    "redirect_uri_problem",
    "scopes_beyond",
    "scopes_problem",
    "unique_scopes",
]
