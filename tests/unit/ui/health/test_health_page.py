"""The Health page against a fake keys service: states, the check, findings and their
actions, dismissals kept per person, reminders once per key and day, keyboard, layout."""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.helpers.health import demo_keys, demo_service, make_health_page
from tests.helpers.keys import (
    ENGINEER_SCOPES,
    NOW,
    FakeKeysService,
    TickingClock,
    all_texts,
    make_key,
    session_info,
)
from tests.helpers.layout import assert_layout_fits
from tests.helpers.notifications import FakeNotifier
from tests.helpers.waiting import settle, until
from twinedge_desktop.api.errors import InsufficientScope, NetworkError, ServerError
from twinedge_desktop.auth.kinds import CredentialKind
from twinedge_desktop.config import Preferences
from twinedge_desktop.health.rules import FindingKind
from twinedge_desktop.ui.common.key_actions import KeyAction, KeyActionRequest
from twinedge_desktop.ui.common.style import build_palette
from twinedge_desktop.ui.health import page as page_module
from twinedge_desktop.ui.health.page import HealthPage, HealthState
from twinedge_desktop.ui.health.report import finding_token

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
K = FindingKind


async def check(page: HealthPage, service: FakeKeysService, subject: str = "user-1") -> None:
    page.set_service(service, session_info(ENGINEER_SCOPES, subject=subject))  # type: ignore[arg-type]
    await until(lambda: page.check_task is not None)
    await settle(page.check_task)


async def dismissals_saved() -> None:
    """Until the page's writes of dismissals (in worker threads) are done."""
    await until(lambda: all(t.get_name() != "remember-dismissal" for t in asyncio.all_tasks()))


def kinds(page: HealthPage) -> list[tuple[str, FindingKind]]:
    return [(row.key.name, row.finding.kind) for row in page.model.shown_rows()]


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    return tmp_path / "window.ini"


@pytest.fixture
def page(qtbot: Any, messages: Any, settings_file: Path) -> HealthPage:
    page: HealthPage = make_health_page(qtbot, messages, settings_file=settings_file)
    return page


def test_signed_out_invites_sign_in(page: HealthPage, qtbot: Any) -> None:
    assert page.state is HealthState.SIGNED_OUT
    assert "Sign in to check" in page.signed_out_label.text()
    assert page.check_button.isHidden() and page.scan_button.isHidden()
    with qtbot.waitSignal(page.sign_in_requested, timeout=1000):
        page.sign_in_button.click()


async def test_every_kind_of_finding_with_its_reason_and_one_action(
    page: HealthPage, qtbot: Any
) -> None:
    service = demo_service()
    announced: list[tuple[int, str]] = []
    page.attention_changed.connect(lambda count, text: announced.append((count, text)))
    await check(page, service)
    assert page.state is HealthState.REPORT
    assert kinds(page) == [
        ("Edge gateway 7", K.UNUSUAL_ACTIVITY),
        ("Contractor access", K.EXPIRES_SOON),
        ("Old shift dashboard", K.UNUSED),
        ("Plant North historian", K.OLDER_THAN_ROTATION),
        ("Telemetry uploader", K.UNUSED_WRITE_ACCESS),
        ("CI pipeline", K.NEVER_EXPIRES),
    ]
    assert page.summary.text() == "6 keys need attention"
    assert page.detail.text() == "7 active keys checked just now."
    assert announced[-1] == (6, "6 keys need attention")
    # The first finding is selected and told in full below the list, with its one action.
    assert page.details_title.text() == "Unusual activity"
    assert page.details_reason.text().startswith("On 2026-11-24 it made 2,700 requests")
    assert page.action_button.text() == "Look at its usage…"
    assert page.details_chart.isVisible() and page.details_chart.days[26].requests == 2700
    # Only the keys used in the last 30 days were asked for their usage, each once.
    keys = demo_keys()
    assert sorted(service.usage_calls) == sorted(
        k.id for k in service.keys if k.name not in ("Old shift dashboard", "Gone")
    )
    assert len(keys) == 8
    # Row by row, the delegate paints the short label of each action on its button.
    labels = [row.short_action_label for row in page.model.shown_rows()]
    assert labels == ["Usage…", "Rotate now…", "Revoke…", "Rotate…", "Narrow…", "Replace…"]


@pytest.mark.parametrize(
    ("kind", "action", "scopes"),
    [
        (K.UNUSUAL_ACTIVITY, KeyAction.SHOW_DETAILS, ()),
        (K.EXPIRES_SOON, KeyAction.ROTATE, ()),
        (K.UNUSED, KeyAction.REVOKE, ()),
        (K.OLDER_THAN_ROTATION, KeyAction.ROTATE, ()),
        (K.UNUSED_WRITE_ACCESS, KeyAction.REPLACE, ("read:telemetry",)),
        (K.NEVER_EXPIRES, KeyAction.REPLACE, ("read:assets",)),
    ],
)
async def test_each_action_asks_the_keys_page_for_its_flow(
    page: HealthPage, qtbot: Any, kind: FindingKind, action: KeyAction, scopes: tuple[str, ...]
) -> None:
    await check(page, demo_service())
    row = next(row for row in page.model.shown_rows() if row.finding.kind is kind)
    requests: list[KeyActionRequest] = []
    page.key_action_requested.connect(requests.append)
    page.select_finding(row.id)
    page.action_button.click()  # the details' button
    index = page.model.index(page.model.row_of(row.id) or 0, 0)
    button = page.view.button_rect(index)
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=button.center())
    assert [(r.action, r.key.id, r.scopes) for r in requests] == [(action, row.key.id, scopes)] * 2
    if action is KeyAction.REPLACE:
        assert requests[0].why == row.finding.reason


async def test_the_rules_run_off_the_ui_thread(
    page: HealthPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    real = page_module.build_report

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(page_module, "build_report", recording)
    await check(page, demo_service())
    assert threads and threads[0] is not threading.main_thread()


async def test_usage_is_read_a_few_at_a_time(page: HealthPage) -> None:
    keys = [make_key(f"k{i}", last_used_days_ago=1) for i in range(40)]
    service = FakeKeysService(keys=keys)
    service.usage_gate = asyncio.Event()
    page.set_service(service, session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
    await until(lambda: len(service.usage_calls) == page_module.USAGE_CONCURRENCY)
    await asyncio.sleep(0.05)
    assert len(service.usage_calls) == page_module.USAGE_CONCURRENCY  # no more on the wire
    assert "usage of 40 keys" in page.progress_label.text() and page.progress.isVisible()
    service.usage_gate.set()
    await settle(page.check_task)
    assert sorted(service.usage_calls) == sorted(k.id for k in keys)
    assert page.progress.isHidden()


async def test_a_failed_usage_report_is_counted_not_fatal(page: HealthPage) -> None:
    service = demo_service()
    service.fail["usage"] = ServerError(status=500)
    await check(page, service)
    assert page.state is HealthState.REPORT
    assert "the usage of 1 keys could not be read" in page.detail.text()


async def test_a_failed_check_and_a_failed_recheck(page: HealthPage) -> None:
    service = demo_service()
    service.fail["list"] = NetworkError()
    await check(page, service)
    assert page.state is HealthState.ERROR
    assert "could not be reached" in page.error_text.text()
    page.retry_button.click()
    await settle(page.check_task)
    assert page.state is HealthState.REPORT and page.attention == 6
    service.fail["list"] = ServerError(status=503)
    page.refresh()
    await settle(page.check_task)
    # What was shown stays, with what went wrong above it.
    assert page.state is HealthState.REPORT and page.attention == 6
    assert page.banner.isVisible() and page.banner.text().startswith("Checking again failed")


async def test_nothing_to_do_says_so(page: HealthPage) -> None:
    healthy = make_key("fine", created_days_ago=5, expires_in_days=60, last_used_days_ago=1)
    await check(page, FakeKeysService(keys=[healthy]))
    assert page.state is HealthState.ALL_GOOD
    assert page.summary.text() == "No key needs attention"
    assert page.attention == 0


async def test_dismissals_are_kept_per_person_and_survive_a_restart(
    page: HealthPage, qtbot: Any, messages: Any, settings_file: Path
) -> None:
    service = demo_service()
    await check(page, service)
    row = next(r for r in page.model.shown_rows() if r.finding.kind is K.NEVER_EXPIRES)
    page.select_finding(row.id)
    page.dismiss_button.click()
    assert row.id not in [r.id for r in page.model.shown_rows()]
    assert page.summary.text() == "5 keys need attention"
    assert "1 finding dismissed" in page.detail.text()
    await until(
        lambda: not [t for t in asyncio.all_tasks() if t.get_name() == "remember-dismissal"]
    )
    # "Show dismissed" lists it again, marked, with "Bring back".
    page.show_dismissed_box.setChecked(True)
    page.select_finding(row.id)
    assert page.details_title.text() == "Never expires (dismissed)"
    assert page.dismiss_button.text() == "Bring &back"

    # The next start (a new page on the same settings file) remembers it...
    again = make_health_page(qtbot, messages, settings_file=settings_file)
    await check(again, service)
    assert row.id not in [r.id for r in again.model.shown_rows()]
    assert again.attention == 5
    # ...for this person only.
    other = make_health_page(qtbot, messages, settings_file=settings_file)
    await check(other, service, subject="someone-else")
    assert other.attention == 6

    # Brought back, it counts again, also after another restart.
    again.show_dismissed_box.setChecked(True)
    again.select_finding(row.id)
    again.toggle_dismissed()
    await until(
        lambda: not [t for t in asyncio.all_tasks() if t.get_name() == "remember-dismissal"]
    )
    assert again.attention == 6
    third = make_health_page(qtbot, messages, settings_file=settings_file)
    await check(third, service)
    assert third.attention == 6


async def test_a_dismissal_lasts_until_the_finding_goes_away(
    page: HealthPage, qtbot: Any, messages: Any, settings_file: Path
) -> None:
    forever = make_key("ci", created_days_ago=45, expires_in_days=None, last_used_days_ago=1)
    service = FakeKeysService(keys=[forever])
    await check(page, service)
    page.toggle_dismissed()
    await until(
        lambda: not [t for t in asyncio.all_tasks() if t.get_name() == "remember-dismissal"]
    )
    assert page.attention == 0 and page.state is HealthState.ALL_GOOD
    # The key gets an expiry (replaced, say): the finding is gone, and so is its dismissal...
    service.keys = [make_key("ci", key_id=forever.id, expires_in_days=80, last_used_days_ago=1)]
    page.refresh()
    await settle(page.check_task)
    # ...so when it comes back, it is news again.
    service.keys = [forever]
    page.refresh()
    await settle(page.check_task)
    assert page.attention == 1


async def test_keys_changed_on_the_keys_page_are_checked_again_at_once(page: HealthPage) -> None:
    service = demo_service()
    await check(page, service)
    idle = next(r for r in page.model.shown_rows() if r.finding.kind is K.UNUSED)
    from dataclasses import replace

    page.key_updated(replace(idle.key, revoked_at=NOW))
    assert idle.id not in [r.id for r in page.model.shown_rows()]
    assert page.summary.text() == "5 keys need attention"
    # The count of active keys follows, and the page says the check is not all that old.
    assert page.detail.text() == (
        "6 active keys checked just now; 1 key changed here since, and checked again then."
    )
    # A key created there (a replacement without an expiry, say) is checked too.
    fresh = make_key("replacement", created_days_ago=0, expires_in_days=None)
    page.key_updated(fresh)
    assert ("replacement", K.NEVER_EXPIRES) in kinds(page)
    assert page.detail.text() == (
        "7 active keys checked just now; 2 keys changed here since, and checked again then."
    )
    page.key_updated(fresh)  # read afresh, the same: counted once
    assert page.detail.text().startswith("7 active keys checked just now; 2 keys changed")
    page.refresh()  # a new check includes them
    await settle(page.check_task)
    assert page.detail.text() == "7 active keys checked just now."


async def test_each_check_says_when_it_has_read_the_keys_before_their_usage(
    page: HealthPage,
) -> None:
    """``keys_read`` comes once per check, with the number of keys, before any usage
    report is asked for (the app freezes long-lived objects then)."""
    service = demo_service()
    said: list[tuple[int, int]] = []
    page.keys_read.connect(lambda count: said.append((count, len(service.usage_calls))))
    await check(page, service)
    page.refresh()
    await settle(page.check_task)
    assert said == [(len(service.keys), 0), (len(service.keys), len(service.usage_calls) // 2)]


async def test_the_details_follow_the_current_finding_as_it_changes(page: HealthPage) -> None:
    """The details are drawn once per finding shown (the chart costs milliseconds), and
    again whenever the finding changes: dismissed, brought back, checked again."""
    await check(page, demo_service())
    page._show_dismissed(True)  # the dismissed finding stays in the list, and current
    spike = page.current_row()
    assert spike is not None and spike.finding.kind is K.UNUSUAL_ACTIVITY
    assert page.details_chart.isVisibleTo(page) and page.details_chart.days
    page.toggle_dismissed()
    assert page.details_title.text() == "Unusual activity (dismissed)"
    assert page.dismiss_button.text() == "Bring &back"
    page.toggle_dismissed()
    assert page.details_title.text() == "Unusual activity"
    assert page.dismiss_button.text() == "&Dismiss"
    page.view.setCurrentIndex(page.model.index(1, 0))
    assert page.details_title.text() == "Expires soon"
    assert not page.details_chart.isVisibleTo(page)
    page.view.setCurrentIndex(page.model.index(0, 0))
    assert page.details_title.text() == "Unusual activity" and page.details_chart.days
    await dismissals_saved()


async def test_keyboard(page: HealthPage, qtbot: Any) -> None:
    service = demo_service()
    await check(page, service)
    requests: list[KeyActionRequest] = []
    page.key_action_requested.connect(requests.append)
    page.activateWindow()
    page.view.setFocus()
    page.view.setCurrentIndex(page.model.index(1, 0))  # "Expires soon"
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert requests[-1].action is KeyAction.ROTATE
    qtbot.keyClick(page.view, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert requests[-1].action is KeyAction.SHOW_DETAILS
    qtbot.keyClick(page.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert page.attention == 5
    qtbot.keyClick(page.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.filter_edit.hasFocus()
    qtbot.keyClicks(page.filter_edit, "gateway")
    assert kinds(page) == [("Edge gateway 7", K.UNUSUAL_ACTIVITY)]
    page.filter_edit.clear()
    calls = len(service.usage_calls)
    qtbot.keyClick(page.view, Qt.Key.Key_F5)
    await settle(page.check_task)
    assert len(service.usage_calls) > calls  # checked again
    qtbot.keyClick(page.view, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert page.scan_dialog is not None and page.scan_dialog.isVisible()
    page.scan_dialog.reject()


async def test_no_secret_and_no_markup_from_key_names(page: HealthPage) -> None:
    keys = demo_keys()
    keys["spiky"] = make_key(
        "<b>gateway</b> & co", created_days_ago=70, last_used_days_ago=0.2, key_id="key_markup"
    )
    service = demo_service(keys)
    await check(page, service)
    page.select_finding(("key_markup", K.UNUSUAL_ACTIVITY))
    assert page.details_key.textFormat() is Qt.TextFormat.PlainText
    assert page.details_key.text().startswith("<b>gateway</b> & co · te_")
    full_key = re.compile(r"te_[0-9A-Za-z]{38}")
    assert not [text for text in all_texts(page) if full_key.search(text)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_fits_the_windows_smallest_size(page: HealthPage, qtbot: Any, scheme: str) -> None:
    # The window's minimum is 800×520: without the navigation (196), menu, toolbar and
    # status line, the page gets about 600×420.
    page.setPalette(build_palette(scheme))
    page.resize(600, 420)
    await check(page, demo_service())
    await settle()
    assert_layout_fits(page)
    page.select_finding(next(r.id for r in page.model.shown_rows() if r.finding.kind is K.UNUSED))
    await settle()
    assert_layout_fits(page)
    assert page.action_button.isVisibleTo(page)


# -- reminders -----------------------------------------------------------------------------------


async def test_reminders_once_per_key_and_day_also_across_a_restart(
    qtbot: Any, messages: Any, settings_file: Path
) -> None:
    notifier = FakeNotifier()
    page = make_health_page(qtbot, messages, settings_file=settings_file, notifier=notifier)
    service = demo_service()
    await check(page, service)
    # The two that cannot wait: unusual activity and an expiry within 7 days.
    assert [(title, body[:30]) for _token, title, body in notifier.shown] == [
        ("API key “Edge gateway 7”: unusual activity", "On 2026-11-24 it made 2,700 re"),
        ("API key “Contractor access” expires soon", "It expires in 5 days (on 2026-"),
    ]
    page.refresh()
    await settle(page.check_task)
    assert len(notifier.shown) == 2  # the same day: not again

    # The next start, the same day: not again either.
    restarted_notifier = FakeNotifier()
    restarted = make_health_page(
        qtbot, messages, settings_file=settings_file, notifier=restarted_notifier
    )
    await check(restarted, service)
    assert restarted_notifier.shown == []

    # A day later, once more.
    tomorrow = make_health_page(
        qtbot,
        messages,
        settings_file=settings_file,
        notifier=(tomorrow_notifier := FakeNotifier()),
        clock=lambda: NOW + timedelta(days=1),
    )
    await check(tomorrow, service)
    assert len(tomorrow_notifier.shown) == 2


async def test_reminders_are_off_with_the_setting(
    qtbot: Any, messages: Any, settings_file: Path
) -> None:
    notifier = FakeNotifier()
    page = make_health_page(
        qtbot,
        messages,
        settings_file=settings_file,
        notifier=notifier,
        preferences=Preferences(notifications_enabled=False),
    )
    await check(page, demo_service())
    assert page.attention == 6 and notifier.shown == []


async def test_a_reminder_that_could_not_be_shown_is_tried_again(
    qtbot: Any, messages: Any, settings_file: Path
) -> None:
    notifier = FakeNotifier()
    notifier.unavailable = True
    page = make_health_page(qtbot, messages, settings_file=settings_file, notifier=notifier)
    await check(page, demo_service())
    assert notifier.shown == []
    notifier.unavailable = False
    page.refresh()
    await settle(page.check_task)
    assert len(notifier.shown) == 2  # the failed try did not use up the day's reminder


async def test_clicking_a_reminder_opens_its_finding(
    qtbot: Any, messages: Any, settings_file: Path
) -> None:
    notifier = FakeNotifier()
    page = make_health_page(qtbot, messages, settings_file=settings_file, notifier=notifier)
    await check(page, demo_service())
    expiring = next(r for r in page.model.shown_rows() if r.finding.kind is K.EXPIRES_SOON)
    page.select_finding(page.model.shown_rows()[-1].id)  # somewhere else
    page.filter_edit.setText("CI")  # and the finding filtered out
    with qtbot.waitSignal(page.show_requested, timeout=1000):
        notifier.click(1)
    assert notifier.shown[1][0] == finding_token(expiring.id)
    current = page.current_row()
    assert current is not None and current.id == expiring.id
    assert page.filter_edit.text() == ""
    # A finding resolved meanwhile: the page says so.
    page.key_updated(make_key("x", key_id=expiring.key.id, revoked=True))
    notifier.click(1)
    assert messages.records[-1][1].startswith("The finding about “x” is no longer there")


async def test_the_first_check_waits_until_shown_or_a_while_after_sign_in(
    qtbot: Any, messages: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_module, "FIRST_CHECK_DELAY_MS", 50)
    page = make_health_page(qtbot, messages)
    page.hide()
    service = demo_service()
    page.set_service(service, session_info(ENGINEER_SCOPES))  # type: ignore[arg-type]
    assert page.check_task is None  # not at once: startup's work comes first
    await until(lambda: page.check_task is not None, timeout=5)
    await settle(page.check_task)
    assert page.attention == 6


async def test_signing_out_forgets_the_findings(page: HealthPage) -> None:
    announced: list[int] = []
    page.attention_changed.connect(lambda count, _text: announced.append(count))
    await check(page, demo_service())
    page.set_service(None, None)
    assert page.state is HealthState.SIGNED_OUT and page.model.rowCount() == 0
    assert announced[-1] == 0 and page.keys == []


def test_relative_times_move_on() -> None:
    clock = TickingClock()
    assert clock() < clock()  # (the page reads its clock for "checked … ago")


async def test_an_admin_is_told_the_keys_are_the_organisations(page: HealthPage) -> None:
    page.set_service(demo_service(), session_info(("admin",)))  # type: ignore[arg-type]
    await until(lambda: page.check_task is not None)
    await settle(page.check_task)
    assert page.detail.text() == "7 active keys of the organisation checked just now."


async def test_the_notifications_setting_is_read_when_reminding(
    qtbot: Any, messages: Any, settings_file: Path
) -> None:
    """The preferences object may be replaced while the app runs (a save of the profiles
    file makes a new one): the page asks for it at each reminder, never keeps one."""
    current = {"preferences": Preferences(notifications_enabled=False)}
    notifier = FakeNotifier()
    from tests.helpers.keys import fixed_clock
    from twinedge_desktop.ui.common.tasks import TaskRunner
    from twinedge_desktop.ui.health.store import HealthSettings

    page = HealthPage(
        TaskRunner(messages),
        messages,
        lambda: current["preferences"],
        store=HealthSettings(settings_file),
        notifier=notifier,
        clock=fixed_clock,
    )
    qtbot.addWidget(page)
    page.show()
    await check(page, demo_service())
    assert notifier.shown == []
    current["preferences"] = Preferences(notifications_enabled=True)  # switched on
    page.refresh()
    await settle(page.check_task)
    assert len(notifier.shown) == 2


@pytest.mark.parametrize("fallback", ["no settings file", "no subject"])
async def test_reminders_once_per_key_and_day_without_a_store_or_an_owner(
    qtbot: Any, messages: Any, settings_file: Path, fallback: str
) -> None:
    """Without a settings file, or without a person to file the reminders under (a
    session with no subject), the page remembers the day's reminders itself: a second
    check the same day shows none again, a check the next day shows them again."""
    notifier = FakeNotifier()
    today = {"now": NOW}
    page = make_health_page(
        qtbot,
        messages,
        settings_file=settings_file if fallback == "no subject" else None,
        notifier=notifier,
        clock=lambda: today["now"],
    )
    service = demo_service()
    await check(page, service, subject="" if fallback == "no subject" else "user-1")
    assert len(notifier.shown) == 2
    page.refresh()
    await settle(page.check_task)
    assert len(notifier.shown) == 2  # the same day: not again
    today["now"] = NOW + timedelta(days=1)
    page.refresh()
    await settle(page.check_task)
    assert len(notifier.shown) == 4  # the next day, once more
    if fallback == "no subject":
        assert "remind" not in _text_of(settings_file)  # nothing filed under nobody


def _text_of(path: Path) -> str:
    return path.read_text() if path.exists() else ""


async def test_a_scan_whose_key_list_cannot_be_read_says_what_it_matched_with(
    page: HealthPage, tmp_path: Path
) -> None:
    """The scan reads the keys anew; when that fails it matches with the last check's
    list and says so, and with no list at all every hit is to be treated as active."""
    from tests.helpers.gitrepo import make_key as make_secret
    from tests.helpers.waiting import expect
    from twinedge_desktop.keyformat import display_prefix
    from twinedge_desktop.scan.match import MatchStatus

    secret = make_secret("a key in a file")
    mine = make_key("mine", prefix=display_prefix(secret))
    service = FakeKeysService(keys=[mine])
    await check(page, service)
    folder = tmp_path / "project"
    await asyncio.to_thread(folder.mkdir)
    await asyncio.to_thread((folder / "app.py").write_text, f'KEY = "{secret}"\n')
    dialog = page.open_scan()
    assert dialog is not None
    dialog.folder_edit.setText(str(folder))
    dialog.history_box.setChecked(False)

    service.fail["list"] = NetworkError()
    done = expect(dialog.finished_scan, 30)
    dialog.start_scan()
    await done
    assert [m.status for m in dialog.matched] == [MatchStatus.ACTIVE]
    assert dialog.notes.text() == (
        "Your keys could not be read now: The TwinEdge server could not be reached. Check "
        "your connection and try again. They were matched with the list of the last check, "
        "just now."
    )

    page.hide()  # not shown: no check for a while, so nothing to fall back on
    page.set_service(service, session_info(ENGINEER_SCOPES, subject="someone-else"))  # type: ignore[arg-type]
    assert page.report is None
    service.fail["list"] = NetworkError()
    done = expect(dialog.finished_scan, 30)
    dialog.start_scan()
    await done
    assert [m.status for m in dialog.matched] == [MatchStatus.UNKNOWN]
    assert dialog.summary.text() == (
        "1 key found, 1 may still work (whether it does could not be read): treat it as active."
    )
    assert dialog.results.topLevelItem(0).text(1) == (  # type: ignore[union-attr]
        "unknown (your keys could not be read): treat it as active"
    )
    dialog.reject()


@pytest.mark.parametrize("kind", [CredentialKind.API_KEY, CredentialKind.SERVICE])
async def test_an_api_key_or_service_session_is_told_a_person_must_sign_in(
    page: HealthPage, qtbot: Any, kind: CredentialKind
) -> None:
    """The API lists keys to people only: no check that can only fail (a red 403 and a
    "Try again" that cannot help), but why and what to do, as the API Keys page says it."""
    from tests.helpers.session_fakes import user_info

    service = demo_service()
    service.fail["list"] = InsufficientScope("admin")  # what the API would answer
    page.resize(600, 420)  # the page's share of the window at its smallest
    signed_in = []
    page.sign_in_requested.connect(lambda: signed_in.append(True))
    page.set_service(service, user_info(kind=kind, subject="", scopes=("read:assets",)))  # type: ignore[arg-type]
    await settle()
    assert page.state is HealthState.NOT_A_PERSON and page.check_task is None
    expected_who = "an API key" if kind is CredentialKind.API_KEY else "a service account"
    assert f"You are signed in as {expected_who}".replace("as an", "with an") in (
        page.not_a_person_text.text()
    )
    assert "sign in as yourself" in page.not_a_person_text.text()
    assert page.check_button.isHidden() and page.summary.isHidden()
    assert not page.refresh_action.isEnabled()
    page.refresh()  # F5 / the menu: nothing to check
    assert page.check_task is None and "list" in service.fail
    assert page.attention == 0
    assert page.scan_button.isVisible()  # a scan needs no key list
    assert_layout_fits(page)
    page.person_sign_in_button.click()
    assert signed_in == [True]
    # A person signs in: the check runs.
    del service.fail["list"]
    await check(page, service)
    assert page.state is HealthState.REPORT and page.attention == 6
    assert page.check_button.isVisible() and page.refresh_action.isEnabled()
    # That person's own API key (the same subject, profile and organisation) is not them.
    person = session_info(ENGINEER_SCOPES)
    page.set_service(service, replace(person, kind=kind))  # type: ignore[arg-type]
    assert page.state is HealthState.NOT_A_PERSON and page.model.rowCount() == 0


async def test_every_reason_is_whole_in_its_row_at_the_windows_smallest_size(
    page: HealthPage,
) -> None:
    """At 800×520 (the page ~600 px wide) each row shows its whole reason, on at most two
    lines under the finding and its button, inside the row; narrower, the second line
    ends in "…" rather than running out of the row."""
    page.resize(600, 420)
    await check(page, demo_service())
    await settle()
    view, delegate, font = page.view, page.view.delegate, page.view.font()
    rows = page.model.shown_rows()
    assert len(rows) == 6 and max(len(row.finding.reason) for row in rows) > 140
    for position, row in enumerate(rows):
        rect = view.visualRect(page.model.index(position, 0))
        lines = delegate.reason_lines(row, rect, font)
        assert 1 <= len(lines) <= 2 and " ".join(lines) == row.finding.reason, lines
        reason = delegate.reason_rect(rect, font)
        assert (
            rect.contains(reason)
            and reason.top() > view.button_rect(page.model.index(position, 0)).bottom()
        )
    narrow = view.visualRect(page.model.index(0, 0)).adjusted(0, 0, -300, 0)
    lines = delegate.reason_lines(rows[0], narrow, font)
    assert len(lines) == 2 and lines[1].endswith("…")


async def test_a_scan_hit_on_a_key_the_server_sent_damaged_is_to_be_treated_as_active(
    page: HealthPage, tmp_path: Path
) -> None:
    """One of the person's keys whose expiry could not be read may well work: the scan
    says so (as ``twinedge-desktop scan`` does), not "sign in to match"."""
    from tests.helpers.gitrepo import make_key as make_secret
    from tests.helpers.waiting import expect
    from twinedge_desktop.keyformat import display_prefix
    from twinedge_desktop.scan.match import MatchStatus

    secret = make_secret("a damaged key in a file")
    damaged = replace(
        make_key("Half-read", prefix=display_prefix(secret)),
        expires_at=None,
        unreadable=("expires_at",),
        problem="expires_at: not a time",
    )
    await check(page, FakeKeysService(keys=[damaged]))
    folder = tmp_path / "project"
    await asyncio.to_thread(folder.mkdir)
    await asyncio.to_thread((folder / "app.py").write_text, f'KEY = "{secret}"\n')
    dialog = page.open_scan()
    assert dialog is not None
    dialog.folder_edit.setText(str(folder))
    dialog.history_box.setChecked(False)
    done = expect(dialog.finished_scan, 30)
    dialog.start_scan()
    await done
    assert [m.status for m in dialog.matched] == [MatchStatus.UNKNOWN]
    assert dialog.results.topLevelItem(0).text(1) == (  # type: ignore[union-attr]
        "yours, but whether it works could not be read: treat it as active — “Half-read”"
    )
    assert dialog.summary.text() == (
        "1 key found, 1 may still work (whether it does could not be read): treat it as active."
    )
    dialog.reject()
