"""The OAuth applications table: a Qt model over :class:`~twinedge_desktop.api.apps.OAuthApp`.

:class:`AppsTableModel` holds the registered applications (frozen dataclasses, never a
secret: only the last four characters the server calls ``secret_hint``) and answers the
display roles plus :data:`SORT_ROLE` (a value that orders the column correctly) and
:data:`OBJECT_ROLE` (the ``OAuthApp`` itself). :class:`AppsFilterProxy` filters by text
(name, client id, type, redirect URIs, scopes) and by type, and sorts by
:data:`SORT_ROLE`.

Unlike the API keys table (built for 10,000 keys, so it sorts and filters inside its
model), a person or an organisation has tens of applications: the plain
``QSortFilterProxyModel`` path is fast enough here and keeps the model small.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from twinedge_desktop.api.apps import ApplicationType, OAuthApp
from twinedge_desktop.scopes import describe
from twinedge_desktop.timefmt import Clock, absolute_time, relative_time, utc_now
from twinedge_desktop.ui.common.style import monospace_font

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
OBJECT_ROLE = int(Qt.ItemDataRole.UserRole) + 2

ModelIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NAME = 0
    TYPE = 1
    CLIENT_ID = 2
    REDIRECT_URIS = 3
    SCOPES = 4
    CREATED = 5
    SECRET = 6


HEADERS: dict[Column, str] = {
    Column.NAME: "Name",
    Column.TYPE: "Type",
    Column.CLIENT_ID: "Client ID",
    Column.REDIRECT_URIS: "Redirect URIs",
    Column.SCOPES: "Scopes",
    Column.CREATED: "Created",
    Column.SECRET: "Secret",
}

# Short enough for a table cell; ApplicationType.label is the long form (tooltips, dialogs).
TYPE_SHORT: dict[ApplicationType, str] = {
    ApplicationType.WEB: "Web",
    ApplicationType.SPA: "SPA",
    ApplicationType.NATIVE: "Mobile/desktop",
    ApplicationType.SERVICE: "Service",
}

# How each type signs in, in one line (the Register dialog and the type column's tooltip).
TYPE_EXPLANATION: dict[ApplicationType, str] = {
    ApplicationType.WEB: "A server keeps the client secret; Authorization Code, PKCE optional.",
    ApplicationType.SPA: "Runs in the browser: no secret, Authorization Code with PKCE.",
    ApplicationType.NATIVE: "Installed on a phone or computer: no secret, Authorization Code "
    "with PKCE.",
    ApplicationType.SERVICE: "No user: the service signs in as itself with client credentials.",
}

_TYPE_ORDER = {kind: position for position, kind in enumerate(ApplicationType)}
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)


def secret_text(app: OAuthApp, now: datetime) -> str:
    """What the list says of an app's secret: its last four characters, never more."""
    if not app.is_confidential:
        return "none (public client)"
    hint = f"…{app.secret_hint}" if app.secret_hint else "set"
    if app.previous_secret_works(now):
        assert app.previous_secret_expires_at is not None
        return f"{hint} · old one ends {relative_time(app.previous_secret_expires_at, now)}"
    return hint


def search_text(app: OAuthApp) -> str:
    """What the filter box matches, lower-cased."""
    parts = (
        app.name,
        app.client_id,
        app.application_type.value,
        TYPE_SHORT[app.application_type],
        app.application_type.label,
        *app.redirect_uris,
        *app.scopes,
    )
    return " ".join(parts).casefold()


class AppsTableModel(QAbstractTableModel):
    """Registered OAuth applications as rows, in the API's order (newest first).

    Rows change through :meth:`set_apps`, :meth:`upsert` (a new or changed app) and
    :meth:`remove_app`; :meth:`refresh_times` repaints the relative times.
    """

    def __init__(self, parent: QObject | None = None, *, clock: Clock = utc_now) -> None:
        super().__init__(parent)
        self._clock = clock
        self._apps: list[OAuthApp] = []
        self._mono = monospace_font()

    # -- reading -------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._apps)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            return HEADERS[Column(section)]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._apps):
            return section + 1
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._apps):
            return None
        if not 0 <= index.column() < len(Column):
            return None
        app = self._apps[index.row()]
        column = Column(index.column())
        if role == _DISPLAY:
            return self._display(app, column)
        if role == OBJECT_ROLE:
            return app
        if role == SORT_ROLE:
            return _sort_value(app, column)
        if role == _TOOLTIP:
            return self._tooltip(app, column)
        if role == _FONT:
            return self._mono if column == Column.CLIENT_ID else None
        if role == _ACCESSIBLE:
            return f"{HEADERS[column]}: {self._display(app, column)}"
        return None

    def _display(self, app: OAuthApp, column: Column) -> str:
        if column == Column.NAME:
            return app.name
        if column == Column.TYPE:
            return TYPE_SHORT[app.application_type]
        if column == Column.CLIENT_ID:
            return app.client_id
        if column == Column.REDIRECT_URIS:
            if not app.application_type.uses_redirect_uris:
                return "none (client credentials)"
            first = app.redirect_uris[0] if app.redirect_uris else "(none)"
            more = len(app.redirect_uris) - 1
            return f"{first} (+{more} more)" if more > 0 else first
        if column == Column.SCOPES:
            return ", ".join(app.scopes) or "(none)"
        if column == Column.CREATED:
            return relative_time(app.created_at, self._clock())
        return secret_text(app, self._clock())

    def _tooltip(self, app: OAuthApp, column: Column) -> str | None:
        if column == Column.TYPE:
            kind = app.application_type
            return f"{kind.label}: {TYPE_EXPLANATION[kind]}"
        if column == Column.REDIRECT_URIS and app.redirect_uris:
            return "\n".join(app.redirect_uris)
        if column == Column.SCOPES:
            return "\n".join(f"{s}: {describe(s) or 'unknown scope'}" for s in app.scopes) or None
        if column == Column.CREATED:
            return f"Created {absolute_time(app.created_at)} by {app.created_by or 'unknown'}"
        if column == Column.CLIENT_ID:
            return "The public client id the application sends; not a secret."
        if column == Column.SECRET:
            if not app.is_confidential:
                return "A public client has no secret: it proves itself with PKCE."
            text = "The secret's last four characters. The whole secret is shown only once."
            until = app.previous_secret_expires_at
            if until is not None and app.previous_secret_works(self._clock()):
                text += f"\nThe previous secret still works until {absolute_time(until)}."
            return text
        return None

    # -- lookups -------------------------------------------------------------------------

    def app_at(self, row: int) -> OAuthApp:
        return self._apps[row]

    def row_of(self, app_id: str) -> int | None:
        return next((row for row, app in enumerate(self._apps) if app.id == app_id), None)

    def app_by_id(self, app_id: str) -> OAuthApp | None:
        row = self.row_of(app_id)
        return None if row is None else self._apps[row]

    def all_apps(self) -> list[OAuthApp]:
        return list(self._apps)

    # -- changes -------------------------------------------------------------------------

    def set_apps(self, apps: Iterable[OAuthApp]) -> None:
        self.beginResetModel()
        self._apps = list(apps)
        self.endResetModel()

    def clear(self) -> None:
        self.set_apps(())

    def upsert(self, app: OAuthApp) -> None:
        """Replace the app with the same id in place, or add it first (the newest)."""
        row = self.row_of(app.id)
        if row is not None:
            self._apps[row] = app
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))
            return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._apps.insert(0, app)
        self.endInsertRows()

    def remove_app(self, app_id: str) -> None:
        row = self.row_of(app_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._apps[row]
        self.endRemoveRows()

    def refresh_times(self) -> None:
        """Relative times ("3 days ago", "old one ends in 5 hours") move on: repaint them."""
        if self._apps:
            self.dataChanged.emit(
                self.index(0, Column.CREATED),
                self.index(len(self._apps) - 1, Column.SECRET),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole],
            )


def _sort_value(app: OAuthApp, column: Column) -> Any:
    """A value that orders apps by ``column``; the same type for every row of a column."""
    if column == Column.NAME:
        return app.name.casefold()
    if column == Column.TYPE:
        return _TYPE_ORDER[app.application_type]
    if column == Column.CLIENT_ID:
        return app.client_id
    if column == Column.REDIRECT_URIS:
        return " ".join(app.redirect_uris).casefold()
    if column == Column.SCOPES:
        return f"{len(app.scopes):02d} {' '.join(app.scopes)}"
    if column == Column.CREATED:
        return app.created_at.timestamp()
    return app.secret_hint or ""


class AppsFilterProxy(QSortFilterProxyModel):
    """The view's model: text filter (name, client id, type, redirect URIs, scopes), an
    optional type filter, and sorting by :data:`SORT_ROLE`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self._kind: ApplicationType | None = None
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    @property
    def filter_text(self) -> str:
        return self._needle

    @property
    def type_filter(self) -> ApplicationType | None:
        return self._kind

    def set_filter_text(self, text: str) -> None:
        needle = text.strip().casefold()
        if needle != self._needle:
            self.beginFilterChange()
            self._needle = needle
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_type_filter(self, kind: ApplicationType | None) -> None:
        if kind is not self._kind:
            self.beginFilterChange()
            self._kind = kind
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        source = self.sourceModel()
        if not isinstance(source, AppsTableModel) or source_parent.isValid():
            return False
        app = source.app_at(source_row)
        if self._kind is not None and app.application_type is not self._kind:
            return False
        return not self._needle or self._needle in search_text(app)

    def app_at(self, row: int) -> OAuthApp:
        app = self.index(row, 0).data(OBJECT_ROLE)
        if not isinstance(app, OAuthApp):
            raise IndexError(row)
        return app
