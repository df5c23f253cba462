""" "Scan a folder…": look for TwinEdge API keys in a folder (and its git history) and say
which of them still work.

The scan is the leak scanner's engine (``twinedge_desktop.scan``, the same as
``twinedge-desktop scan``) in a worker thread (``scan_async``), with its progress shown
as it goes and Cancel, which stops it (and any git it started). Keys are only ever shown
masked (``te_XXXXXXXXX…``, the public prefix; paths naming a key are masked by the
engine, the progress line here). Each key found is matched to the signed-in person's keys
by prefix (``scan.match``): active, revoked, expired, or not one of theirs; for an active
one, Revoke… and Rotate… start the API Keys page's flows through the shell, as the Health
page's actions do. The seed's ``.gitignore`` advice (``.env`` and ``*.key`` ignored) is
checked for each repository.

Each scan that finds keys asks for the person's keys anew (:data:`KeysProvider`): a key
created a minute ago in a terminal must match as theirs and ACTIVE, never as "not one of
yours". The summary says what ``twinedge-desktop scan`` says (:func:`scan_summary`): a
key that is not one of theirs may well work (someone else's), so it is a leak to report
to its owner, never part of "none of them works any more".

Signals:
    key_action_requested(KeyActionRequest): revoke or rotate a key found.
    finished_scan(object): a scan ended with its report (tests wait for it).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.scan import ScanProgress, ScanReport, ScanRequest, scan_async
from twinedge_desktop.scan.match import STATUS_TEXT, MatchedFinding, MatchStatus, match_findings
from twinedge_desktop.scan.model import Occurrence, mask_keys
from twinedge_desktop.timefmt import Clock, relative_time
from twinedge_desktop.ui.common.inline_message import InlineMessage
from twinedge_desktop.ui.common.key_actions import KeyAction, KeyActionRequest
from twinedge_desktop.ui.common.tasks import TaskRunner, error_message
from twinedge_desktop.ui.common.widgets import label

KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 1
SHOWN_OCCURRENCES = 20  # places listed under a key; the rest are counted


@dataclass(frozen=True)
class KeysToMatch:
    """The person's keys to match a scan's hits with, and what to say about them."""

    keys: list[ApiKey] | None  # None: they could not be read (every hit: treat it as active)
    note: str = ""  # e.g. why an older list was used; shown with the result


KeysProvider = Callable[[], Awaitable[KeysToMatch]]

# What a hit's status says in the list, when it needs more than the scanner's word.
NOT_YOURS_TEXT = "not one of yours: tell its owner / an admin"
UNKNOWN_KEYS_TEXT = "unknown (your keys could not be read): treat it as active"
DAMAGED_KEY_TEXT = "yours, but whether it works could not be read: treat it as active"


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def scan_summary(matched: Sequence[MatchedFinding]) -> str:
    """The result in one sentence, as severe as ``twinedge-desktop scan`` is: every hit
    that fails the scan there (``MatchedFinding.counts``: active, unknown, someone else's)
    is named here, and "none of them works any more" is said only when every hit is one
    of the person's keys, revoked or expired."""
    if not matched:
        return "No TwinEdge API keys found."
    found = f"{len(matched)} key{_plural(len(matched), '', 's')} found"
    active = sum(1 for m in matched if m.status is MatchStatus.ACTIVE)
    unknown = sum(1 for m in matched if m.status is MatchStatus.UNKNOWN)
    strangers = sum(1 for m in matched if m.status is MatchStatus.NOT_YOURS)
    parts = []
    if active:
        parts.append(f"{active} still active: revoke {_plural(active, 'it', 'them')}")
    if unknown:
        parts.append(
            f"{unknown} may still work (whether {_plural(unknown, 'it does', 'they do')} could "
            f"not be read): treat {_plural(unknown, 'it', 'them')} as active"
        )
    if strangers:
        parts.append(
            f"{strangers} not one of yours, which may well work: tell "
            f"{_plural(strangers, 'its owner', 'their owners')} / an admin"
        )
    if not parts:
        return found + "; none of them works any more."
    return found + ", " + "; ".join(parts) + "."


def occurrence_text(occurrence: Occurrence, root: str = "") -> str:
    """Where a key was seen: ``path:line:column`` (relative to ``root``, the folder scanned;
    history: the commit and its date too, the path relative to the repository)."""
    if occurrence.commit is None:
        note = " (ignored by git: not committed)" if occurrence.git_ignored else ""
        location = occurrence.location
        prefix = root.rstrip(os.sep) + os.sep if root else ""
        if prefix and location.startswith(prefix):
            location = location[len(prefix) :]
        return location + note
    when = f"{occurrence.author_date:%Y-%m-%d}" if occurrence.author_date else "?"
    gone = "; file deleted since" if occurrence.file_at_head is False else ""
    return f"history {occurrence.commit[:10]} {when}: {occurrence.location}{gone}"


def _megabytes(count: int) -> str:
    if count < 1000:
        return f"{count} bytes"
    if count < 1_000_000:
        return f"{count / 1000:,.0f} kB"
    return f"{count / 1_000_000:,.1f} MB"


class ScanDialog(QDialog):
    """The "Scan a folder" dialog (see module docstring). Open it with ``show()``."""

    key_action_requested = Signal(object)
    finished_scan = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        keys: KeysProvider,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Scan a folder for API keys")
        self.setAccessibleName("Scan a folder for API keys")
        self._runner = runner
        self._keys_provider = keys
        self._clock = clock
        self._keys: list[ApiKey] = []
        self._keys_note = ""  # what the keys provider said about the keys matched with
        self._keys_known = True  # False: they could not be read (no hit can be matched)
        self.report: ScanReport | None = None
        self.matched: list[MatchedFinding] = []
        self.scan_task: asyncio.Task[None] | None = None

        intro = label(
            "Finds TwinEdge API keys in a folder's files and, if you like, in every commit of "
            "its git history, and tells you which of them still work. Keys are shown masked."
        )
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("A folder, e.g. a project checkout")
        self.folder_edit.setAccessibleName("Folder to scan")
        self.folder_edit.returnPressed.connect(self.start_scan)
        self.browse_button = QPushButton("&Browse…")
        self.browse_button.setAccessibleName("Choose the folder")
        self.browse_button.clicked.connect(self.browse)
        self.history_box = QCheckBox("Include git &history (every commit of every branch)")
        self.history_box.setChecked(True)
        self.history_box.setAccessibleName("Include git history")
        self.scan_button = QPushButton("S&can")
        self.scan_button.setProperty("primary", True)
        self.scan_button.setAccessibleName("Start the scan")
        self.scan_button.setDefault(True)
        self.scan_button.clicked.connect(self.start_scan)
        self.cancel_button = QPushButton("&Cancel scan")
        self.cancel_button.setAccessibleName("Cancel the scan")
        self.cancel_button.clicked.connect(self.cancel_scan)
        self.cancel_button.hide()
        self.error = InlineMessage("error")
        self.error.setObjectName("scanError")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.progress.setAccessibleName("Scanning")
        self.progress.hide()
        self.progress_label = label("", "muted", wrap=False)
        self.progress_label.setProperty("elides", True)
        # A long path in it must not widen the dialog (nor lay it out at every update).
        self.progress_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.summary = label("", "subheading")
        self.summary.setAccessibleName("Scan result")
        self.results = QTreeWidget()
        self.results.setColumnCount(3)
        self.results.setHeaderLabels(["Key", "Status", "Where"])
        self.results.setAccessibleName("Keys found")
        self.results.setUniformRowHeights(True)
        self.results.setIndentation(14)
        self.results.setFont(self.font())
        header = self.results.header()
        # A masked key is always 13 characters: room for the widest, the branch arrow and a gap.
        widest = self.results.fontMetrics().horizontalAdvance("te_WWWWWWWWW…")
        self.results.setColumnWidth(0, widest + self.results.indentation() + 24)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.results.currentItemChanged.connect(self._update_buttons)
        self.revoke_button = QPushButton("&Revoke…")
        self.revoke_button.setAccessibleName("Revoke the selected key")
        self.revoke_button.clicked.connect(lambda: self._request(KeyAction.REVOKE))
        self.rotate_button = QPushButton("R&otate…")
        self.rotate_button.setAccessibleName("Rotate the selected key")
        self.rotate_button.clicked.connect(lambda: self._request(KeyAction.ROTATE))
        self.gitignore = label("")
        self.gitignore.setTextFormat(Qt.TextFormat.PlainText)  # paths are anyone's
        self.gitignore.setAccessibleName(".gitignore check")
        self.notes = InlineMessage("warning")
        self.notes.setObjectName("scanNotes")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        options_row = QHBoxLayout()
        options_row.addWidget(self.history_box, 1)
        options_row.addWidget(self.cancel_button)
        options_row.addWidget(self.scan_button)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_label, 1)
        progress_row.addWidget(self.progress)
        self.progress.setFixedWidth(140)
        actions_row = QHBoxLayout()
        actions_row.addWidget(self.revoke_button)
        actions_row.addWidget(self.rotate_button)
        actions_row.addStretch(1)
        folder_label = QLabel("&Folder:")
        folder_label.setBuddy(self.folder_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(folder_label)
        layout.addLayout(folder_row)
        layout.addLayout(options_row)
        layout.addWidget(self.error)
        layout.addLayout(progress_row)
        layout.addWidget(self.summary)
        layout.addWidget(self.results, 1)
        layout.addLayout(actions_row)
        layout.addWidget(self.gitignore)
        layout.addWidget(self.notes)
        layout.addWidget(self.buttons)
        self.resize(720, 520)
        self._update_buttons()
        self.summary.hide()
        self.gitignore.hide()

    # -- choosing ------------------------------------------------------------------------------

    def browse(self) -> QFileDialog:
        chooser = QFileDialog(
            self, "Choose a folder to scan", self.folder_edit.text() or str(Path.home())
        )
        chooser.setFileMode(QFileDialog.FileMode.Directory)
        chooser.setOption(QFileDialog.Option.ShowDirsOnly, True)
        chooser.fileSelected.connect(self._chosen)
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        chooser.open()
        return chooser

    def _chosen(self, folder: str) -> None:
        self.folder_edit.setText(folder)
        self.start_scan()

    # -- scanning ------------------------------------------------------------------------------

    @property
    def scanning(self) -> bool:
        return self.scan_task is not None and not self.scan_task.done()

    def start_scan(self) -> asyncio.Task[None] | None:
        folder = os.path.expanduser(self.folder_edit.text().strip())
        if not folder:
            self.error.show_message("Choose a folder to scan.")
            return None
        if not os.path.isdir(folder):
            self.error.show_message(f"{mask_keys(folder)} is not a folder that exists.")
            return None
        if self.scanning:
            return self.scan_task
        self.error.clear_message()
        request = ScanRequest(paths=(folder,), history=self.history_box.isChecked())
        self._set_busy(True)
        self.progress_label.setText("Scanning…")
        self.scan_task = self._runner.start(
            self._scan(request), owner=self, on_error=self._failed, name="scan-folder"
        )
        return self.scan_task

    async def _scan(self, request: ScanRequest) -> None:
        try:
            report = await scan_async(request, on_progress=self._progress)
            self.progress_label.setText("Matching the keys found with yours…")
            if report.findings:
                # Read anew at each scan: the keys changed since the last check (created
                # in a terminal, revoked in the window) are matched as they are now.
                to_match = await self._keys_provider()
                self._keys = list(to_match.keys or ())
                self._keys_known = to_match.keys is not None
                self._keys_note = to_match.note
        finally:
            # Closed while scanning: the dialog's widgets are gone (the scan is cancelled).
            if shiboken6.isValid(self):
                self._set_busy(False)
        self.report = report
        self._show(report)
        self.finished_scan.emit(report)

    def _progress(self, update: ScanProgress) -> None:
        if not shiboken6.isValid(self):
            return  # a last update after the dialog closed
        what = "file versions" if update.phase == "history" else "files"
        where = mask_keys(update.current_path)  # a file may be named after a key
        self.progress_label.setText(
            f"Scanning: {update.files_scanned:,} {what}, {_megabytes(update.bytes_scanned)}"
            + (f" — {where}" if where else "")
        )

    def cancel_scan(self) -> None:
        if self.scanning:
            self._runner.cancel_owned_by(self)
            self._set_busy(False)
            self.progress_label.setText("")
            self.summary.setText("Scan cancelled.")
            self.summary.show()

    def _failed(self, exc: BaseException) -> bool:
        if not shiboken6.isValid(self):
            return True
        self._set_busy(False)
        self.progress_label.setText("")
        self.error.show_message(f"The scan stopped: {error_message(exc)}")
        return True

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress_label.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.scan_button.setEnabled(not busy)
        self.browse_button.setEnabled(not busy)
        self.folder_edit.setReadOnly(busy)
        self.history_box.setEnabled(not busy)

    # -- results -------------------------------------------------------------------------------

    def _show(self, report: ScanReport) -> None:
        now = self._clock()
        self.matched = match_findings(
            report.findings, self._keys if self._keys_known else None, now
        )
        self.results.clear()
        for matched in self.matched:
            self.results.addTopLevelItem(self._item(matched, now))
        self.results.expandAll()
        first = self.results.topLevelItem(0)
        if first is not None:
            self.results.setCurrentItem(first)
        stats = report.stats
        scanned = f"Scanned {stats.files_scanned:,} files ({_megabytes(stats.bytes_scanned)})"
        if report.history:
            scanned += f" and {stats.commits:,} commits ({stats.blobs_scanned:,} file versions)"
        scanned += f" in {stats.seconds:.1f} s."
        self.summary.setText(scan_summary(self.matched))
        self.summary.setAccessibleDescription(scanned)
        self.summary.show()
        self.results.setVisible(bool(self.matched))
        self.gitignore.setText(self._gitignore_text(report) + " " + scanned)
        self.gitignore.show()
        notes = list(report.warnings)
        if self._keys_note and self.matched:
            notes.append(self._keys_note)
        if report.history and any(o.commit for m in self.matched for o in m.finding.occurrences):
            notes.append(
                "Keys in git history stay in the repository's past and in every clone, also "
                "after the file is deleted: revoking is what makes them harmless."
            )
        self.notes.show_message("\n".join(notes))
        self._update_buttons()

    @staticmethod
    def _gitignore_text(report: ScanReport) -> str:
        if not report.ignore_advice:
            return (
                "✓ .gitignore: .env and *.key files are ignored (or this is not a git repository)."
            )
        return " ".join(
            f"⚠ {advice.repository}: .gitignore does not cover {', '.join(advice.missing)}; add "
            "them, and keep keys in environment variables (TWINEDGE_API_KEY)."
            for advice in report.ignore_advice
        )

    def _item(self, matched: MatchedFinding, now: datetime) -> QTreeWidgetItem:
        finding = matched.finding
        occurrences = finding.occurrences
        root = self.report.roots[0] if self.report is not None and self.report.roots else ""
        places = len(occurrences)
        where = f"{places} place{'s' if places != 1 else ''}"
        kinds = []
        if any(o.commit is None for o in occurrences):
            kinds.append("in files now")
        if any(o.commit is not None for o in occurrences):
            kinds.append("in git history" + ("" if finding.in_head is not False else " only"))
        where += ": " + " and ".join(kinds) if kinds else ""
        status = STATUS_TEXT[matched.status]
        key = matched.key
        if matched.status is MatchStatus.NOT_YOURS:
            status = NOT_YOURS_TEXT
        elif matched.status is MatchStatus.UNKNOWN:
            status = UNKNOWN_KEYS_TEXT if key is None else DAMAGED_KEY_TEXT
        if key is not None:
            status += f" — “{key.name}”"
            if matched.status is MatchStatus.ACTIVE:
                status += f", last used {relative_time(key.last_used_at, now)}"
        item = QTreeWidgetItem([finding.masked, status, where])
        item.setData(0, KEY_ROLE, matched)
        item.setToolTip(2, where)
        for occurrence in occurrences[:SHOWN_OCCURRENCES]:
            text = occurrence_text(occurrence, root)
            child = QTreeWidgetItem(["", "", text])
            child.setToolTip(2, text)
            item.addChild(child)
        if len(occurrences) > SHOWN_OCCURRENCES:
            rest = len(occurrences) - SHOWN_OCCURRENCES
            item.addChild(QTreeWidgetItem(["", "", f"… and {rest} more places"]))
        return item

    def selected(self) -> MatchedFinding | None:
        item = self.results.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        matched = item.data(0, KEY_ROLE) if item is not None else None
        return matched if isinstance(matched, MatchedFinding) else None

    def _update_buttons(self, *_args: object) -> None:
        matched = self.selected()
        active = (
            matched is not None and matched.status is MatchStatus.ACTIVE and matched.key is not None
        )
        self.revoke_button.setEnabled(active)
        self.rotate_button.setEnabled(active)
        self.revoke_button.setVisible(bool(self.matched))
        self.rotate_button.setVisible(bool(self.matched))

    def _request(self, action: KeyAction) -> None:
        matched = self.selected()
        if matched is not None and matched.key is not None:
            self.key_action_requested.emit(KeyActionRequest(action, matched.key))

    def key_updated(self, key: ApiKey) -> None:
        """A key changed (revoked or created from here, say): match the last report's keys
        again."""
        if any(old.id == key.id for old in self._keys):
            self._keys = [key if old.id == key.id else old for old in self._keys]
        elif self._keys_known:
            self._keys.append(key)
        if self.report is not None:
            current = self.selected()
            self._show(self.report)
            if current is not None:
                for index in range(self.results.topLevelItemCount()):
                    item = self.results.topLevelItem(index)
                    if item is not None and item.text(0) == current.finding.masked:
                        self.results.setCurrentItem(item)

    def reject(self) -> None:
        self._runner.cancel_owned_by(self)
        super().reject()
