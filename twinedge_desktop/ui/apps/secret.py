"""Show a client secret once: after registering a web application or service, and after a rotation.

:func:`show_client_secret` is the one place the applications page shows a secret. It opens
the window's copy-once dialog (``ui/common/copy_once.py``, shared with API keys): masked
until revealed, copied as a secret the clipboard managers skip and cleared after the
preference's delay (30 s by default), and closed only once the person confirms they stored
it (Escape asks first).

What is said around the secret is decided here: which application it belongs to, until
when the previous secret still works after a rotation (or that it stopped at once), and
ready-to-use snippets: the environment variables the ``twinedge`` SDK reads, a ``.env``
file, and for a service account the seed's client-credentials request and the SDK form.
A web application's secret is used by its own server in the code exchange, which Try it
shows as ``curl``; a client-credentials snippet would be refused for it (the grant is a
service's), so none is offered.

Everything put into a snippet from outside (the client id and secret come from the server,
the issuer from its metadata) is quoted for where it goes, so a value holding ``$(…)`` or
a quote cannot turn a pasted snippet into another command.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from twinedge_desktop.api.apps import OAuthApp
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.timefmt import Clock, absolute_time, format_countdown, utc_now
from twinedge_desktop.ui.apps.model import TYPE_SHORT
from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.copy_once import CopyOnceDialog, CopyOncePanel, Snippet

DEFAULT_ISSUER = "https://auth.twinedgeai.com"
DEFAULT_API_ROOT = "https://api.twinedgeai.com"
WHAT = "client secret"
# Shell words that need no quoting (what a client id, a base62 secret and a URL are made of).
_PLAIN = re.compile(r"[A-Za-z0-9_.:/@%+=,~\-]+")

SDK_TEMPLATE = """import os

from twinedge import TwinEdgeClient

client = TwinEdgeClient(
    client_id=os.environ["TWINEDGE_CLIENT_ID"],
    client_secret=os.environ["TWINEDGE_CLIENT_SECRET"],
    scopes={scopes},{servers}
)
print(client.me())"""


@dataclass(frozen=True)
class ShownSecret:
    """A secret to show once, and the application it belongs to (``rotated``: it replaced
    another, whose end the dialog states)."""

    app: OAuthApp
    secret: str = field(repr=False)
    rotated: bool = False


def previous_secret_note(app: OAuthApp, now: datetime) -> str:
    """After a rotation: until when the secret before this one works, or that it stopped."""
    until = app.previous_secret_expires_at
    if until is None or until <= now:
        return "The previous secret stopped working when this one was made."
    return (
        f"The previous secret keeps working until {absolute_time(until)} "
        f"({format_countdown(until, now)}): update the application before then."
    )


def _shell(word: str) -> str:
    return word if _PLAIN.fullmatch(word) else shlex.quote(word)


def _python(text: str) -> str:
    return json.dumps(text)  # JSON's string escapes are Python's


def secret_snippets(
    app: OAuthApp, secret: str, *, issuer: str | None, api_base: str | None
) -> list[Snippet]:
    """Ways to use the secret (see the module docstring)."""
    client_id, quoted_secret = _shell(app.client_id), _shell(secret)
    snippets = [
        Snippet(
            "Shell",
            f"export TWINEDGE_CLIENT_ID={client_id}\nexport TWINEDGE_CLIENT_SECRET={quoted_secret}",
        ),
        Snippet(".env", f"TWINEDGE_CLIENT_ID={client_id}\nTWINEDGE_CLIENT_SECRET={quoted_secret}"),
    ]
    if app.application_type is not ApplicationType.SERVICE:
        return snippets
    issuer = (issuer or DEFAULT_ISSUER).rstrip("/")
    root = (api_base or DEFAULT_API_ROOT).rstrip("/").removesuffix("/v1")
    scope = " ".join(app.scopes)
    snippets.append(
        Snippet(
            "curl",
            f"curl {_shell(issuer + '/oauth/token')} \\\n"
            f"  -u {_shell(f'{app.client_id}:{secret}')} \\\n"
            f"  -d grant_type=client_credentials -d {_shell(f'scope={scope}')}",
        )
    )
    servers = ""
    if (issuer, root) != (DEFAULT_ISSUER, DEFAULT_API_ROOT):
        servers = f"\n    base_url={_python(root)},\n    issuer={_python(issuer)},"
    sdk = SDK_TEMPLATE.replace("{scopes}", json.dumps(list(app.scopes)))
    snippets.append(Snippet("Python (SDK)", sdk.replace("{servers}", servers)))
    return snippets


def show_client_secret(
    shown: ShownSecret,
    clipboard: SecretClipboard,
    clear_after_seconds: int,
    parent: QWidget,
    *,
    issuer: str | None = None,
    api_base: str | None = None,
    clock: Clock = utc_now,
) -> CopyOnceDialog:
    """Open the copy-once dialog for ``shown`` (``open()``: it does not block) and return it.

    The dialog deletes itself when it closes; its panel empties every widget that showed
    the secret then (``CopyOncePanel.wipe``).
    """
    app = shown.app
    note = previous_secret_note(app, clock()) if shown.rotated else ""
    panel = CopyOncePanel(
        shown.secret,
        what=WHAT,
        heading=f"{app.name} ({TYPE_SHORT[app.application_type]}) · client ID {app.client_id}",
        clipboard=clipboard,
        clear_after_seconds=clear_after_seconds,
        snippets=secret_snippets(app, shown.secret, issuer=issuer, api_base=api_base),
        note=note,
    )
    title = "Your new client secret"
    dialog = CopyOnceDialog(panel, title=title, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()  # never exec(): coroutines may be running
    return dialog
