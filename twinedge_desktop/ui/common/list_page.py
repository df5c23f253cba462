"""What every list page (API keys, OAuth applications) builds the same way, built once here.

A list page shows one of a few states in a stack (signed out, the list, empty, could not
load), runs its actions as page-wide shortcuts, keeps a failed refresh's list with a
banner that offers to try again, and tracks the selected row's object. The pages differ in
what they list and do; these pieces are what they say and do alike, so both say it the
same way (a person learns one page and knows the other).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QAction, QFont, QFontMetrics, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.auth.errors import SignInError
from twinedge_desktop.ui.common.inline_message import InlineMessage

if TYPE_CHECKING:
    from twinedge_desktop.auth.session import Session, SessionInfo

T = TypeVar("T")
S = TypeVar("S")
K = TypeVar("K", bound=int)  # a table's column (an IntEnum)

# A state's heading is this much larger than the text under it.
HEADING_SCALE = 1.25


class CenteredView(NamedTuple):
    """A state of a page: a heading and a hint in the middle, room for a button below."""

    page: QWidget
    layout: QVBoxLayout  # add the state's buttons, then ``addStretch(2)``
    heading: QLabel
    hint: QLabel  # hidden when the state has no hint


def centered_view(title: str, hint: str = "") -> CenteredView:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    heading = QLabel(title)
    heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
    heading.setWordWrap(True)
    font = heading.font()
    font.setPointSizeF(font.pointSizeF() * HEADING_SCALE)
    heading.setFont(font)
    hint_label = QLabel(hint)
    hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    hint_label.setWordWrap(True)
    hint_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    hint_label.setVisible(bool(hint))
    layout.addWidget(heading)
    layout.addWidget(hint_label)
    return CenteredView(page, layout, heading, hint_label)


class LoadErrorView(NamedTuple):
    """The state shown when a list could not be loaded at all: why, and Try again."""

    page: QWidget
    error_text: InlineMessage
    retry_button: QPushButton


def load_error_view(title: str, on_retry: Callable[[], Any]) -> LoadErrorView:
    view = centered_view(title)
    error_text = InlineMessage("error")
    error_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
    error_text.setObjectName("loadError")
    retry_button = QPushButton("&Try again")
    retry_button.setAccessibleName("Try loading again")
    retry_button.clicked.connect(on_retry)
    view.layout.addWidget(error_text)
    view.layout.addWidget(retry_button, 0, Qt.AlignmentFlag.AlignCenter)
    view.layout.addStretch(2)
    return LoadErrorView(view.page, error_text, retry_button)


class RefreshBanner(NamedTuple):
    """Above a list that is still shown after a refresh failed: why, and Try again."""

    row: QHBoxLayout  # add it to the list's layout
    message: InlineMessage
    retry_button: QPushButton


def refresh_banner(on_retry: Callable[[], Any]) -> RefreshBanner:
    message = InlineMessage("error")
    message.setObjectName("loadBanner")
    retry_button = QPushButton("Try again")
    retry_button.setAccessibleName("Try loading again")
    retry_button.clicked.connect(on_retry)
    retry_button.hide()
    row = QHBoxLayout()
    row.addWidget(message, 1)
    row.addWidget(retry_button)
    return RefreshBanner(row, message, retry_button)


def show_load_failure(
    text: str, *, list_shown: bool, banner: RefreshBanner, error: LoadErrorView
) -> None:
    """Say why a load failed: above the list when one is shown (it is kept: nothing
    already on screen is lost to a failed refresh), else in the error state's text (the
    caller shows that state; its Try again gets the focus)."""
    if list_shown:
        banner.message.show_message(f"Refreshing failed: {text}")
        banner.retry_button.show()
    else:
        error.error_text.show_message(text)
        error.retry_button.show()
        error.retry_button.setFocus()


def service_or_no_api(
    make: Callable[[Session], S], session: Session, error: LoadErrorView
) -> S | None:
    """``make(session)``: the page's API service; None when the profile has no API address
    (a server that signs people in but names no API), after saying so in the error state
    (the caller shows it). No Try again there: nothing on the page can change it; the page
    is bound again when the profile learns its API."""
    try:
        return make(session)
    except SignInError as exc:
        error.error_text.show_message(exc.user_message)
        error.retry_button.hide()
        return None


def page_action(
    owner: QWidget,
    text: str,
    shortcut: QKeySequence | QKeySequence.StandardKey | str,
    slot: Callable[[], Any],
) -> QAction:
    """An action whose shortcut works anywhere inside ``owner`` (and only there: two pages
    may both use Ctrl+N)."""
    action = QAction(text, owner)
    action.setShortcut(QKeySequence(shortcut))
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.triggered.connect(slot)
    owner.addAction(action)
    return action


class DeleteFromEmptyFilter(QObject):
    """Lets the page's Delete shortcut act on the selected row while the keyboard focus is
    in an *empty* filter field.

    A line edit claims Delete (Qt asks the focused widget first, with a ShortcutOverride
    event, and QLineEdit accepts every editing key), so a page-wide Delete did nothing
    while the filter had the focus, though the README promises it "wherever the keyboard
    focus is in the window". With text in the field, Delete still edits the text (even at
    its end, where it deletes nothing: a key that opens a dialog only sometimes while one
    types would surprise); with nothing to delete, the shortcut gets the key.
    Install with ``field.installEventFilter(DeleteFromEmptyFilter(field))``.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and isinstance(watched, QLineEdit)
            and event.key() == Qt.Key.Key_Delete
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and not watched.text()
        ):
            # Left unaccepted, the override lets the shortcut map try the page's Delete.
            event.ignore()
            return True
        return super().eventFilter(watched, event)


def let_delete_through_empty_filter(field: QLineEdit) -> DeleteFromEmptyFilter:
    """Install :class:`DeleteFromEmptyFilter` on ``field`` (owned by it)."""
    delete_filter = DeleteFromEmptyFilter(field)
    field.installEventFilter(delete_filter)
    return delete_filter


def return_focus_to_list(dialog: QDialog, table: QTableView) -> None:
    """When ``dialog`` closes, give the keyboard focus to ``table`` if it shows a selected
    row: the row a dialog just added or acted on is where the person goes on (Delete,
    Enter, the arrows), not the filter field that happened to have the focus before."""

    def finished(_result: int) -> None:
        selection = table.selectionModel()
        if table.isVisible() and selection is not None and selection.hasSelection():
            table.setFocus(Qt.FocusReason.OtherFocusReason)

    dialog.finished.connect(finished)


def selected_object(table: QTableView, role: int, kind: type[T]) -> T | None:
    """The object (``role`` of the first column) of the selected row; None when the
    current row is not selected (a Ctrl+click can leave it current but unselected)."""
    selection = table.selectionModel()
    index = selection.currentIndex()
    if not index.isValid() or not selection.isRowSelected(index.row()):
        return None
    value = index.siblingAtColumn(0).data(role)
    return value if isinstance(value, kind) else None


def select_source_index(
    table: QTableView, proxy: QSortFilterProxyModel, source: QModelIndex
) -> bool:
    """Select and show the row of the source model's ``source``; False when the filter
    hides it."""
    index = proxy.mapFromSource(source)
    if not index.isValid():
        return False
    table.selectionModel().setCurrentIndex(
        index,
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    table.scrollTo(index)
    return True


def same_person(old: SessionInfo | None, new: SessionInfo | None) -> bool:
    """Whether two sessions are the same person in the same profile (a refreshed token):
    a page keeps its list for them rather than load it again."""
    if old is None or new is None:
        return False
    return (old.profile_id, old.subject, old.org) == (new.profile_id, new.subject, new.org)


# -- column widths that fit the content -------------------------------------------------

# Beyond its text, a cell has the style's margins and the focus frame (Fusion: ~ 8 px) and
# needs some air: the same padding the tables' default widths use.
CELL_PADDING = 20
# How many rows of the list, from the top, are measured (plus the visible ones): enough to
# see the usual values, few enough that measuring one column costs ~1.3 ms whatever the
# number of rows (measured: the keys' scopes, 10,000 keys behind their filter proxy; every
# row would cost ~130 ms, a size hint per row more).
MEASURED_ROWS = 64


def measure_columns(
    table: QTableView, columns: Iterable[int], *, rows: int = MEASURED_ROWS
) -> dict[int, int]:
    """The width each of ``columns`` needs for its header and for the texts of the first
    ``rows`` rows and the visible ones: font metrics of the display text in the cell's font
    (its FontRole, else the table's), plus :data:`CELL_PADDING`. Never a delegate's size
    hint: no call per cell beyond ``data()``."""
    model = table.model()
    wanted: dict[int, int] = {}
    count = model.rowCount()
    sample = set(range(min(rows, count)))
    first = table.rowAt(0)
    if first >= 0:
        last = table.rowAt(table.viewport().height() - 1)
        sample.update(range(first, (last if last >= 0 else count - 1) + 1))
    header = table.horizontalHeader()
    metrics: dict[str, QFontMetrics] = {}
    plain = table.fontMetrics()
    for column in columns:
        width = header.sectionSizeFromContents(column).width()
        for row in sample:
            index = model.index(row, column)
            text = index.data()
            if not text:
                continue
            font = index.data(Qt.ItemDataRole.FontRole)
            if isinstance(font, QFont):
                key = font.key()
                found = metrics.get(key)
                if found is None:
                    found = metrics[key] = QFontMetrics(font)
            else:
                found = plain
            width = max(width, found.horizontalAdvance(str(text)) + CELL_PADDING)
        wanted[column] = width
    return wanted


def share_room(defaults: Mapping[K, int], wanted: Mapping[K, int], room: int) -> dict[K, int]:
    """Column widths: each column its default, then ``room`` (the width left beyond the
    defaults and the stretching column's share) given to the columns that want more than
    their default, in proportion to what they lack, none beyond what it wants."""
    widths = dict(defaults)
    lacking = {c: wanted[c] - widths[c] for c in widths if wanted.get(c, 0) > widths[c]}
    total = sum(lacking.values())
    if room <= 0 or total <= 0:
        return widths
    if room >= total:
        for column, more in lacking.items():
            widths[column] += more
        return widths
    for column, more in lacking.items():
        widths[column] += more * room // total
    return widths


def select_row_on_tab_in(table: QTableView) -> None:
    """Tabbing into a list makes a row current but selects nothing, while the page's
    actions (Delete, Ctrl+R, Enter…) act on the selected row: select the current one (the
    first when none is). For a table's ``focusInEvent``."""
    selection = table.selectionModel()
    model = table.model()
    if selection is None or model is None or selection.hasSelection():
        return
    current = table.currentIndex()
    if not current.isValid() and model.rowCount() > 0:
        current = model.index(0, 0)
    if current.isValid():
        selection.setCurrentIndex(
            current,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
