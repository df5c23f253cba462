"""View ▸ Theme and File ▸ Preferences… (Ctrl+,): the person's preferences, applied and kept.

The preferences are :class:`~twinedge_desktop.config.Preferences` in the profiles file,
shared with the command line and other windows: every change is saved with
:meth:`ProfileStore.save` (a read-merge-write under a file lock, so a profile another
process added meanwhile survives) and applied at once: the palette switches live, the
next sign-in waits as long as asked, the next copied secret is cleared after the new
time. Other pages read them when they need them (the Health page's reminders read
``notifications_enabled``).

Signals:
    PreferencesDialog.accepted_values(object): the :class:`PreferenceValues` chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.config import THEMES, Preferences, ProfileStore
from twinedge_desktop.ui.common.style import set_role
from twinedge_desktop.ui.common.widgets import fit_to_contents

if TYPE_CHECKING:
    from twinedge_desktop.ui.common.messages import MessageBridge
    from twinedge_desktop.ui.common.style import ThemeManager
    from twinedge_desktop.ui.shell.actions import WindowActions
    from twinedge_desktop.ui.shell.main_window import MainWindow

THEME_NAMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
CLIPBOARD_RANGE = (0, 600)  # seconds; 0: cleared only when the app quits
SIGN_IN_TIMEOUT_RANGE = (30, 1800)  # seconds the browser sign-in waits


class PreferenceValues(NamedTuple):
    """What the Preferences dialog sets (the subset of :class:`Preferences` it shows)."""

    clipboard_clear_seconds: int
    sign_in_timeout_seconds: int
    notifications_enabled: bool
    theme: str

    @classmethod
    def of(cls, preferences: Preferences) -> PreferenceValues:
        return cls(
            preferences.clipboard_clear_seconds,
            preferences.sign_in_timeout_seconds,
            preferences.notifications_enabled,
            preferences.theme if preferences.theme in THEMES else "system",
        )


class PreferencesDialog(QDialog):
    """Clipboard clearing, sign-in timeout, desktop notifications and theme."""

    accepted_values = Signal(object)

    def __init__(self, values: PreferenceValues, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("TwinEdge — Preferences")
        self.clipboard = QSpinBox()
        self.clipboard.setRange(*CLIPBOARD_RANGE)
        self.clipboard.setSingleStep(5)
        self.clipboard.setSuffix(" s")
        self.clipboard.setSpecialValueText("only when the app quits")
        self.clipboard.setValue(values.clipboard_clear_seconds)
        self.clipboard.setAccessibleName("Clear copied secrets after, in seconds")
        self.sign_in_timeout = QSpinBox()
        self.sign_in_timeout.setRange(*SIGN_IN_TIMEOUT_RANGE)
        self.sign_in_timeout.setSingleStep(30)
        self.sign_in_timeout.setSuffix(" s")
        self.sign_in_timeout.setValue(values.sign_in_timeout_seconds)
        self.sign_in_timeout.setAccessibleName("Browser sign-in timeout, in seconds")
        self.notifications = QCheckBox("Show desktop notifications")
        self.notifications.setChecked(values.notifications_enabled)
        self.notifications.setAccessibleName("Show desktop notifications")
        self.theme = QComboBox()
        for choice in THEMES:
            self.theme.addItem(THEME_NAMES[choice], choice)
        self.theme.setCurrentIndex(max(0, self.theme.findData(values.theme)))
        self.theme.setAccessibleName("Theme")

        def hint(text: str) -> QLabel:
            widget = QLabel(text)
            widget.setWordWrap(True)
            set_role(widget, "muted")
            return widget

        def named(text: str, field: QWidget) -> QLabel:
            # Alt+letter moves to the field, and a screen reader says the label with it.
            widget = QLabel(text)
            widget.setBuddy(field)
            return widget

        self.notifications.setText("Show &desktop notifications")
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(named("&Clear copied secrets after", self.clipboard), self.clipboard)
        form.addRow(
            "",
            hint(
                "Copied API keys and client secrets leave the clipboard then, and always "
                "when the app quits."
            ),
        )
        form.addRow(named("Browser sign-in &waits", self.sign_in_timeout), self.sign_in_timeout)
        form.addRow("", hint("How long a sign-in waits for the browser to come back."))
        form.addRow("Notifications", self.notifications)
        form.addRow("", hint("Reminders about keys that expire soon or show unusual activity."))
        form.addRow(named("&Theme", self.theme), self.theme)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())
        fit_to_contents(self)

    def values(self) -> PreferenceValues:
        return PreferenceValues(
            self.clipboard.value(),
            self.sign_in_timeout.value(),
            self.notifications.isChecked(),
            str(self.theme.currentData()),
        )

    def _accept(self) -> None:
        self.accepted_values.emit(self.values())
        self.accept()


class PreferencesController(QObject):
    """Applies and keeps the person's preferences for one window (see module docstring).

    ``theme_manager`` is set by ``app.py`` (the one that paints the palettes); without one
    (tests, a window built alone) the theme choice is kept but nothing is repainted.
    """

    def __init__(
        self,
        window: MainWindow,
        profiles: ProfileStore,
        messages: MessageBridge,
        actions: WindowActions,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._profiles = profiles
        self._messages = messages
        self._actions = actions
        self.theme_manager: ThemeManager | None = None
        self.dialog: PreferencesDialog | None = None
        actions.show_theme(self.preferences.theme)

    @property
    def preferences(self) -> Preferences:
        return self._profiles.preferences

    def use_theme_manager(self, manager: ThemeManager) -> None:
        """The app's theme manager: apply the saved theme with it from now on."""
        self.theme_manager = manager
        self.apply_theme()

    def apply_theme(self) -> None:
        choice = self.preferences.theme
        self._actions.show_theme(choice)
        if self.theme_manager is not None:
            self.theme_manager.force(None if choice == "system" else choice)

    def set_theme(self, choice: str) -> None:
        """View ▸ Theme: switch the palette now and remember the choice."""
        if choice not in THEMES:
            raise ValueError(f"Unknown theme {choice!r}")
        self.apply(PreferenceValues.of(self.preferences)._replace(theme=choice))

    def open_dialog(self) -> PreferencesDialog:
        """File ▸ Preferences… (open(), not exec(): no nested loop inside the qasync loop)."""
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return self.dialog
        dialog = PreferencesDialog(PreferenceValues.of(self.preferences), self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted_values.connect(self.apply)
        dialog.destroyed.connect(self._dialog_closed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _dialog_closed(self, *_args: object) -> None:
        self.dialog = None

    def apply(self, values: PreferenceValues) -> None:
        """Take ``values`` into the preferences, save them (merged) and apply them now."""
        preferences = self.preferences
        for name, value in values._asdict().items():
            setattr(preferences, name, value)
        profiles_before = (dict(self._profiles.profiles), self._profiles.current_id)
        try:
            self._profiles.save()
        except OSError as exc:
            self._messages.warning(
                f"Could not save the preferences: {exc.strerror or exc}. They apply until you quit."
            )
        # save() merged in what other processes saved: apply what the file now says, and
        # list the profiles they added.
        self.apply_theme()
        if (dict(self._profiles.profiles), self._profiles.current_id) != profiles_before:
            self._window.profiles_changed()
        self._window.on_account(lambda account: account.follow_preferences())
