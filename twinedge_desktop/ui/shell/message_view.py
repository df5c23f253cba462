"""The window's messages: errors and warnings in a banner above the page, information in the
status bar (after qutebrowser's ``mainwindow/messageview.py``: the window shows messages,
the view decides how).

Everything the :class:`MessageBridge` posts arrives here. The first frame does not wait
for the banner (an icon, a style sheet, a button; even importing their Qt classes costs):
until :meth:`MessageView.build` makes it, right after the first paint, messages wait in a
queue and are then shown in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QVBoxLayout, QWidget

from twinedge_desktop.ui.common.messages import MessageBridge, MessageLevel

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStatusBar

    from twinedge_desktop.ui.common.widgets import Banner

INFO_SHOWN_MS = 8000  # information stays in the status bar this long


class MessageView(QWidget):
    """Shows the bridge's messages: a dismissable banner for problems, the status bar for news."""

    def __init__(
        self, messages: MessageBridge, status_bar: QStatusBar, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._status_bar = status_bar
        self._queue: list[tuple[MessageLevel, str]] = []
        self._shown = ""  # the problem the banner shows now
        self.banner: Banner | None = None
        self.setVisible(False)
        messages.posted.connect(self.show_message)
        messages.withdrawn.connect(self.withdraw)

    @property
    def built(self) -> bool:
        return self.banner is not None

    def build(self) -> None:
        """Make the banner and show what waited for it (once)."""
        if self.banner is not None:
            return
        from PySide6.QtWidgets import QPushButton

        from twinedge_desktop.ui.common.widgets import Banner

        banner = Banner(MessageLevel.ERROR)
        banner.setVisible(False)
        dismiss = QPushButton("Dismiss")
        dismiss.setAccessibleName("Dismiss message")
        dismiss.clicked.connect(self.dismiss)
        banner.add_button(dismiss)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 0)
        layout.addWidget(banner)
        self.banner = banner
        queued, self._queue = self._queue, []
        for level, text in queued:
            self.show_message(level, text)

    def show_message(self, level: str, text: str) -> None:
        """Show ``text`` (already redacted by the bridge) as ``level`` asks."""
        kind = MessageLevel(level)
        banner = self.banner
        if banner is None:
            self._queue.append((kind, text))
            return
        if kind is MessageLevel.INFO:
            self._status_bar.showMessage(text, INFO_SHOWN_MS)
            return
        banner.set_level(kind)
        banner.set_text("Something went wrong" if kind is MessageLevel.ERROR else "", text)
        banner.setVisible(True)
        banner.setAccessibleDescription(text)
        self._shown = text
        self.setVisible(True)

    def withdraw(self, text: str) -> None:
        """Hide ``text`` if it is the problem shown (or still waiting to be shown)."""
        self._queue = [(level, queued) for level, queued in self._queue if queued != text]
        if self._shown == text:
            self.dismiss()

    def dismiss(self) -> None:
        if self.banner is not None:
            self.banner.setVisible(False)
        self._shown = ""
        self.setVisible(False)
