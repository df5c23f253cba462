"""URL rules shared by sign-in, the API client and the token inspector.

One place decides which addresses may be spoken to over plain HTTP (only this
computer) and where an issuer's metadata lives, so sign-in discovery and the
inspector's key lookup can never disagree. Plain functions, no I/O.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

RFC8414_WELL_KNOWN = "/.well-known/oauth-authorization-server"
OPENID_WELL_KNOWN = "/.well-known/openid-configuration"


def is_loopback_host(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``.

    Only the name ``localhost`` itself counts, not ``*.localhost``: a resolver that
    does not special-case those names would send them to DNS, and plain HTTP there
    would carry tokens off this computer.
    """
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_secure_url(url: str) -> bool:
    """HTTPS, or plain HTTP to this computer only (RFC 8252 §8.3 and the sandbox).

    A malformed URL (``http://[::1``, a bad port) is simply not secure: never an exception.
    """
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        _ = parts.port  # raises ValueError for a port that is not one
    except ValueError:
        return False
    if parts.scheme == "https":
        return bool(hostname)
    return parts.scheme == "http" and is_loopback_host(hostname)


def well_known_urls(issuer: str) -> list[str]:
    """RFC 8414 §3.1 location (inserted before the issuer's path), then OpenID's (appended).

    For an issuer without a path both rules give ``{origin}/.well-known/...``.
    """
    parts = urlsplit(issuer.rstrip("/"))
    path = parts.path.rstrip("/")
    rfc8414 = urlunsplit((parts.scheme, parts.netloc, RFC8414_WELL_KNOWN + path, "", ""))
    openid = urlunsplit((parts.scheme, parts.netloc, path + OPENID_WELL_KNOWN, "", ""))
    return [rfc8414, openid]


def display_url(url: str, limit: int = 160) -> str:
    """``url`` fit for a message or a log line: no ``user:password@``, secrets redacted, bounded.

    Addresses in error messages come from a person or a server; either may carry a
    credential (``https://user:pw@host/…``, ``?access_token=…``), so this is the one
    way they are shown.
    """
    from twinedge_desktop.api.errors import clean_server_text

    try:
        parts = urlsplit(url)
        if "@" in parts.netloc:
            netloc = parts.netloc.rsplit("@", 1)[1]
            url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    except ValueError:
        url = url.rsplit("@", 1)[-1]
    return clean_server_text(url, limit)
