"""What the key dialogs show of a key before acting on it: name, prefix, scopes, last use."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QFormLayout, QLabel

from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.timefmt import absolute_time, relative_time
from twinedge_desktop.ui.common.style import monospace_font
from twinedge_desktop.ui.keys.model import display_prefix


def add_key_summary(form: QFormLayout, key: ApiKey, now: datetime) -> None:
    """Rows for name, prefix, scopes and last use: what a person checks before acting."""
    name = QLabel(key.name)
    name.setTextFormat(name.textFormat().PlainText)
    prefix = QLabel(display_prefix(key))
    prefix.setFont(monospace_font())
    scopes = QLabel(", ".join(key.scopes) or "(none)")
    scopes.setWordWrap(True)
    last = QLabel(last_use_text(key, now))
    for widget, label in ((name, "Name"), (prefix, "Key"), (scopes, "Scopes"), (last, "Last used")):
        widget.setTextInteractionFlags(widget.textInteractionFlags().TextSelectableByMouse)
        widget.setAccessibleName(label)
        form.addRow(f"{label}:", widget)


def last_use_text(key: ApiKey, now: datetime) -> str:
    if key.last_used_at is None:
        return "never used"
    return f"{relative_time(key.last_used_at, now)} ({absolute_time(key.last_used_at)})"
