"""Small pieces the applications dialogs share: a busy bar and an application's summary."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar

from twinedge_desktop.api.apps import OAuthApp
from twinedge_desktop.ui.apps.model import TYPE_SHORT
from twinedge_desktop.ui.common.style import monospace_font


def busy_bar(accessible_name: str) -> QProgressBar:
    """A thin indeterminate bar, hidden until a request runs."""
    bar = QProgressBar()
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setMaximumHeight(6)
    bar.setAccessibleName(accessible_name)
    bar.hide()
    return bar


def add_app_summary(form: QFormLayout, app: OAuthApp) -> None:
    """Rows for name, type and client id: what a person checks before acting on an app."""
    name = QLabel(app.name)
    name.setTextFormat(name.textFormat().PlainText)
    name.setWordWrap(True)
    kind = QLabel(f"{app.application_type.label} ({TYPE_SHORT[app.application_type]})")
    client_id = QLabel(app.client_id)
    client_id.setFont(monospace_font())
    for widget, label in ((name, "Name"), (kind, "Type"), (client_id, "Client ID")):
        widget.setTextInteractionFlags(widget.textInteractionFlags().TextSelectableByMouse)
        widget.setAccessibleName(label)
        form.addRow(f"{label}:", widget)
