"""Drive the sandbox's sign-in and consent pages over plain HTTP, like a browser would.

``complete_sign_in(authorize_url)`` loads the authorization URL, submits the
sign-in form (``email``, ``password``, ``csrf_token``) and the consent form
(``decision``, ``csrf_token``), and returns the final redirect URL (the app's
loopback callback with ``code``/``state``/``iss``, or ``error=access_denied``)
WITHOUT following it. ``async_complete_sign_in`` does the same with
``httpx.AsyncClient``. Both raise :class:`SignInFailed` with the page's message
when the server shows a page instead of redirecting.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

DEFAULT_EMAIL = "engineer@example.com"
DEFAULT_PASSWORD = "twinedge-demo"
_TIMEOUT = 15.0
# Building an SSL context costs ~40 ms; every sign-in needs a fresh client (fresh cookies,
# like a fresh browser), so they share one context.
_SSL_CONTEXT = ssl.create_default_context()


class SignInFailed(AssertionError):
    """The sandbox answered with a page (error, wrong password…) where a redirect was expected."""

    def __init__(self, message: str, *, status: int, page_text: str) -> None:
        super().__init__(f"{message} (HTTP {status}): {page_text[:300]}")
        self.status = status
        self.page_text = page_text


@dataclass
class _Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, list[str]] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """Collects the first form's action, hidden/text inputs and submit buttons, plus the
    visible text (for error messages)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.form: _Form | None = None
        self._in_form = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and self.form is None:
            self.form = _Form(action=attributes.get("action", ""))
            self._in_form = True
        elif self._in_form and self.form is not None and tag in ("input", "button"):
            name = attributes.get("name")
            if not name:
                return
            kind = attributes.get("type", "submit" if tag == "button" else "text")
            if kind == "submit":
                self.form.buttons.setdefault(name, []).append(attributes.get("value", ""))
            else:
                self.form.fields[name] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(data.strip())


def _parse(response: httpx.Response) -> tuple[_Form | None, str]:
    parser = _FormParser()
    parser.feed(response.text)
    return parser.form, " ".join(parser.text)


def _expect_form(response: httpx.Response, step: str) -> _Form:
    form, text = _parse(response)
    if response.status_code != 200 or form is None:
        raise SignInFailed(f"expected the {step} page", status=response.status_code, page_text=text)
    return form


def _redirect_target(response: httpx.Response, step: str) -> str:
    if response.status_code not in (301, 302, 303, 307, 308):
        _, text = _parse(response)
        raise SignInFailed(
            f"expected a redirect after {step}", status=response.status_code, page_text=text
        )
    return urljoin(str(response.url), response.headers["location"])


def _signin_data(form: _Form, email: str, password: str) -> dict[str, str]:
    return {**form.fields, "email": email, "password": password}


def _consent_data(form: _Form, decision: str) -> dict[str, str]:
    if decision not in form.buttons.get("decision", []):
        raise AssertionError(f"the consent page offers no {decision!r} button")
    return {**form.fields, "decision": decision}


def complete_sign_in(
    authorize_url: str,
    email: str = DEFAULT_EMAIL,
    password: str = DEFAULT_PASSWORD,
    decision: str = "allow",
) -> str:
    """Sign in and decide; returns the redirect URL the browser would follow next.

    If the sign-in itself ends in a redirect (e.g. ``error=invalid_scope``), that URL
    is returned without showing a consent page.
    """
    with httpx.Client(timeout=_TIMEOUT, follow_redirects=False, verify=_SSL_CONTEXT) as client:
        first = client.get(authorize_url)
        if first.is_redirect:
            return _redirect_target(first, "the authorization request")
        form = _expect_form(first, "sign-in")
        after_signin = client.post(
            urljoin(str(first.url), form.action), data=_signin_data(form, email, password)
        )
        if after_signin.is_redirect:
            return _redirect_target(after_signin, "sign-in")
        consent = _expect_form(after_signin, "consent")
        final = client.post(
            urljoin(str(after_signin.url), consent.action), data=_consent_data(consent, decision)
        )
        return _redirect_target(final, "consent")


async def async_complete_sign_in(
    authorize_url: str,
    email: str = DEFAULT_EMAIL,
    password: str = DEFAULT_PASSWORD,
    decision: str = "allow",
) -> str:
    """:func:`complete_sign_in` with ``httpx.AsyncClient`` (for tests on an event loop)."""
    async with httpx.AsyncClient(
        timeout=_TIMEOUT, follow_redirects=False, verify=_SSL_CONTEXT
    ) as client:
        first = await client.get(authorize_url)
        if first.is_redirect:
            return _redirect_target(first, "the authorization request")
        form = _expect_form(first, "sign-in")
        after_signin = await client.post(
            urljoin(str(first.url), form.action), data=_signin_data(form, email, password)
        )
        if after_signin.is_redirect:
            return _redirect_target(after_signin, "sign-in")
        consent = _expect_form(after_signin, "consent")
        final = await client.post(
            urljoin(str(after_signin.url), consent.action), data=_consent_data(consent, decision)
        )
        return _redirect_target(final, "consent")
