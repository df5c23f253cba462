"""The account page: who, org, scopes with their meaning, live expiry, keychain, sign out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers.session_fakes import user_info
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.config import sandbox_profile
from twinedge_desktop.ui.account.account_page import AccountPage

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def page(qtbot: Any) -> AccountPage:
    widget = AccountPage()
    qtbot.addWidget(widget)
    return widget


def test_shows_the_person_org_scopes_and_keychain(page: AccountPage) -> None:
    profile = sandbox_profile("http://127.0.0.1:8765")
    page.set_info(user_info(), profile)
    assert page.heading.text() == "Erin Engineer"
    assert page.email_value.text() == "engineer@example.com"
    assert page.subject_value.text() == "user-123"
    assert page.org_value.text() == "org-456"
    assert page.profile_value.text() == "Local sandbox — http://127.0.0.1:8765"
    assert page.keychain_value.text() == "Secret Service (GNOME Keyring)"
    scopes = page.scopes_value.text()
    # Each granted scope with the seed's meaning of it.
    assert "read:assets" in scopes and "Read asset data" in scopes
    assert "write:alerts" in scopes and "Create/manage alerts" in scopes
    assert "admin" not in scopes
    assert "person" in page.kind_label.text()


def test_expiry_counts_down_live(page: AccountPage) -> None:
    clock = [NOW]
    page._clock = lambda: clock[0]
    page.set_info(user_info(access_expires_at=NOW + timedelta(minutes=10)), None)
    # The app's one duration format (twinedge_desktop.timefmt), as in the inspector.
    assert page.expiry_value.text() == "Expires in 10 min"
    assert page._tick.isActive()
    clock[0] = NOW + timedelta(minutes=9, seconds=30)
    page._tick.timeout.emit()
    assert page.expiry_value.text() == "Expires in 30 s"
    clock[0] = NOW + timedelta(minutes=12)
    page._tick.timeout.emit()
    assert page.expiry_value.text() == "Expired 2 min ago"
    page.set_info(None, None)
    assert not page._tick.isActive()


def test_unknown_scope_and_api_key(page: AccountPage) -> None:
    info = user_info(
        kind=CredentialKind.API_KEY, scopes=("read:assets", "frobnicate"), access_expires_at=None
    )
    page.set_info(info, None, api_key_prefix="te_AbCdEfGhI")
    assert "not a TwinEdge scope" in page.scopes_value.text()
    assert "not a sign-in" in page.keychain_value.text()
    assert "read-only" in page.kind_label.text()


def test_an_api_key_is_named_and_never_said_to_last_for_ever(page: AccountPage) -> None:
    """Issue 11 #2: a key expires (its expiry is set on the key, which GET /v1/me does not
    tell); the page names the key, and its owner as the owner."""
    info = user_info(kind=CredentialKind.API_KEY, access_expires_at=None)
    page.set_info(info, None, api_key_prefix="te_AbCdEfGhI")
    assert page.heading.text() == "API key te_AbCdEfGhI…"
    assert "expire" not in page.expiry_value.text()  # never "does not expire"
    assert page.expiry_value.text() == "set on the key"
    assert "API Keys" in page.expiry_detail.text()
    rows = {
        page._form.labelForField(field).text(): field.text()  # type: ignore[union-attr]
        for field in (page.name_value, page.email_value, page.subject_value)
    }
    assert rows == {
        "Key owner": "Erin Engineer",
        "Owner's email": "engineer@example.com",
        "Owner's user ID": "user-123",
    }
    # A key whose expiry is known counts down like a token, and says what it means.
    page._clock = lambda: NOW
    page.set_info(
        user_info(kind=CredentialKind.API_KEY, access_expires_at=NOW + timedelta(days=3)),
        None,
        api_key_prefix="te_AbCdEfGhI",
    )
    assert page.expiry_value.text() == "Expires in 3 days"
    assert "stops working" in page.expiry_detail.text()
    # Back to a person: the rows say so again.
    page.set_info(user_info(), None)
    assert page._form.labelForField(page.email_value).text() == "Email"  # type: ignore[union-attr]
    assert page.heading.text() == "Erin Engineer"


def test_sign_out_button_asks_for_sign_out(page: AccountPage) -> None:
    asked: list[bool] = []
    page.sign_out_requested.connect(lambda: asked.append(True))
    page.set_info(user_info(), None)
    page.sign_out_button.click()
    assert asked == [True]
    assert page.sign_out_button.accessibleName() == "Sign out"
