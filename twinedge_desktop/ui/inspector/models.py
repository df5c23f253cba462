"""The inspector's tables: claims and header explained, findings, and two tokens compared.

Each is a read-only table over a list of frozen rows (:class:`RowTableModel`), with the
row object under an object role; the tests run pytest-qt's model tester over all three.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from twinedge_desktop.timefmt import format_duration
from twinedge_desktop.tokens.model import Explanation, Finding, Severity

AnyIndex = QModelIndex | QPersistentModelIndex
RowT = TypeVar("RowT")

SEVERITY_WORDS = {
    Severity.OK: "Passed",
    Severity.INFO: "Note",
    Severity.WARNING: "Warning",
    Severity.ERROR: "Failed",
}
SEVERITY_ICONS = {
    Severity.OK: "check",
    Severity.INFO: "info",
    Severity.WARNING: "warning",
    Severity.ERROR: "error",
}


class RowTableModel(QAbstractTableModel, Generic[RowT]):
    """A read-only table over a list of frozen rows: fixed column headers and an object role.

    The three inspector tables differ only in what a row shows; subclasses set
    ``HEADERS`` and implement :meth:`cell_data`.
    """

    HEADERS: tuple[str, ...] = ()
    ObjectRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowT] = []

    def set_rows(self, rows: Sequence[RowT]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[RowT]:
        return list(self._rows)

    def row_object(self, row: int) -> RowT:
        return self._rows[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == self.ObjectRole:
            return row
        return self.cell_data(row, index.column(), role)

    def cell_data(self, row: RowT, column: int, role: int) -> Any:
        """What ``row`` shows in ``column`` for ``role`` (never the object role)."""
        raise NotImplementedError

    def replace_row(self, row: int, value: RowT) -> None:
        """Show ``value`` in place of row ``row`` (a text that follows the clock), keeping
        the view's selection and scroll position, which a reset would lose."""
        if self._rows[row] == value:
            return
        self._rows[row] = value
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))


class ExplanationModel(RowTableModel[Explanation]):
    """Header parameters or claims: name, value, and what it means (with dates and scopes)."""

    HEADERS = ("Name", "Value", "Meaning")

    def cell_data(self, row: Explanation, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == 0:
                return row.name
            if column == 1:
                return row.value
            if column == 2:
                return f"{row.meaning} — {row.detail}" if row.detail else row.meaning
        if role == Qt.ItemDataRole.FontRole and column == 0:
            font = QFont()
            font.setBold(True)
            font.setItalic(not row.known)
            return font
        return None


class FindingsModel(RowTableModel[Finding]):
    """The checks and what they found, most serious first."""

    HEADERS = ("Result", "Check", "Finding")

    def cell_data(self, finding: Finding, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (SEVERITY_WORDS[finding.severity], finding.check, finding.message)[column]
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            try:
                from twinedge_desktop.ui.common.style import icon

                return icon(SEVERITY_ICONS[finding.severity])
            except (ImportError, FileNotFoundError):
                return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{SEVERITY_WORDS[finding.severity]}: {finding.check}: {finding.message}"
        return None


class Difference(StrEnum):
    """How a header parameter or claim of token B differs from token A's."""

    SAME = "same"
    CHANGED = "changed"
    ONLY_IN_A = "only in A"
    ONLY_IN_B = "only in B"


@dataclass(frozen=True)
class ComparisonRow:
    name: str  # "header.alg" or a claim name
    left: str
    right: str
    difference: Difference
    detail: str = ""  # how a changed value changed: "B is 50 min later", "B adds admin"

    @property
    def description(self) -> str:
        """The Difference column: "same", "changed: B adds admin", "only in A"…"""
        return f"{self.difference}: {self.detail}" if self.detail else str(self.difference)


def compare_values(
    left: dict[str, Any] | None, right: dict[str, Any] | None, prefix: str = ""
) -> list[ComparisonRow]:
    """Row by row comparison of two JSON objects (a token's header or claims)."""
    left, right = left or {}, right or {}
    rows = []
    for name in list(dict.fromkeys([*left, *right])):
        shown = f"{prefix}{name}"
        in_left, in_right = name in left, name in right
        a = _cell(left.get(name)) if in_left else ""
        b = _cell(right.get(name)) if in_right else ""
        if in_left and in_right and left[name] == right[name]:
            rows.append(ComparisonRow(shown, a, b, Difference.SAME))
        elif in_left and in_right:
            detail = _change(name, left[name], right[name])
            rows.append(ComparisonRow(shown, a, b, Difference.CHANGED, detail))
        else:
            difference = Difference.ONLY_IN_A if in_left else Difference.ONLY_IN_B
            rows.append(ComparisonRow(shown, a, b, difference))
    return rows


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _change(name: str, a: Any, b: Any) -> str:
    """How ``b`` differs from ``a``, when that can be said better than "changed" ("")."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    if name in ("exp", "iat", "nbf", "auth_time") and numbers:
        delta = float(b) - float(a)
        return f"B is {format_duration(delta)} {'later' if delta > 0 else 'earlier'}"
    if name == "scope" and isinstance(a, str) and isinstance(b, str):
        added = sorted(set(b.split()) - set(a.split()))
        removed = sorted(set(a.split()) - set(b.split()))
        parts = ([f"B adds {' '.join(added)}"] if added else []) + (
            [f"B lacks {' '.join(removed)}"] if removed else []
        )
        return "; ".join(parts) if parts else "order only"
    return ""


class ComparisonModel(RowTableModel[ComparisonRow]):
    """Two tokens side by side, claim by claim; differing rows are bold."""

    HEADERS = ("Claim", "Token A", "Token B", "Difference")

    def cell_data(self, row: ComparisonRow, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (row.name, row.left, row.right, row.description)[column]
        if role == Qt.ItemDataRole.FontRole and row.difference is not Difference.SAME:
            font = QFont()
            font.setBold(True)
            return font
        return None
