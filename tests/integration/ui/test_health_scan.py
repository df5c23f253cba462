""" "Scan a folder…" on a real git repository built here, matched with the real sandbox's
keys: masked hits with their status (active, revoked, not yours), places in the files
and in history, Revoke and Rotate for the active key through the shell's routes, the
``.gitignore`` check, progress, and Cancel."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.gitrepo import GitRepo
from tests.helpers.gitrepo import make_key as make_secret
from tests.helpers.health import collect_qt_garbage_on_the_main_thread, make_health_page
from tests.helpers.keys import all_texts, make_keys_page
from tests.helpers.layout import assert_layout_fits
from tests.helpers.sandbox_signin import signed_in
from tests.helpers.waiting import expect, settle, until
from twinedge_desktop.api.keys import new_idempotency_key
from twinedge_desktop.keyformat import display_prefix
from twinedge_desktop.scan.match import MatchStatus
from twinedge_desktop.timefmt import utc_now
from twinedge_desktop.ui.common.key_actions import KeyAction, KeyActionRequest
from twinedge_desktop.ui.common.page import PageInfo
from twinedge_desktop.ui.health.page import HealthPage
from twinedge_desktop.ui.health.scan_dialog import KeysToMatch, ScanDialog
from twinedge_desktop.ui.keys.dialogs.revoke import RevokeKeyDialog
from twinedge_desktop.ui.shell.routes import PageRoutes

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
__all__ = ["collect_qt_garbage_on_the_main_thread"]  # autouse: see tests/helpers/health.py
TIMEOUT = 30.0
FULL_KEY = re.compile(r"te_[0-9A-Za-z]{38}")


async def test_a_repository_with_an_active_a_revoked_and_a_strangers_key(
    sandbox: Any, qtbot: Any, messages: Any, tmp_path: Path
) -> None:
    keys_page = make_keys_page(qtbot, messages)
    health: HealthPage = make_health_page(
        qtbot, messages, settings_file=tmp_path / "w.ini", clock=utc_now
    )
    routes = PageRoutes(lambda *args: None, lambda key: None)
    for name, page in (("keys", keys_page), ("health", health)):
        routes.page_installed(PageInfo(name, name, "key", "x", lambda c: None), page)  # type: ignore[arg-type,return-value]
    async with signed_in(sandbox.base_url) as s:
        active = await s.service.create(
            "Line 3 collector", ["read:telemetry"], None, idempotency_key=new_idempotency_key()
        )
        revoked = await s.service.create(
            "Old test script", ["read:assets"], None, idempotency_key=new_idempotency_key()
        )
        await s.service.revoke(revoked.key.id)
        stranger = make_secret("someone else's key")
        repo = GitRepo.init(tmp_path / "plant-dashboard")
        repo.commit({"config.py": f'API_KEY = "{revoked.secret}"\n'}, "first try")
        repo.commit(
            {
                "config.py": "import os\n",  # removed from the file, still in history
                "deploy/.env": f"TWINEDGE_API_KEY={active.secret}\n",
                "docs/example.md": f"curl -H 'Authorization: Bearer {stranger}'\n",
            },
            "deploy",
        )
        keys_page.set_service(s.service, s.info)
        health.set_service(s.service, s.info)
        await settle(keys_page.load_task, TIMEOUT)
        await until(lambda: health.check_task is not None)
        await settle(health.check_task, TIMEOUT)

        dialog = health.open_scan()
        assert isinstance(dialog, ScanDialog) and dialog.isVisible()
        assert dialog.history_box.isChecked()
        dialog.folder_edit.setText(str(repo.path))
        done = expect(dialog.finished_scan, TIMEOUT)
        task = dialog.start_scan()
        assert task is not None and dialog.cancel_button.isVisible()
        await done
        assert dialog.cancel_button.isHidden() and dialog.scan_button.isEnabled()

        statuses = {m.finding.prefix: m.status for m in dialog.matched}
        assert statuses == {
            active.key.prefix: MatchStatus.ACTIVE,
            revoked.key.prefix: MatchStatus.REVOKED,
            display_prefix(stranger): MatchStatus.NOT_YOURS,
        }
        assert dialog.summary.text() == (
            "3 keys found, 1 still active: revoke it; 1 not one of yours, which may well "
            "work: tell its owner / an admin."
        )
        by_key = {
            dialog.results.topLevelItem(i).text(0): dialog.results.topLevelItem(i)  # type: ignore[union-attr]
            for i in range(dialog.results.topLevelItemCount())
        }
        active_item = by_key[f"{active.key.prefix}…"]
        assert active_item.text(1).startswith("ACTIVE — “Line 3 collector”")
        assert active_item.text(2) == "2 places: in files now and in git history"
        places = [active_item.child(i).text(2) for i in range(active_item.childCount())]
        assert places[0] == "deploy/.env:1:18"  # relative to the folder scanned
        assert places[1].startswith("history ") and places[1].endswith(": deploy/.env:1:18")
        revoked_item = by_key[f"{revoked.key.prefix}…"]
        assert revoked_item.text(1) == "revoked — “Old test script”"
        assert revoked_item.text(2) == "1 place: in git history only"
        assert by_key[f"{display_prefix(stranger)}…"].text(1) == (
            "not one of yours: tell its owner / an admin"
        )
        assert ".gitignore does not cover .env, *.key" in dialog.gitignore.text()
        assert "revoking is what makes them harmless" in dialog.notes.text()
        # Masked everywhere: no full key in any text of the dialog.
        assert not [t for t in all_texts(dialog) if FULL_KEY.search(t)]
        # Everything fits at the size it opens with (within the window's smallest, 800×520).
        assert (dialog.width(), dialog.height()) == (720, 520)
        await settle()
        assert_layout_fits(dialog)

        # Revoke and Rotate only for the active key; Revoke goes to the keys page's flow.
        dialog.results.setCurrentItem(revoked_item)
        assert not dialog.revoke_button.isEnabled() and not dialog.rotate_button.isEnabled()
        dialog.results.setCurrentItem(active_item.child(0))  # a place selects its key
        assert dialog.revoke_button.isEnabled() and dialog.rotate_button.isEnabled()
        requested = expect(health.key_action_requested)
        dialog.revoke_button.click()
        (request,) = await requested
        assert request == KeyActionRequest(KeyAction.REVOKE, request.key)
        assert request.key.id == active.key.id
        (confirm,) = [d for d in keys_page.findChildren(RevokeKeyDialog) if d.isVisible()]
        closed = expect(confirm.finished, TIMEOUT)
        confirm.submit()
        await closed
        # Revoked on the server; the scan's result says so now.
        listed = {k.id: k for k in await s.service.list_all()}
        assert listed[active.key.id].revoked_at is not None
        await until(
            lambda: (
                {m.finding.prefix: m.status for m in dialog.matched}[active.key.prefix]
                is MatchStatus.REVOKED
            )
        )
        # The Health page heard of it through the shell's routes too: one active key fewer.
        assert health.detail.text() == (
            "0 active keys checked just now; 1 key changed here since, and checked again then."
        )
        # The stranger's key may well work: never "none of them works any more".
        assert dialog.summary.text() == (
            "3 keys found, 1 not one of yours, which may well work: tell its owner / an admin."
        )
        dialog.reject()
    del routes


async def test_a_key_created_after_the_check_is_matched_as_active(
    sandbox: Any, qtbot: Any, messages: Any, tmp_path: Path
) -> None:
    """A key created elsewhere after Health's check (in a terminal: the page never hears
    of it) and committed with a colleague's key: the scan reads the keys anew, so it is
    ACTIVE and the stranger's is a leak to report, as ``twinedge-desktop scan`` says.
    A second scan in the same dialog reads them anew again (the key revoked meanwhile)."""
    health: HealthPage = make_health_page(
        qtbot, messages, settings_file=tmp_path / "w.ini", clock=utc_now
    )
    async with signed_in(sandbox.base_url) as s:
        await s.service.create(
            "Reporting", ["read:assets"], None, idempotency_key=new_idempotency_key()
        )
        health.set_service(s.service, s.info)
        await until(lambda: health.check_task is not None)
        await settle(health.check_task)
        checked = {key.id for key in health.keys}
        assert len(checked) == 1  # the check has a list of keys, without the one to come
        leaky = await s.service.create(
            "Leaky key", ["read:assets"], None, idempotency_key=new_idempotency_key()
        )
        assert leaky.key.id not in checked  # the check's list does not have it
        colleague = make_secret("a colleague's key")
        repo = GitRepo.init(tmp_path / "repo")
        repo.commit({"app.py": f'KEY = "{leaky.secret}"\nOTHER = "{colleague}"\n'}, "oops")

        dialog = health.open_scan()
        assert dialog is not None
        dialog.folder_edit.setText(str(repo.path))
        done = expect(dialog.finished_scan, TIMEOUT)
        dialog.start_scan()
        await done
        statuses = {m.finding.prefix: m.status for m in dialog.matched}
        assert statuses == {
            leaky.key.prefix: MatchStatus.ACTIVE,
            display_prefix(colleague): MatchStatus.NOT_YOURS,
        }
        assert all(m.counts for m in dialog.matched)  # both fail `twinedge-desktop scan`
        assert dialog.summary.text() == (
            "2 keys found, 1 still active: revoke it; 1 not one of yours, which may well "
            "work: tell its owner / an admin."
        )
        assert "none of them works" not in dialog.summary.text()

        await s.service.revoke(leaky.key.id)  # elsewhere again
        done = expect(dialog.finished_scan, TIMEOUT)
        dialog.start_scan()
        await done
        statuses = {m.finding.prefix: m.status for m in dialog.matched}
        assert statuses[leaky.key.prefix] is MatchStatus.REVOKED
        dialog.reject()


async def test_a_folder_that_ignores_env_and_key_files_says_so(
    qtbot: Any, messages: Any, tmp_path: Path
) -> None:
    dialog = ScanDialog(_no_keys_runner(messages), _no_keys, utc_now)
    qtbot.addWidget(dialog)
    repo = GitRepo.init(tmp_path / "tidy")
    repo.commit({".gitignore": ".env\n*.key\n", "main.py": "print('hello')\n"}, "tidy")
    dialog.folder_edit.setText(str(repo.path))
    done = expect(dialog.finished_scan, TIMEOUT)
    dialog.start_scan()
    await done
    assert dialog.summary.text() == "No TwinEdge API keys found."
    assert dialog.gitignore.text().startswith("✓ .gitignore: .env and *.key files are ignored")
    assert dialog.results.isHidden() and dialog.revoke_button.isHidden()


async def test_cancel_stops_the_scan_and_bad_folders_are_refused(
    qtbot: Any, messages: Any, tmp_path: Path
) -> None:
    dialog = ScanDialog(_no_keys_runner(messages), _no_keys, utc_now)
    qtbot.addWidget(dialog)
    dialog.start_scan()
    assert dialog.error.text() == "Choose a folder to scan."
    dialog.folder_edit.setText(str(tmp_path / "missing"))
    assert dialog.start_scan() is None
    assert dialog.error.text().endswith("is not a folder that exists.")
    big = tmp_path / "big"
    for folder in range(40):
        (big / f"d{folder}").mkdir(parents=True)
        for index in range(100):
            (big / f"d{folder}" / f"f{index}.txt").write_text("nothing to see here\n" * 50)
    dialog.folder_edit.setText(str(big))
    task = dialog.start_scan()
    assert task is not None
    dialog.cancel_button.click()
    await settle(task)
    assert task.cancelled()
    assert dialog.summary.text() == "Scan cancelled." and dialog.report is None
    assert dialog.scan_button.isEnabled() and dialog.cancel_button.isHidden()
    assert dialog.error.text() == ""


def _no_keys_runner(messages: Any) -> Any:
    from twinedge_desktop.ui.common.tasks import TaskRunner

    return TaskRunner(messages)


async def _no_keys() -> KeysToMatch:
    return KeysToMatch([])


def test_the_progress_line_masks_a_key_in_a_file_name(qtbot: Any, messages: Any) -> None:
    from twinedge_desktop.scan import ScanProgress

    dialog = ScanDialog(_no_keys_runner(messages), _no_keys, utc_now)
    qtbot.addWidget(dialog)
    secret = make_secret("a key someone named a file after")
    dialog._progress(ScanProgress("files", 12, 3000, f"backup/{secret}.txt", 0))
    text = dialog.progress_label.text()
    assert text == f"Scanning: 12 files, 3 kB — backup/{display_prefix(secret)}….txt"
    assert secret not in text
