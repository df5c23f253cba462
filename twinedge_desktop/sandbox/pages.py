"""Server-rendered pages (sign-in, consent, errors, home) with Jinja2, autoescape on.

Pages send a strict Content-Security-Policy (no scripts at all, styles only from
``/static``), are never framed and never cached, and send no referrer, so an
authorization code in a later redirect cannot leak through a page.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import jinja2
from starlette.responses import HTMLResponse

from twinedge_desktop.sandbox.state import DEMO_USERS, ORG_ID

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@cache
def _environment() -> jinja2.Environment:
    templates = resources.files("twinedge_desktop.sandbox") / "templates"
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def static_directory() -> str:
    return str(resources.files("twinedge_desktop.sandbox") / "static")


def render(
    template: str,
    *,
    issuer: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    html = (
        _environment()
        .get_template(template)
        .render(issuer=issuer, demo_users=DEMO_USERS, org=ORG_ID, **context)
    )
    return HTMLResponse(html, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def error_page(
    issuer: str, heading: str, message: str, *, status: int = 400, detail: str | None = None
) -> HTMLResponse:
    """An error the browser shows instead of redirecting (unknown client, bad redirect URI,
    expired or forged form)."""
    return render(
        "error.html", issuer=issuer, status=status, heading=heading, message=message, detail=detail
    )
