"""The API keys table: a Qt model over :class:`~twinedge_desktop.api.models.ApiKey` dataclasses.

:class:`KeysTableModel` holds the keys (plain frozen dataclasses, never a secret) and
answers the usual roles plus :data:`SORT_ROLE` (a value that sorts correctly),
:data:`OBJECT_ROLE` (the ``ApiKey`` itself) and :data:`BADGE_ROLE` (what the
"expires" and "status" cells should flag). :class:`KeysFilterProxy` sits between the
model and the view and filters by text (name, prefix, scopes) and by "show revoked".

Damaged entries (the server sent an entry the client could not read in full:
:attr:`ApiKey.problem`) are rows like any other: they say "damaged: <why>", carry a
"damaged" badge, sort and filter, and show "unreadable" where a value was (never a
1970 date or a "never" that is not known). Each row has an *identity*: the key's id, or,
for an entry whose id itself was unreadable, one made up here, so two such entries
never collide (they cannot be acted on: the page offers them Details only).

Why the model sorts and filters itself: a ``QSortFilterProxyModel`` sorting by a
role calls ``data()`` across the C++/Python boundary for every comparison (measured
~600 ms for 10,000 keys), and filtering through a Python ``filterAcceptsRow`` costs a
boundary crossing per row plus the view's handling of every removed range (measured
~45 ms per keystroke at 10,000 keys). The model instead keeps all keys sorted with
plain Python keys and exposes the ones that pass the filter, computed with one list
comprehension over precomputed lower-case search text, then resets: a keystroke
costs a few milliseconds. :class:`KeysFilterProxy` stays the view's model (the usual
place for filter state, and a seam for the view) and passes requests on.

Why ``multiData`` and cached texts: painting is where a Python model costs most. The view
asks for about seven roles per visible cell on every paint (and while 10,000 keys load it
paints often); one ``multiData`` call per cell answers them all, from display texts and
badges worked out once per row and "epoch" (relative times move on with
:meth:`KeysTableModel.refresh_times`), instead of seven ``data()`` calls that each
format dates again. Measured: a full repaint of the table went from ~19 to ~14 ms.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QPalette

from twinedge_desktop.api.models import ApiKey, KeyStatus
from twinedge_desktop.scopes import describe
from twinedge_desktop.timefmt import Clock, absolute_time, relative_time, utc_now
from twinedge_desktop.ui.common.style import monospace_font

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
OBJECT_ROLE = int(Qt.ItemDataRole.UserRole) + 2
BADGE_ROLE = int(Qt.ItemDataRole.UserRole) + 3

EXPIRING_SOON = timedelta(days=14)

ModelIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NAME = 0
    PREFIX = 1
    SCOPES = 2
    CREATED = 3
    EXPIRES = 4
    LAST_USED = 5
    STATUS = 6


HEADERS: dict[Column, str] = {
    Column.NAME: "Name",
    Column.PREFIX: "Key",
    Column.SCOPES: "Scopes",
    Column.CREATED: "Created",
    Column.EXPIRES: "Expires",
    Column.LAST_USED: "Last used",
    Column.STATUS: "Status",
}


def display_prefix(key: ApiKey) -> str:
    """What the list shows of a key: its public prefix and an ellipsis, never more."""
    return f"{key.prefix}…"


def key_status(key: ApiKey, now: datetime) -> KeyStatus:
    """``key``'s status at ``now``: revocation wins; then any damaged entry is "damaged"
    (never offered as active: what the server sent about it is not all known), then expiry."""
    if key.revoked_at is not None:
        return KeyStatus.REVOKED
    if key.damaged:
        return KeyStatus.DAMAGED
    return key.status(now)


def can_revoke(key: ApiKey) -> bool:
    """Whether the window may revoke ``key``: not revoked, and its id is known. A damaged
    entry with a readable id can be revoked (the way out of a key whose bad expiry broke
    the list); one without an id cannot be named to the server."""
    return key.revoked_at is None and bool(key.id)


def can_rotate(key: ApiKey, now: datetime) -> bool:
    """Whether ``key`` can be rotated: active and read in full (rotation copies its scopes
    and expiry policy, which a damaged entry may not hold)."""
    return key_status(key, now) is KeyStatus.ACTIVE


UNREADABLE = "unreadable"


def damage_text(key: ApiKey) -> str:
    """ "damaged: <why>" for a damaged entry, "" otherwise."""
    return f"damaged: {key.problem}" if key.problem else ""


class Badge(StrEnum):
    """What a cell flags with a pill (:data:`BADGE_ROLE`): the "expires" and "status" cells."""

    EXPIRED = "expired"
    EXPIRING = "expiring"  # within 14 days
    REVOKED = "revoked"
    REMINDER = "reminder"  # active, but a rotation left "revoke this key" on it
    DAMAGED = "damaged"  # the server's entry could not be read in full


def expiry_badge(key: ApiKey, now: datetime) -> Badge | None:
    """Expired, expiring (within 14 days) or None; revoked keys get no expiry badge."""
    if key.revoked_at is not None or key.expires_at is None or key.damaged:
        return None
    if key.expires_at <= now:
        return Badge.EXPIRED
    if key.expires_at - now <= EXPIRING_SOON:
        return Badge.EXPIRING
    return None


@dataclass(slots=True)
class _Row:
    key: ApiKey
    identity: str  # the key's id, or a made-up one for an entry whose id was unreadable
    search: str  # lower-cased name, prefix and scopes: what the filter box matches
    revoked: bool
    # What the view paints, worked out once per "epoch" of the model (see
    # KeysTableModel._texts): the display text of each column, then the two badges.
    texts: tuple[str, ...] = ()
    expires_badge: Badge | None = None
    status_badge: Badge | None = None
    epoch: int = -1


# Identities for entries without a readable id: "\0" never starts an id the server gives.
_unnamed = itertools.count(1)


def _row(key: ApiKey) -> _Row:
    words = [key.name, key.prefix, *key.scopes]
    if key.problem:
        words.append(damage_text(key))
    search = " ".join(words).casefold()
    identity = key.id or f"\0unreadable-{next(_unnamed)}"
    return _Row(key, identity, search, key.revoked_at is not None)


# Sorting 10,000 keys by status asks each key's status once.
_STATUS_ORDER: dict[KeyStatus, int] = {
    KeyStatus.ACTIVE: 0,
    KeyStatus.EXPIRED: 1,
    KeyStatus.DAMAGED: 2,
    KeyStatus.REVOKED: 3,
}


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ROLES = frozenset(
    {
        _DISPLAY,
        _TOOLTIP,
        _FONT,
        _FOREGROUND,
        int(Qt.ItemDataRole.AccessibleTextRole),
        SORT_ROLE,
        OBJECT_ROLE,
        BADGE_ROLE,
    }
)
_COLUMNS = tuple(Column)
_COLUMN_COUNT = len(_COLUMNS)


class KeysTableModel(QAbstractTableModel):
    """API keys as rows. Holds no secrets: ``ApiKey`` has only the public prefix.

    Rows change through :meth:`set_keys`, :meth:`append_keys` (a page at a time while
    loading), :meth:`upsert` (a new or changed key, in place) and :meth:`remove_key`.
    A rotation leaves a reminder on the old key's row (:meth:`set_reminder`).

    Signals:
        keys_changed(): keys were set, added, changed or removed (not merely filtered
            or sorted): emitted as the change starts, for work deferred to after it
            (the view measures its columns' content then).
    """

    keys_changed = Signal()

    def __init__(self, parent: QObject | None = None, *, clock: Clock = utc_now) -> None:
        super().__init__(parent)
        self._clock = clock
        self._all: list[_Row] = []  # every loaded key, sorted
        self._by_id: dict[str, _Row] = {}
        self._rows: list[_Row] = []  # the ones that pass the filter: what the rows are
        self._row_index: dict[str, int] | None = {}  # key id -> row; None = rebuild on use
        # The model shows everything until told otherwise; the page's proxy hides revoked keys.
        self._needle = ""
        self._show_revoked = True
        self._reminders: dict[str, str] = {}
        self._sort_column: Column = Column.CREATED
        self._sort_order = Qt.SortOrder.DescendingOrder  # the API's order: newest first
        self._mono = monospace_font()
        self._epoch = 0  # bumped when painted texts may have changed: see _texts()

    # -- reading ---------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else _COLUMN_COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[Column(section)]
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def index(
        self,
        row: int,
        column: int,
        parent: ModelIndex = QModelIndex(),  # noqa: B008
    ) -> QModelIndex:
        # The proxy asks for a source index on every data() call; the inherited index()
        # would call rowCount() and columnCount() back in Python for each one.
        if parent.isValid() or not (0 <= row < len(self._rows) and 0 <= column < _COLUMN_COUNT):
            return QModelIndex()
        return self.createIndex(row, column)

    # flags() is not overridden: QAbstractTableModel's (enabled, selectable, no children,
    # in C++) is what these read-only rows need.

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._rows):
            return None
        return self._value(self._rows[row], _COLUMNS[index.column()], role)

    def multiData(self, index: ModelIndex, roleDataSpan: Any) -> None:
        """Every role a delegate asks for, in one call.

        A delegate paints a cell with about seven roles; through ``data()`` each would
        be its own call from C++ into Python. Answers are those of :meth:`data`.
        ``roleDataSpan`` is a ``QModelRoleDataSpan`` (typed loosely: the stubs give it no
        indexing, which PySide6 supports).
        """
        row = index.row() if index.isValid() else -1
        item = self._rows[row] if 0 <= row < len(self._rows) else None
        column = _COLUMNS[index.column()] if item is not None else Column.NAME
        for position in range(roleDataSpan.size()):
            slot = roleDataSpan[position]
            role = slot.role()
            value = self._value(item, column, role) if item is not None and role in _ROLES else None
            if value is None:
                slot.clearData()
            else:
                slot.setData(value)

    def _value(self, item: _Row, column: Column, role: int) -> Any:
        """The answer for one cell and one of the roles in ``_ROLES``."""
        if role == _DISPLAY:
            return self._texts(item).texts[column]
        if role == _FONT:
            return self._mono if column == Column.PREFIX else None
        if role == _FOREGROUND:
            # Revoked keys are muted, in the palette's own "less important" colour.
            if not item.revoked:
                return None
            return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == BADGE_ROLE:
            if column == Column.EXPIRES:
                return self._texts(item).expires_badge
            if column == Column.STATUS:
                return self._texts(item).status_badge
            return None
        key = item.key
        if role == OBJECT_ROLE:
            return key
        if role == SORT_ROLE:
            return _sort_value(key, column, self._clock())
        if role == _TOOLTIP:
            return self._tooltip(key, column, self._clock())
        return self._accessible(key, column, self._clock())  # AccessibleTextRole

    def _texts(self, item: _Row) -> _Row:
        """``item`` with its painted texts and badges up to date.

        Relative times depend on the clock: they are worked out once per epoch (a new
        epoch starts with each :meth:`refresh_times`) rather than on every paint, which
        asks for each visible cell's text many times a second while rows arrive.
        """
        if item.epoch != self._epoch:
            now = self._clock()
            key = item.key
            item.texts = tuple(self._display(key, column, now) for column in _COLUMNS)
            item.expires_badge = self._badge(key, Column.EXPIRES, now)
            item.status_badge = self._badge(key, Column.STATUS, now)
            item.epoch = self._epoch
        return item

    def _display(self, key: ApiKey, column: Column, now: datetime) -> str:
        return display_text(key, column, now, reminder=key.id in self._reminders)

    def _badge(self, key: ApiKey, column: Column, now: datetime) -> Badge | None:
        if column == Column.EXPIRES:
            return expiry_badge(key, now)
        if column == Column.STATUS:
            status = key_status(key, now)
            if status is KeyStatus.ACTIVE:
                return Badge.REMINDER if key.id in self._reminders else None
            return Badge(status.value)  # expired, revoked or damaged
        return None

    def _tooltip(self, key: ApiKey, column: Column, now: datetime) -> str | None:
        if key.problem and column in (Column.NAME, Column.STATUS):
            action = (
                "It can be revoked; nothing else."
                if can_revoke(key)
                else "Without a readable id it cannot be acted on."
            )
            return (
                f"The server's entry for this key could not be read in full: {key.problem}. "
                f"Details shows what could be read. {action}"
            )
        if column in _TIME_COLUMNS and _TIME_COLUMNS[column] in key.unreadable:
            return f"The server sent a {HEADERS[column].lower()} time that could not be read."
        if column == Column.SCOPES:
            return "\n".join(f"{s}: {describe(s) or 'unknown scope'}" for s in key.scopes) or None
        if column == Column.CREATED:
            return f"Created {absolute_time(key.created_at)} by {key.created_by or 'unknown'}"
        if column == Column.EXPIRES:
            if key.expires_at is None:
                return "This key never expires."
            badge = expiry_badge(key, now)
            suffix = {Badge.EXPIRED: " (expired)", Badge.EXPIRING: " (expires within 14 days)"}
            return (
                f"Expires {absolute_time(key.expires_at)}{suffix.get(badge, '') if badge else ''}"
            )
        if column == Column.LAST_USED:
            if key.last_used_at is None:
                return "This key has never been used."
            return f"Last used {absolute_time(key.last_used_at)}"
        if column == Column.STATUS:
            if key.revoked_at is not None:
                return f"Revoked {absolute_time(key.revoked_at)}"
            reminder = self._reminders.get(key.id)
            if reminder and key_status(key, now) is KeyStatus.ACTIVE:
                return reminder
        if column == Column.PREFIX:
            return "The key's public prefix. The full key is shown only once, when created."
        return None

    def _accessible(self, key: ApiKey, column: Column, now: datetime) -> str:
        text = self._display(key, column, now)
        badge = self._badge(key, column, now) if column == Column.EXPIRES else None
        return f"{HEADERS[column]}: {text}" + (f" ({badge})" if badge else "")

    # -- lookups -------------------------------------------------------------------------

    def key_at(self, row: int) -> ApiKey:
        """The key shown at ``row`` (rows are the keys that pass the filter)."""
        return self._rows[row].key

    def identity_at(self, row: int) -> str:
        """The identity of the row (see module docstring): to find it again after a reset."""
        return self._rows[row].identity

    def row_of(self, key_id: str) -> int | None:
        """The row showing ``key_id`` (or a row identity), or None when it is unknown or
        filtered out. "" finds nothing: an unreadable id names no row."""
        return self._row_of().get(key_id) if key_id else None

    def active_names(self) -> set[str]:
        """The names of the loaded keys that are active, case-folded (a new key's name is
        checked against them: the revoke confirmation asks for a name)."""
        now = self._clock()
        return {
            row.key.name.strip().casefold()
            for row in self._all
            if not row.revoked and key_status(row.key, now) is KeyStatus.ACTIVE
        }

    def all_keys(self) -> list[ApiKey]:
        """Every loaded key, filtered out or not, in the current order."""
        return [row.key for row in self._all]

    def total_count(self) -> int:
        return len(self._all)

    def has_key(self, key_id: str) -> bool:
        return bool(key_id) and key_id in self._by_id

    def key_by_id(self, key_id: str) -> ApiKey | None:
        """The loaded key with this id, filtered out or not."""
        item = self._by_id.get(key_id) if key_id else None
        return item.key if item is not None else None

    def count_matching_hidden_revoked(self) -> int:
        """How many revoked keys would match the filter if "show revoked" were on."""
        if self._show_revoked:
            return 0
        needle = self._needle
        return sum(1 for row in self._all if row.revoked and needle in row.search)

    def reminder_for(self, key_id: str) -> str | None:
        return self._reminders.get(key_id)

    def reminders(self) -> dict[str, str]:
        """Every reminder, by key id (a copy)."""
        return dict(self._reminders)

    def replace_reminders(self, reminders: dict[str, str]) -> None:
        """Put these reminders in place of all others (another person, or a new run)."""
        self._reminders = dict(reminders)
        self._epoch += 1  # status texts and badges change
        if self._rows:
            self.dataChanged.emit(
                self.index(0, Column.STATUS), self.index(len(self._rows) - 1, Column.STATUS)
            )

    # -- filtering -----------------------------------------------------------------------

    @property
    def filter_text(self) -> str:
        return self._needle

    @property
    def show_revoked(self) -> bool:
        return self._show_revoked

    def set_filter(self, text: str, show_revoked: bool) -> None:
        """Show only keys whose name, prefix or scopes contain ``text`` (any case), and
        revoked keys only if ``show_revoked``. One model reset, whatever changed."""
        needle = text.strip().casefold()
        if (needle, show_revoked) == (self._needle, self._show_revoked):
            return
        # Typing on narrows the previous result: only the rows shown now can still match.
        narrowing = show_revoked == self._show_revoked and needle.startswith(self._needle)
        candidates = self._rows if narrowing else self._all
        self.beginResetModel()
        self._needle = needle
        self._show_revoked = show_revoked
        # Inlined conditions: this runs over every key on each keystroke.
        if show_revoked:
            rows = [r for r in candidates if needle in r.search] if needle else list(candidates)
        else:
            rows = [r for r in candidates if not r.revoked and needle in r.search]
        self._rows = rows
        self._reindex()
        self.endResetModel()

    def _matches(self, item: _Row) -> bool:
        if item.revoked and not self._show_revoked:
            return False
        return not self._needle or self._needle in item.search

    # -- changes -------------------------------------------------------------------------

    def set_keys(self, keys: Iterable[ApiKey]) -> None:
        self.keys_changed.emit()
        self.beginResetModel()
        self._all = [_row(k) for k in keys]
        self._by_id = {row.identity: row for row in self._all}
        self._sort_all()
        self._rows = [row for row in self._all if self._matches(row)]
        self._reindex()
        self.endResetModel()

    def clear(self) -> None:
        self.set_keys(())

    def append_keys(self, keys: Sequence[ApiKey]) -> None:
        """Add a page of keys. In the API's order they go at the end; otherwise re-sort."""
        self.keys_changed.emit()
        fresh: list[_Row] = []
        for key in keys:
            if key.id and key.id in self._by_id:
                self.upsert(key)  # seen before (a page boundary shifted): update in place
            else:
                item = _row(key)
                self._by_id[item.identity] = item
                fresh.append(item)
        if not fresh:
            return
        self._all.extend(fresh)
        if not self._in_api_order():
            self.sort(self._sort_column, self._sort_order, _new_rows=fresh)
            return
        shown = [item for item in fresh if self._matches(item)]
        if not shown:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(shown) - 1)
        self._rows.extend(shown)
        for offset, item in enumerate(shown):
            if self._row_index is not None:
                self._row_index[item.identity] = first + offset
        self.endInsertRows()

    def upsert(self, key: ApiKey, *, refilter: bool = False) -> None:
        """Replace the key with the same id in place, or insert it at its sorted place.

        A replaced key keeps its row even if it no longer passes the filter (a key just
        changed elsewhere stays in view) unless ``refilter``: then a row the filter now
        hides goes at once (a key just revoked while revoked keys are hidden).
        """
        self.keys_changed.emit()
        old = self._by_id.get(key.id) if key.id else None
        item = _row(key)
        self._by_id[item.identity] = item
        if old is not None:
            self._all[self._all.index(old)] = item
            row = self._row_of().get(item.identity)
            if row is None:
                return
            if refilter and not self._matches(item):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self._reindex()
                self.endRemoveRows()
                return
            self._rows[row] = item
            self.dataChanged.emit(self.index(row, 0), self.index(row, _COLUMN_COUNT - 1))
            return
        self._all.insert(self._insert_position(self._all, key), item)
        if not self._matches(item):
            return
        position = self._insert_position(self._rows, key)
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.insert(position, item)
        self._reindex()
        self.endInsertRows()

    def remove_key(self, key_id: str) -> None:
        self.keys_changed.emit()
        item = self._by_id.pop(key_id, None) if key_id else None
        if item is None:
            return
        self._all.remove(item)
        self._reminders.pop(key_id, None)
        row = self._row_of().get(key_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self._reindex()
        self.endRemoveRows()

    def set_reminder(self, key_id: str, text: str | None) -> None:
        """Keep (or with None, drop) a "revoke pending" reminder on a key's row."""
        if text:
            self._reminders[key_id] = text
        else:
            self._reminders.pop(key_id, None)
        item = self._by_id.get(key_id)
        if item is not None:
            item.epoch = -1  # its status text and badge change
        row = self._row_of().get(key_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, _COLUMN_COUNT - 1))

    def refresh_times(self) -> None:
        """Relative times drift: repaint them (called from a slow timer)."""
        self._epoch += 1
        if self._rows:
            self.dataChanged.emit(
                self.index(0, Column.CREATED),
                self.index(len(self._rows) - 1, Column.STATUS),
                [Qt.ItemDataRole.DisplayRole, BADGE_ROLE, Qt.ItemDataRole.ToolTipRole],
            )

    # -- sorting -------------------------------------------------------------------------

    @property
    def sort_column(self) -> Column:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    def sort(
        self,
        column: int,
        order: Qt.SortOrder = Qt.SortOrder.AscendingOrder,
        *,
        _new_rows: Sequence[_Row] = (),
    ) -> None:
        if not 0 <= column < _COLUMN_COUNT:
            return
        shown_new = [item for item in _new_rows if self._matches(item)]
        if shown_new:
            # New rows join: announce them at the end first, then move everything into place.
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(shown_new) - 1)
            self._rows.extend(shown_new)
            self.endInsertRows()
        self.layoutAboutToBeChanged.emit()
        old_ids = [row.identity for row in self._rows]
        self._sort_column = Column(column)
        self._sort_order = order
        self._sort_all()
        # The same rows as before (sorting does not change the filter), in the new order.
        visible = {id(row) for row in self._rows}
        self._rows = [row for row in self._all if id(row) in visible]
        self._reindex()
        persistent = self.persistentIndexList()
        if persistent:
            row_of = self._row_of()
            moved = [
                self.index(row_of[old_ids[index.row()]], index.column()) for index in persistent
            ]
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _sort_all(self) -> None:
        now = self._clock()
        column = self._sort_column
        # Python's sort is stable: ties keep the API order (newest first).
        self._all.sort(
            key=lambda r: _sort_value(r.key, column, now),
            reverse=self._sort_order == Qt.SortOrder.DescendingOrder,
        )

    def _in_api_order(self) -> bool:
        return (
            self._sort_column == Column.CREATED and self._sort_order == Qt.SortOrder.DescendingOrder
        )

    def _insert_position(self, rows: Sequence[_Row], key: ApiKey) -> int:
        now = self._clock()
        value = _sort_value(key, self._sort_column, now)
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        for position, item in enumerate(rows):
            other = _sort_value(item.key, self._sort_column, now)
            if (value > other) if descending else (value < other):
                return position
        return len(rows)

    def _reindex(self) -> None:
        # Rebuilt when next needed: a filter keystroke should not pay for it.
        self._row_index = None

    def _row_of(self) -> dict[str, int]:
        if self._row_index is None:
            self._row_index = {row.identity: position for position, row in enumerate(self._rows)}
        return self._row_index


def _sort_value(key: ApiKey, column: Column, now: datetime) -> Any:
    """A value that orders keys by ``column``: same type for every row of a column."""
    if column == Column.NAME:
        return (key.name.casefold(), key.name)
    if column == Column.PREFIX:
        return key.prefix
    if column == Column.SCOPES:
        return (len(key.scopes), ",".join(key.scopes))
    if column == Column.CREATED:
        return key.created_at.timestamp()
    if column == Column.EXPIRES:
        # "never" sorts after every date.
        return key.expires_at.timestamp() if key.expires_at else float("inf")
    if column == Column.LAST_USED:
        # "never used" sorts before every use.
        return key.last_used_at.timestamp() if key.last_used_at else float("-inf")
    return (_STATUS_ORDER.get(_status_text(key, now), 4), key.created_at.timestamp())


def _status_text(key: ApiKey, now: datetime) -> KeyStatus:
    # key_status() inlined: this runs for every key of a sort.
    if key.revoked_at is not None:
        return KeyStatus.REVOKED
    if key.problem is not None:
        return KeyStatus.DAMAGED
    return key.status(now)


_TIME_COLUMNS = {
    Column.CREATED: "created_at",
    Column.EXPIRES: "expires_at",
    Column.LAST_USED: "last_used_at",
}


def display_text(key: ApiKey, column: Column, now: datetime, *, reminder: bool = False) -> str:
    """What the list shows in ``column`` for ``key`` (``reminder``: a rotation left one)."""
    if column == Column.NAME:
        damage = damage_text(key)
        if damage:
            return f"{key.name} · {damage}" if key.name else damage
        return key.name
    if column == Column.PREFIX:
        return display_prefix(key) if key.prefix else UNREADABLE
    if column == Column.SCOPES:
        if "scopes" in key.unreadable:
            return UNREADABLE
        return ", ".join(key.scopes) or "(none)"
    if column in _TIME_COLUMNS:
        field = _TIME_COLUMNS[column]
        if field in key.unreadable:
            return UNREADABLE
        value = getattr(key, field)
        return relative_time(value, now, none_text="never")
    status = key_status(key, now)
    if status is KeyStatus.ACTIVE and reminder:
        return "active · revoke pending"
    return status.value


class KeysFilterProxy(QSortFilterProxyModel):
    """The view's model: filter text over name, prefix and scopes, revoked keys hidden
    unless asked for, sorting by any column.

    Both the filtering and the sorting are carried out by :class:`KeysTableModel` (see
    the module docstring for the measurements); this proxy holds the view-side state,
    passes the requests on and otherwise maps rows one to one, in C++.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self._show_revoked = False
        self._source: KeysTableModel | None = None
        self.setDynamicSortFilter(False)

    def setSourceModel(self, source_model: Any) -> None:
        if not isinstance(source_model, KeysTableModel):
            raise TypeError("KeysFilterProxy filters a KeysTableModel")
        self._source = source_model
        super().setSourceModel(source_model)
        source_model.set_filter(self._needle, self._show_revoked)

    @property
    def filter_text(self) -> str:
        return self._needle

    @property
    def show_revoked(self) -> bool:
        return self._show_revoked

    def set_filter_text(self, text: str) -> None:
        self._needle = text
        if self._source is not None:
            self._source.set_filter(text, self._show_revoked)

    def set_show_revoked(self, show: bool) -> None:
        self._show_revoked = show
        if self._source is not None:
            self._source.set_filter(self._needle, show)

    def multiData(self, index: ModelIndex, roleDataSpan: Any) -> None:
        # QSortFilterProxyModel would ask the source one role at a time, each through
        # data() in Python: hand the whole request on in one call.
        if self._source is None:
            super().multiData(index, roleDataSpan)
            return
        self._source.multiData(self.mapToSource(index), roleDataSpan)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self._source is not None and column >= 0:
            self._source.sort(column, order)

    def key_at(self, row: int) -> ApiKey:
        key = self.index(row, 0).data(OBJECT_ROLE)
        if not isinstance(key, ApiKey):
            raise IndexError(row)
        return key
