"""Show a client secret once: after registering a web application or service, and after a rotation.

:func:`show_client_secret` is the one place the applications page shows a secret. It uses
the window's generic copy-once dialog (``ui/common``): masked until revealed, copied as a
secret the clipboard managers skip and cleared after the preference's delay (30 s by
default), and closed only once the person confirms they stored it.

What is said around the secret is decided here: which application it belongs to, until
when the previous secret still works after a rotation (or that it stopped at once), and
ready-to-use snippets (the ``twinedge`` SDK's environment variables, and for a service the
seed's client-credentials request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtWidgets import QDialog, QWidget

from twinedge_desktop.api.apps import OAuthApp
from twinedge_desktop.oauth_apps_rules import ApplicationType
from twinedge_desktop.timefmt import Clock, absolute_time, format_countdown, utc_now
from twinedge_desktop.ui.common.clipboard import SecretClipboard

DEFAULT_ISSUER = "https://auth.twinedgeai.com"


@dataclass(frozen=True)
class ShownSecret:
    """A secret to show once, and the application it belongs to."""

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


def secret_snippets(app: OAuthApp, secret: str, issuer: str | None) -> list[tuple[str, str]]:
    """Ways to use the secret: the SDK's environment variables, a ``.env`` file, and for a
    service account the seed's client-credentials request."""
    snippets = [
        (
            "Shell",
            f"export TWINEDGE_CLIENT_ID={app.client_id} TWINEDGE_CLIENT_SECRET={secret}",
        ),
        (".env", f"TWINEDGE_CLIENT_ID={app.client_id}\nTWINEDGE_CLIENT_SECRET={secret}"),
    ]
    if app.application_type is ApplicationType.SERVICE:
        token_url = f"{(issuer or DEFAULT_ISSUER).rstrip('/')}/oauth/token"
        scope = " ".join(app.scopes)
        snippets.append(
            (
                "curl",
                f'curl -u "{app.client_id}:{secret}" -d grant_type=client_credentials '
                f'-d scope="{scope}" "{token_url}"',
            )
        )
    return snippets


def show_client_secret(
    shown: ShownSecret,
    clipboard: SecretClipboard,
    clear_after_seconds: int,
    parent: QWidget,
    *,
    issuer: str | None = None,
    clock: Clock = utc_now,
) -> QDialog:
    """Open the copy-once dialog for ``shown`` (``open()``: it does not block) and return it."""
    raise NotImplementedError("waiting for ui/common's copy-once dialog")
