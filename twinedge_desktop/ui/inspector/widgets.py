"""Building blocks of the token inspector page: the token editor, chips, a flow layout, colours.

Colours: everything follows the palette (roles, not hard-coded colours) except
the token's part colours and the verdict banner, which carry meaning. Those come
in a light and a dark set, each chosen for at least 4.5:1 contrast (WCAG AA)
against the background it is drawn on.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QMimeData,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import (
    QLabel,
    QLayout,
    QLayoutItem,
    QPlainTextEdit,
    QSizePolicy,
    QWidget,
    QWidgetItem,
)

from twinedge_desktop.tokens.decode import MAX_INPUT_CHARS
from twinedge_desktop.tokens.model import VerdictStatus
from twinedge_desktop.ui.common.style import is_dark, monospace_font

# Token part colours (header, payload, signature; JWE adds two), as text on the editor's base.
# Contrast is checked by tests/unit/ui/inspector/test_inspector_page.py against both palettes' base.
PART_COLORS_LIGHT = ("#c62828", "#7b1fa2", "#0b62b0", "#1e7b3a", "#8a5a00")
PART_COLORS_DARK = ("#ff8a80", "#d7a6e6", "#7fb0ff", "#6fd08c", "#f2c061")


class BannerState(StrEnum):
    """What the verdict banner says: a token's verdict (:class:`VerdictStatus`), or where the
    page is (nothing yet, checking, an API key's Test answered)."""

    VALID = VerdictStatus.VALID.value
    INVALID = VerdictStatus.INVALID.value
    UNVERIFIED = VerdictStatus.UNVERIFIED.value
    API_KEY = VerdictStatus.API_KEY.value
    UNREADABLE = VerdictStatus.UNREADABLE.value
    CHECKING = "checking"
    EMPTY = "empty"
    KEY_WORKS = "key_works"  # Test: the API accepted the key
    KEY_REFUSED = "key_refused"  # Test: the API refused it (or could not be asked)

    @classmethod
    def of(cls, verdict: VerdictStatus) -> BannerState:
        """The banner state that shows ``verdict``."""
        return cls(verdict.value)


# Verdict banners: white text on a saturated background, the same in both schemes
# (checked by the widget tests, like the part colours).
VERDICT_COLORS: dict[BannerState, str] = {
    BannerState.VALID: "#1e7b3a",
    BannerState.INVALID: "#b3261e",
    BannerState.UNVERIFIED: "#8a5a00",
    BannerState.API_KEY: "#1f5fbf",
    BannerState.UNREADABLE: "#5b6472",
    BannerState.CHECKING: "#1f5fbf",
    BannerState.EMPTY: "#5b6472",
    BannerState.KEY_WORKS: "#1e7b3a",
    BannerState.KEY_REFUSED: "#b3261e",
}
VERDICT_TITLES: dict[BannerState, str] = {
    BannerState.VALID: "Valid",
    BannerState.INVALID: "Invalid",
    BannerState.UNVERIFIED: "Not verified",
    BannerState.API_KEY: "API key",
    BannerState.UNREADABLE: "Unreadable",
    BannerState.CHECKING: "Checking…",
    BannerState.EMPTY: "Nothing to inspect",
    BannerState.KEY_WORKS: "The key works",
    BannerState.KEY_REFUSED: "The key did not work",
}
UNKNOWN_SCOPE_COLOR = "#8a5a00"  # white text on it: 5.9 : 1


def part_colors(palette: QPalette) -> tuple[str, ...]:
    return PART_COLORS_DARK if is_dark(palette) else PART_COLORS_LIGHT


class TokenHighlighter(QSyntaxHighlighter):
    """Colours each dot-separated part of the token in the editor (multi-line pastes too)."""

    def __init__(self, document: QTextDocument, palette: QPalette) -> None:
        super().__init__(document)
        self._colors = part_colors(palette)

    def set_palette(self, palette: QPalette) -> None:
        colors = part_colors(palette)
        if colors != self._colors:
            self._colors = colors
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        part = max(self.previousBlockState(), 0)
        start = 0
        for position, char in enumerate(text + "\0"):
            if char in (".", "\0"):
                if position > start:
                    fmt = QTextCharFormat()
                    fmt.setForeground(QColor(self._colors[part % len(self._colors)]))
                    self.setFormat(start, position - start, fmt)
                if char == ".":
                    part += 1
                start = position + 1
        self.setCurrentBlockState(part)


class TokenEdit(QPlainTextEdit):
    """The token field: monospace, wraps anywhere, and a drop replaces its content.

    Signals:
        dropped(): text or a small file was dropped and now fills the field.
        submitted(): Ctrl+Enter was pressed in the field (verify now).
    """

    dropped = Signal()
    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(monospace_font())
        self.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)  # a token has no spaces
        self.setTabChangesFocus(True)
        self.setAcceptDrops(True)
        self.highlighter = TokenHighlighter(self.document(), self.palette())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_palette(self.palette())
        super().changeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Ctrl+Enter means "verify", not a line break: tokens never contain newlines anyway.
        control = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if control and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            self.submitted.emit()
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _droppable(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if _droppable(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        text = text_from_mime(event.mimeData())
        if text is None:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.setPlainText(text)
        self.dropped.emit()


def _droppable(mime: QMimeData) -> bool:
    return mime.hasText() or any(url.isLocalFile() for url in mime.urls())


def text_from_mime(mime: QMimeData) -> str | None:
    """Dropped text, or the contents of one small dropped text file (a saved token)."""
    for url in mime.urls():
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            try:
                # A token file is tiny; anything larger is refused, not read.
                if not path.is_file() or path.stat().st_size > MAX_INPUT_CHARS * 4:
                    return None
                return path.read_bytes().decode("utf-8", errors="replace")
            except OSError:
                return None
    if mime.hasText():
        return mime.text()
    return None


class Chip(QLabel):
    """A rounded label for a scope; unknown scopes are drawn in the warning colour.

    An *unverified* chip (the token's claim, not confirmed: no verified signature, or a
    failed check) has a dashed border and muted text, and says so to screen readers.
    """

    def __init__(self, name: str, description: str | None, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self._name = name
        self._known = description is not None
        self._tooltip = description or "Unknown scope: TwinEdge does not define it"
        self.setProperty("known", self._known)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.set_unverified(False)

    @property
    def unverified(self) -> bool:
        return bool(self.property("unverified"))

    def set_unverified(self, unverified: bool) -> None:
        self.setProperty("unverified", unverified)
        prefix = "Unverified claim: " if unverified else ""
        self.setToolTip(prefix + self._tooltip)
        self.setAccessibleName(f"{prefix}Scope {self._name}: {self._tooltip}")
        shape = "border-radius: 10px; padding: 2px 9px;"
        line = "dashed" if unverified else "solid"
        if unverified:
            style = (
                f"border: 1px {line} palette(mid); {shape}"
                "background: transparent; color: palette(placeholder-text);"
            )
        elif self._known:
            style = (
                f"border: 1px {line} palette(highlight); {shape}"
                "background: palette(alternate-base); color: palette(text);"
            )
        else:
            style = (
                f"border: 1px {line} {UNKNOWN_SCOPE_COLOR}; {shape}"
                f"background: {UNKNOWN_SCOPE_COLOR}; color: #ffffff;"
            )
        self.setStyleSheet(f"QLabel {{ {style} }}")


class FlowLayout(QLayout):
    """Lays widgets out left to right, wrapping to new lines (Qt's classic flow layout)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def add(self, widget: QWidget) -> None:
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def clear(self) -> None:
        while self._items:
            item = self._items.pop()
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.invalidate()

    def widgets(self) -> list[QWidget]:
        return [w for item in self._items if (w := item.widget()) is not None]

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        x, y, line_height = rect.x(), rect.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() and line_height > 0:
                x = rect.x()
                y += line_height + self._spacing
                line_height = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y()


def expanding(widget: QWidget) -> QWidget:
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    return widget
