"""What the key dialogs show of a key before acting on it: name, prefix, scopes, last use.

A damaged entry (:attr:`ApiKey.problem`) also shows its id and what is wrong with it, and
"unreadable" where a value was: the person must be able to tell which key they revoke.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QFormLayout, QLabel

from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.timefmt import absolute_time, relative_time
from twinedge_desktop.ui.common.style import monospace_font
from twinedge_desktop.ui.keys.model import UNREADABLE, Column, display_text


def add_key_summary(form: QFormLayout, key: ApiKey, now: datetime) -> None:
    """Rows for name, prefix, scopes and last use: what a person checks before acting."""
    rows: list[tuple[str, str, bool]] = [
        ("Name", key.name or f"({UNREADABLE})", False),
        ("Key", display_text(key, Column.PREFIX, now), True),
        ("Scopes", display_text(key, Column.SCOPES, now), False),
        ("Last used", last_use_text(key, now), False),
    ]
    if key.problem:
        rows.insert(2, ("ID", key.id or f"({UNREADABLE})", True))
        rows.append(("Damaged", key.problem, False))
    for label, text, mono in rows:
        widget = QLabel(text)
        widget.setTextFormat(widget.textFormat().PlainText)
        widget.setWordWrap(True)
        if mono:
            widget.setFont(monospace_font())
        widget.setTextInteractionFlags(widget.textInteractionFlags().TextSelectableByMouse)
        widget.setAccessibleName(label)
        form.addRow(f"{label}:", widget)


def last_use_text(key: ApiKey, now: datetime) -> str:
    if "last_used_at" in key.unreadable:
        return UNREADABLE
    if key.last_used_at is None:
        return "never used"
    return f"{relative_time(key.last_used_at, now)} ({absolute_time(key.last_used_at)})"
