"""One table of redirect-URI cases, run against the pure rules (tests/unit/test_oauth_apps_rules.py)
and against the sandbox over HTTP (tests/integration/sandbox/test_oauth_apps.py).

Each case: the application type, the URI, and ``None`` when it must be accepted or a
fragment of the reason it must be refused with. Running the same table against both is
what keeps the window's editor and the server in agreement.
"""

from __future__ import annotations

from dataclasses import dataclass

from twinedge_desktop.oauth_apps_rules import ApplicationType

WEB = ApplicationType.WEB
SPA = ApplicationType.SPA
NATIVE = ApplicationType.NATIVE
SERVICE = ApplicationType.SERVICE


@dataclass(frozen=True)
class RedirectCase:
    application_type: ApplicationType
    uri: str
    refused_because: str | None  # None: accepted

    @property
    def id(self) -> str:
        shown = self.uri if len(self.uri) <= 50 else f"{self.uri[:30]}…({len(self.uri)} chars)"
        verdict = "ok" if self.refused_because is None else "refused"
        return f"{self.application_type.value}:{verdict}:{shown}"


def _long_https(length: int) -> str:
    prefix = "https://app.example.com/"
    return prefix + "a" * (length - len(prefix))


HTTP_ONLY_LOOPBACK = "http:// is allowed only on localhost, 127.0.0.1 and [::1]"
MUST_USE_HTTPS = "must use https://"

REDIRECT_CASES: tuple[RedirectCase, ...] = (
    # web: https, or http on localhost / 127.0.0.1 / [::1]
    RedirectCase(WEB, "https://app.example.com/callback", None),
    RedirectCase(WEB, "https://app.example.com:8443/oauth/cb?tenant=north", None),
    RedirectCase(WEB, "http://localhost/callback", None),
    RedirectCase(WEB, "http://localhost:3000/callback", None),
    RedirectCase(WEB, "http://127.0.0.1:8080/callback", None),
    RedirectCase(WEB, "http://[::1]:8080/callback", None),
    RedirectCase(WEB, "HTTPS://APP.EXAMPLE.COM/callback", None),
    RedirectCase(WEB, _long_https(2000), None),
    RedirectCase(WEB, _long_https(2001), "longer than 2,000 characters"),
    RedirectCase(WEB, "http://app.example.com/callback", HTTP_ONLY_LOOPBACK),
    RedirectCase(WEB, "http://127.0.0.2/callback", HTTP_ONLY_LOOPBACK),
    RedirectCase(WEB, "https://app.example.com/callback#done", "fragment"),
    RedirectCase(WEB, "https://app.example.com/callback#", "fragment"),
    RedirectCase(WEB, "https://*.example.com/callback", "wildcard"),
    RedirectCase(WEB, "https://app.example.com/*", "wildcard"),
    RedirectCase(WEB, "https://app.example.com/%2A", "wildcard"),
    RedirectCase(WEB, "com.example.app:/callback", MUST_USE_HTTPS),
    RedirectCase(WEB, "javascript:alert(1)", MUST_USE_HTTPS),
    RedirectCase(WEB, "https://user:pw@app.example.com/callback", "user name or password"),
    RedirectCase(WEB, "https://app.example.com/call back", "characters a URI cannot contain"),
    RedirectCase(WEB, "https://app.example.com/callback\n", "characters a URI cannot contain"),
    RedirectCase(WEB, "https://exämple.com/callback", "characters a URI cannot contain"),
    RedirectCase(WEB, "https://app.example.com/%zz", "not followed by two hexadecimal"),
    RedirectCase(WEB, "/callback", "not an absolute URI"),
    RedirectCase(WEB, "https:///callback", "no host"),
    RedirectCase(WEB, "https:/app.example.com/callback", "needs // after https:"),
    RedirectCase(WEB, "https://app.example.com:99999/callback", "invalid port"),
    RedirectCase(WEB, "http://127.0.0.1:08080/callback", "invalid port"),
    RedirectCase(WEB, "https://bad_host.example.com/callback", "invalid host name"),
    RedirectCase(WEB, "", "empty"),
    # spa: the same rules as web
    RedirectCase(SPA, "https://spa.example.com/", None),
    RedirectCase(SPA, "http://localhost:5173/callback", None),
    RedirectCase(SPA, "http://spa.example.com/", HTTP_ONLY_LOOPBACK),
    RedirectCase(SPA, "com.example.app:/callback", MUST_USE_HTTPS),
    RedirectCase(SPA, "https://spa.example.com/#/callback", "fragment"),
    # native: loopback IP literals (any port later), reverse-domain private schemes, https
    RedirectCase(NATIVE, "http://127.0.0.1/callback", None),
    RedirectCase(NATIVE, "http://127.0.0.1:8400/callback", None),
    RedirectCase(NATIVE, "http://[::1]/callback", None),
    RedirectCase(NATIVE, "com.example.app:/callback", None),
    RedirectCase(NATIVE, "com.example.app:/oauth2redirect/twinedge", None),
    RedirectCase(NATIVE, "https://app.example.com/callback", None),
    RedirectCase(NATIVE, "http://localhost/callback", "instead of localhost (RFC 8252 §8.3)"),
    RedirectCase(NATIVE, "http://app.example.com/callback", "loopback addresses 127.0.0.1"),
    RedirectCase(NATIVE, "com.example.app://callback", "single slash"),
    RedirectCase(NATIVE, "myapp:/callback", "reverse domain name"),
    RedirectCase(NATIVE, "com.example.app:callback", "needs a path"),
    RedirectCase(NATIVE, "com.example.app:/", "needs a path"),
    RedirectCase(NATIVE, "com.example.app:/callback#x", "fragment"),
    RedirectCase(NATIVE, "http://127.0.0.1/*", "wildcard"),
    RedirectCase(NATIVE, "http://127.0.0.1:0/callback", "invalid port"),
    # service: client credentials only, no redirect URIs at all
    RedirectCase(SERVICE, "https://svc.example.com/callback", "has no redirect URIs"),
)
