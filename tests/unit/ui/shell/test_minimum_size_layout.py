"""Every page and dialog of the shell, Account, sign-in and Inspector at the window's minimum
size (800×520), in both themes: no text cut, no widget outside its parent
(tests/helpers/layout.py). A page may scroll inside its frame; these pages never need to
scroll sideways.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from tests.helpers.layout import assert_layout_fits, layout_problems
from tests.helpers.session_fakes import FakeServices, user_info
from tests.helpers.token_fixtures import standard_claims
from tests.helpers.waiting import expect, settle, until
from tests.unit.ui.shell.conftest import Attach
from twinedge_desktop.auth.kinds import CredentialKind, SessionState
from twinedge_desktop.config import Profile
from twinedge_desktop.keyformat import generate_key
from twinedge_desktop.ui.account.session_controller import FailureKind, SignInFlow
from twinedge_desktop.ui.common.page import SandboxAccess
from twinedge_desktop.ui.common.style import ThemeManager
from twinedge_desktop.ui.inspector.page import InspectorPage
from twinedge_desktop.ui.shell.frame import MINIMUM_WINDOW_SIZE, PageFrame
from twinedge_desktop.ui.shell.main_window import MainWindow
from twinedge_desktop.vault import KeychainUnavailable

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support")

SANDBOX = SandboxAccess(
    base_url="http://127.0.0.1:8765",
    demo_users=("engineer@example.com", "admin@example.com", "viewer@example.com"),
    demo_password="twinedge-demo",
    service_client_id="twinedge-service",
    service_client_secret="s3rv1ce-demo-secret-value-long-enough",
)
EVERY_SCOPE = (
    "read:assets",
    "write:assets",
    "read:telemetry",
    "write:telemetry",
    "read:alerts",
    "write:alerts",
    "admin",
)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    manager = ThemeManager(qapp)
    manager.use_app_style_sheet()  # the feature pages' looks (fonts, buttons), as in the app
    manager.force(request.param)
    yield str(request.param)
    manager._app_rules = False
    qapp.setStyleSheet("")
    manager.force(None)
    qapp.styleHints().unsetColorScheme()


async def shown_at_minimum(window: MainWindow) -> None:
    window.resize(QSize(300, 200))  # smaller than allowed: the minimum wins
    window.show()
    await until(lambda: window.isVisible() and window.size() == MINIMUM_WINDOW_SIZE)
    await settle()


async def check(window: MainWindow, key: str, *, scroll_down: bool = True) -> None:
    """The page ``key`` fits; it never scrolls sideways; where it scrolls down, every part
    of it can be reached (checked at both ends)."""
    window.show_page(key)
    await settle()
    frame = window.frame(key)
    assert isinstance(frame, PageFrame)
    horizontal, vertical = frame.scrolls()
    assert not horizontal, f"the {key} page scrolls sideways at {window.size()}"
    assert_layout_fits(window)
    if vertical and scroll_down:
        frame.verticalScrollBar().setValue(frame.verticalScrollBar().maximum())
        await settle()
        assert_layout_fits(window)
        frame.verticalScrollBar().setValue(0)


async def dialog_fits(dialog: QDialog) -> None:
    await until(dialog.isVisible)
    await settle()
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= screen.width() and dialog.height() <= screen.height()
    assert_layout_fits(dialog)


async def test_the_window_refuses_to_be_smaller_than_its_minimum(
    window: MainWindow, scheme: str
) -> None:
    window.show()
    window.resize(500, 300)
    await until(lambda: window.size() == MINIMUM_WINDOW_SIZE == QSize(800, 520))
    assert window.navigation.compact  # icons only, so the page gets the room
    await until(lambda: window.place("account").width() >= 700)
    assert window.navigation.horizontalScrollBar().maximum() == 0  # never scrolls sideways
    window.resize(1100, 560)
    await until(lambda: not window.navigation.compact)
    assert window.navigation.title(0) == window.navigation.item(0).text() == "API Keys"


async def test_sign_in_account_and_inspector_pages_fit_at_the_minimum_size(
    window: MainWindow, attach: Attach, scheme: str, rsa_key: rsa.RSAPrivateKey
) -> None:
    services = FakeServices(keychain_error=KeychainUnavailable("locked", "The keychain is locked."))
    attach(services)
    await shown_at_minimum(window)
    # Signed out, with every banner at once: no keychain, a failure, the sandbox card.
    window.account.signin_page.sandbox_card.set_access(SANDBOX)
    controller = window.account.controller
    controller._fail(  # as after a failed service sign-in to a sandbox that is not running
        FailureKind.NETWORK,
        "The authorization server at http://127.0.0.1:8765 could not be reached: nothing "
        "answered there (connection refused). Check the address and your connection.",
        SignInFlow.SERVICE,
    )
    await check(window, "account")

    # Waiting for the browser.
    window.account.continue_without_keychain()
    session = services.sessions["sandbox"]
    await until(lambda: not controller.restoring)
    waiting = expect(controller.waiting)
    controller.sign_in_with_browser()
    await waiting
    await check(window, "account")
    controller.cancel_sign_in()

    # Signed in with every scope, then with an API key.
    session.set_state(SessionState.SIGNED_IN, user_info(scopes=EVERY_SCOPE))
    await check(window, "account")
    session.set_state(
        SessionState.SIGNED_IN,
        user_info(kind=CredentialKind.API_KEY, scopes=EVERY_SCOPE, access_expires_at=None),
    )
    await check(window, "account")

    # The inspector: empty, then a decoded token (unverified), then an API key.
    await check(window, "inspector")
    inspector = window.page("inspector")
    assert isinstance(inspector, InspectorPage)
    now = datetime.now(UTC)
    claims = standard_claims(
        scope=" ".join(EVERY_SCOPE), exp=int((now + timedelta(hours=1)).timestamp())
    )
    inspector.token_edit.setPlainText(jwt.encode(claims, rsa_key, algorithm="RS256"))
    await check(window, "inspector")
    inspector.token_edit.setPlainText(generate_key())
    await check(window, "inspector")
    inspector.tabs.setCurrentIndex(1)  # Compare two tokens
    await check(window, "inspector")


async def test_dialogs_fit_and_grow_with_what_they_show(
    window: MainWindow, attach: Attach, scheme: str, qtbot: Any
) -> None:
    services = FakeServices()
    attach(services)
    await shown_at_minimum(window)
    account = window.account
    service = account.service_sign_in()
    await dialog_fits(service)
    before = service.height()
    service._submit()  # nothing typed: the problem is said inside, and the dialog grows
    await settle()
    assert service.error.isVisibleTo(service) and service.height() >= before
    await dialog_fits(service)
    service.reject()

    key = account.use_api_key()
    key.key.setText("te_short")
    key._submit()
    await dialog_fits(key)
    key.reject()

    window.preferences.open_dialog()
    assert window.preferences.dialog is not None
    await dialog_fits(window.preferences.dialog)
    window.preferences.dialog.reject()

    add = window.profile_switching.add_profile()
    assert add is not None
    add.issuer.setText("http://auth.example.com")
    add.check_and_add()  # plain HTTP to another computer: refused, said inside
    await dialog_fits(add)
    add.reject()

    window.profile_switching.add(
        Profile(id="corp", name="Corp", issuer="https://auth.corp.example.com/tenant/west")
    )
    rename = window.profile_switching.rename_current()
    assert rename is not None
    await dialog_fits(rename)
    rename.reject()
    box = window.profile_switching.remove_current()
    assert box is not None
    await dialog_fits(box)
    box.reject()


def test_the_layout_check_finds_a_squeezed_page(qtbot: Any) -> None:
    """The check can fail: a page forced below its own minimum is reported."""
    from twinedge_desktop.ui.account.sandbox_card import SandboxCard

    card = SandboxCard(lambda: 30)
    card.set_access(SANDBOX)
    holder = QWidget()
    card.setParent(holder)
    qtbot.addWidget(holder)
    holder.resize(200, 60)
    card.setGeometry(0, 0, 200, 60)  # far below what it needs
    holder.show()
    assert layout_problems(holder)


def test_a_page_can_show_a_count_in_the_navigation(window: MainWindow) -> None:
    """For a page that reports how many things need the person (a Health page's findings)."""
    navigation = window.navigation
    navigation.set_compact(False)
    navigation.set_badge(0, 3)
    item = navigation.item(0)
    assert item.text() == "API Keys (3)"
    assert item.toolTip() == "API Keys: 3 need attention (Ctrl+1)"
    assert item.data(11) == "API Keys, 3 need attention"  # what a screen reader says
    navigation.set_badge(0, 2, "2 keys need attention")  # the page says what it counts
    assert item.toolTip() == "API Keys: 2 keys need attention (Ctrl+1)"
    assert item.data(11) == "API Keys, 2 keys need attention"
    navigation.set_compact(True)
    assert item.text() == "2"  # icons only: the count alone
    navigation.set_badge(0, None)
    assert item.text() == "" and item.toolTip() == "API Keys (Ctrl+1)"
    navigation.set_compact(False)
    assert item.text() == "API Keys"
