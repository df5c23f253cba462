"""The signed-in side of the Account page: who, which organisation, which scopes, until when.

Shows the :class:`SessionInfo` of the current session: the person (or service, or
API key), the organisation, each granted scope with the product's meaning of it,
the access token's expiry as a live countdown, and which keychain holds the
refresh token. "Sign out" revokes at the server and forgets the stored tokens.

An API-key session is named by the key (its prefix), with its owner below; its expiry is
set on the key, and ``GET /v1/me`` (all the API tells a key about itself) does not say
it, so the page says where to see it rather than claiming the key never expires.

The page scrolls inside the window's page frame when the window is small; the local
sandbox's profile also shows how to sign in to it (:class:`SandboxCard`).

Signals:
    sign_out_requested(): the person chose "Sign out".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop import scopes as scope_catalogue
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.config import SANDBOX_PROFILE_ID
from twinedge_desktop.timefmt import Clock, utc_now
from twinedge_desktop.ui.account.sandbox_card import SandboxCard
from twinedge_desktop.ui.common.style import icon, set_role
from twinedge_desktop.ui.common.text import escape, expiry_text
from twinedge_desktop.ui.common.widgets import centered_column, label

if TYPE_CHECKING:
    from twinedge_desktop.auth.session import SessionInfo
    from twinedge_desktop.config import Profile

_KIND_TEXT = {
    CredentialKind.USER: "Signed in as a person (browser sign-in)",
    CredentialKind.SERVICE: "Service account (client credentials)",
    CredentialKind.API_KEY: "Using an API key for read-only checks (it cannot manage keys)",
}
API_KEY_EXPIRY = "set on the key"
API_KEY_EXPIRY_DETAIL = (
    "The API does not tell a key its own expiry. Signed in as a person, API Keys lists "
    "every key's expiry."
)


class AccountPage(QWidget):
    """Details of the signed-in session (see module docstring)."""

    sign_out_requested = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, sandbox_card: SandboxCard | None = None
    ) -> None:
        super().__init__(parent)
        self._info: SessionInfo | None = None
        self._clock: Clock = utc_now
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._update_expiry)

        self.heading = QLabel("Account")
        set_role(self.heading, "heading")
        self.kind_label = label()
        set_role(self.kind_label, "muted")

        card = QFrame()
        card.setObjectName("card")
        set_role(card, "card")
        form = QFormLayout(card)
        form.setContentsMargins(18, 16, 18, 16)
        form.setHorizontalSpacing(24)
        form.setVerticalSpacing(10)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.name_value = label()
        self.name_value.setAccessibleName("Name")
        self.email_value = label()
        self.email_value.setAccessibleName("Email")
        self.subject_value = label()
        self.org_value = label()
        self.profile_value = label()
        self.expiry_value = label()
        set_role(self.expiry_value, "countdown")
        self.expiry_value.setAccessibleName("Access token expiry")
        self.expiry_detail = label()
        set_role(self.expiry_detail, "muted")
        self.keychain_value = label()
        self.keychain_value.setAccessibleName("Where the refresh token is kept")
        self.scopes_value = label()
        # A two-column table, wrapped to the page's width (the meanings wrap, not the names).
        self.scopes_value.setTextFormat(Qt.TextFormat.RichText)
        self.scopes_value.setAccessibleName("Granted scopes")
        expiry = QVBoxLayout()
        self._expiry_row = expiry
        expiry.setSpacing(2)
        expiry.addWidget(self.expiry_value)
        expiry.addWidget(self.expiry_detail)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Name", self.name_value)
        form.addRow("Email", self.email_value)
        form.addRow("User ID", self.subject_value)
        form.addRow("Organization", self.org_value)
        form.addRow("Profile", self.profile_value)
        form.addRow("Access token", expiry)
        form.addRow("Refresh token", self.keychain_value)
        form.addRow("Scopes", self.scopes_value)
        self._form = form

        self.sign_out_button = QPushButton(icon("sign-out"), "Sign out")
        set_role(self.sign_out_button, "danger")
        self.sign_out_button.setToolTip(
            "Revoke the sign-in at the server and forget the saved tokens (Ctrl+Shift+L)"
        )
        self.sign_out_button.setAccessibleName("Sign out")
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.sign_out_button)

        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(self.heading)
        layout.addWidget(self.kind_label)
        layout.addWidget(card)
        layout.addLayout(buttons)
        self.sandbox_card = sandbox_card or SandboxCard(lambda: 30)
        layout.addWidget(self.sandbox_card)
        centered_column(self, column, max_width=720)

    def set_info(
        self,
        info: SessionInfo | None,
        profile: Profile | None,
        *,
        keychain_problem: str | None = None,
        api_key_prefix: str | None = None,
    ) -> None:
        """Show ``info`` (None: nobody, the countdown stops); ``keychain_problem`` says why
        the renewed sign-in could not be saved, beside where it is kept; ``api_key_prefix``
        names the API key an API-key session uses."""
        self._info = info
        self.sandbox_card.setVisible(profile is not None and profile.id == SANDBOX_PROFILE_ID)
        if info is None:
            self._tick.stop()
            return
        api_key = info.kind is CredentialKind.API_KEY
        if api_key:
            self.heading.setText(f"API key {api_key_prefix}…" if api_key_prefix else "API key")
        else:
            self.heading.setText(info.name or info.email or info.subject or "Account")
        self.kind_label.setText(_KIND_TEXT[info.kind])
        self._label_rows(api_key)
        self.name_value.setText(info.name or "—")
        self.email_value.setText(info.email or "—")
        self.subject_value.setText(info.subject or "—")
        self.org_value.setText(info.org or "—")
        if profile is not None:
            self.profile_value.setText(f"{profile.name} — {profile.issuer}")
        else:
            self.profile_value.setText("—")
        if api_key:
            keychain = "none (an API key is not a sign-in: it is used until you quit)"
        elif keychain_problem:
            keychain = f"{info.keychain} — not saved: {keychain_problem}"
        else:
            keychain = info.keychain
        self.keychain_value.setText(keychain)
        self.scopes_value.setText(self._scopes_html(info.scopes))
        self._update_expiry()
        if info.access_expires_at is not None:
            self._tick.start()
        else:
            self._tick.stop()

    def _label_rows(self, api_key: bool) -> None:
        """An API key's rows speak of the key and its owner, not of a signed-in person."""
        names = {
            self.name_value: "Key owner" if api_key else "Name",
            self.email_value: "Owner's email" if api_key else "Email",
            self.subject_value: "Owner's user ID" if api_key else "User ID",
        }
        for field, text in names.items():
            row_label = self._form.labelForField(field)
            if isinstance(row_label, QLabel):
                row_label.setText(text)
            field.setAccessibleName(text)
        expiry_label = self._form.labelForField(self._expiry_row)
        if isinstance(expiry_label, QLabel):
            expiry_label.setText("Key expiry" if api_key else "Access token")
        keychain_label = self._form.labelForField(self.keychain_value)
        if isinstance(keychain_label, QLabel):
            keychain_label.setText("Saved" if api_key else "Refresh token")

    @staticmethod
    def _scopes_html(granted: tuple[str, ...]) -> str:
        if not granted:
            return "<i>none</i>"
        rows = []
        for name in granted:
            meaning = scope_catalogue.describe(name) or "not a TwinEdge scope"
            rows.append(
                f"<tr><td style='padding:1px 14px 1px 0'><code>{escape(name)}</code></td>"
                f"<td style='padding:1px 0'>{escape(meaning)}</td></tr>"
            )
        return "<table cellspacing='0'>" + "".join(rows) + "</table>"

    def _update_expiry(self) -> None:
        info = self._info
        if info is None:
            return
        expires = info.access_expires_at
        api_key = info.kind is CredentialKind.API_KEY
        if expires is None:
            # Never "does not expire": an API key's expiry is on the key, unknown here.
            self.expiry_value.setText(API_KEY_EXPIRY if api_key else "—")
            self.expiry_detail.setText(API_KEY_EXPIRY_DETAIL if api_key else "")
            return
        self.expiry_value.setText(expiry_text(expires, self._clock()))
        local = expires.astimezone()
        if info.kind is CredentialKind.USER:
            renewal = "Renewed automatically from the refresh token when needed."
        elif api_key:
            renewal = "The key stops working then: make a new one before."
        else:
            renewal = "Sign in again when it expires."
        self.expiry_detail.setText(f"at {local:%H:%M:%S} ({local:%Z}). {renewal}")
