"""A profile that signs people in but has no API address (a server whose metadata names
none, before the token's audience has been tried): the API pages say so, in their error
state, with no Try again that cannot help, instead of raising out of ``bind`` (which left
the pages after it unbound and printed a traceback)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.health import make_health_page
from tests.helpers.keys import ENGINEER_SCOPES, fixed_clock, session_info
from twinedge_desktop.auth.errors import SignInError
from twinedge_desktop.config import CLOUD_PROFILE, Preferences
from twinedge_desktop.ui.apps.page import AppsPage
from twinedge_desktop.ui.apps.page import PageState as AppsState
from twinedge_desktop.ui.common.page import SessionBinding
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.health.page import HealthState
from twinedge_desktop.ui.keys.page import KeysPage
from twinedge_desktop.ui.keys.page import PageState as KeysState

NO_API = "The profile 'Work' has no API address, so API keys cannot be managed with it."


def no_api(_session: object) -> Any:
    raise SignInError(NO_API)


def binding() -> SessionBinding:
    return SessionBinding(CLOUD_PROFILE, object(), session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]


def test_the_keys_page_says_the_profile_has_no_api(qtbot: Any, messages: Any) -> None:
    page = KeysPage(
        TaskRunner(messages), messages, Preferences(), clock=fixed_clock, service_for=no_api
    )
    qtbot.addWidget(page)
    page.show()
    page.bind(binding())
    assert page.state is KeysState.ERROR
    assert page.error_text.text() == NO_API
    assert page.retry_button.isHidden()


def test_the_apps_page_says_the_profile_has_no_api(qtbot: Any, messages: Any) -> None:
    page = AppsPage(
        TaskRunner(messages),
        messages,
        Preferences(),
        open_browser=lambda _url: True,
        clock=fixed_clock,
        service_for=no_api,
    )
    qtbot.addWidget(page)
    page.show()
    page.bind(binding())
    assert page.state is AppsState.ERROR
    assert page.error_text.text() == NO_API
    assert page.retry_button.isHidden()


def test_the_health_page_says_the_profile_has_no_api(
    qtbot: Any, messages: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_health_page(qtbot, messages)
    monkeypatch.setattr(page, "_service_for", no_api)
    page.bind(binding())
    assert page.state is HealthState.ERROR
    assert page.error_text.text() == NO_API
    assert page.retry_button.isHidden()
