"""Light and dark palettes that follow the system, and SVG icons tinted to match.

The app uses Qt's Fusion style with its own two palettes, so contrast is the same
on every desktop; which palette applies follows the system's colour scheme
(``QStyleHints.colorScheme()``, Qt 6.5+) and changes with it at run time.

Icons are the SVGs in ``twinedge_desktop/resources/icons`` (24 px grid, stroked
with ``currentColor``). :class:`TintedSvgIconEngine` renders them at paint time in
the palette's text colour, so an icon is right in both schemes without reloading.

Signals (ThemeManager):
    scheme_changed(str): "light" or "dark", after the palette was applied.
"""

from __future__ import annotations

import weakref
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import shiboken6
from PySide6.QtCore import QByteArray, QObject, QRect, QRectF, QSize, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    # At run time ``Qt`` is imported where it is used: its first use builds all of its
    # enum classes (~40 ms), which the window's first frame does not need.
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QStyle

RESOURCES_DIR = Path(__file__).resolve().parents[2] / "resources"
ICONS_DIR = RESOURCES_DIR / "icons"

# Accent colours chosen for WCAG AA contrast (≥ 4.5:1) of white text on the accent
# and of the accent as text on the window colour, in each scheme.
_LIGHT = {
    "window": "#f6f7f9",
    "base": "#ffffff",
    "alt_base": "#f0f2f5",
    "text": "#1c2330",
    "muted": "#5b6472",
    "button": "#eceff3",
    "highlight": "#1f5fbf",
    "highlight_text": "#ffffff",
    "link": "#1f5fbf",
    "border": "#c9ced6",
    "disabled": "#9098a4",
    "error": "#b3261e",
    "warning": "#8a5a00",
    "success": "#1e7b3a",
    "error_bg": "#fdecea",
    "warning_bg": "#fff4d6",
    "info_bg": "#e7f0fd",
    "nav": "#eceff3",
}
_DARK = {
    "window": "#1e2229",
    "base": "#171a20",
    "alt_base": "#232831",
    "text": "#e6e9ee",
    "muted": "#a3acb9",
    "button": "#2b313b",
    "highlight": "#4c8df0",
    "highlight_text": "#0d1117",
    "link": "#7fb0ff",
    "border": "#3a414d",
    "disabled": "#6c7482",
    "error": "#ff8a80",
    "warning": "#f2c061",
    "success": "#6fd08c",
    "error_bg": "#3b1f1f",
    "warning_bg": "#3a3120",
    "info_bg": "#1d2b40",
    "nav": "#191d23",
}

SCHEMES = {"light": _LIGHT, "dark": _DARK}


def colors(scheme: str) -> dict[str, str]:
    """The named colours of ``scheme`` ("light" or "dark")."""
    return SCHEMES[scheme]


def build_palette(scheme: str) -> QPalette:
    c = SCHEMES[scheme]
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: c["window"],
        QPalette.ColorRole.WindowText: c["text"],
        QPalette.ColorRole.Base: c["base"],
        QPalette.ColorRole.AlternateBase: c["alt_base"],
        QPalette.ColorRole.ToolTipBase: c["base"],
        QPalette.ColorRole.ToolTipText: c["text"],
        QPalette.ColorRole.PlaceholderText: c["muted"],
        QPalette.ColorRole.Text: c["text"],
        QPalette.ColorRole.Button: c["button"],
        QPalette.ColorRole.ButtonText: c["text"],
        QPalette.ColorRole.BrightText: c["error"],
        QPalette.ColorRole.Highlight: c["highlight"],
        QPalette.ColorRole.HighlightedText: c["highlight_text"],
        QPalette.ColorRole.Link: c["link"],
        QPalette.ColorRole.LinkVisited: c["link"],
        QPalette.ColorRole.Mid: c["border"],
        QPalette.ColorRole.Midlight: c["alt_base"],
        QPalette.ColorRole.Dark: c["border"],
        QPalette.ColorRole.Light: c["base"],
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, value in roles.items():
        palette.setColor(role, QColor(value))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(c["disabled"]))
    return palette


# Style sheets are set on the few widgets that need them, never application-wide: an
# application style sheet makes Qt style every widget through QStyleSheetStyle, which
# doubles the cost of building the window and slows every table repaint.
_CSS: dict[str, str] = {
    "navigation": """
QListWidget#navigation {{
    background: {nav}; border: none; border-right: 1px solid {border};
    padding-top: 8px; font-size: 13px; outline: 0;
}}
QListWidget#navigation::item {{ padding: 9px 10px; margin: 2px 8px; border-radius: 6px; }}
QListWidget#navigation::item:selected {{ background: {highlight}; color: {highlight_text}; }}
""",
    "banner": """
QFrame#banner[level="error"] {{
    background: {error_bg}; border: 1px solid {error}; border-radius: 6px;
}}
QFrame#banner[level="warning"] {{
    background: {warning_bg}; border: 1px solid {warning}; border-radius: 6px;
}}
QFrame#banner[level="info"] {{
    background: {info_bg}; border: 1px solid {highlight}; border-radius: 6px;
}}
QFrame#banner QPushButton {{ padding: 4px 12px; }}
""",
    "card": """
QFrame#card {{ background: {base}; border: 1px solid {border}; border-radius: 8px; }}
QFrame#card QLineEdit {{
    background: {alt_base}; color: {text}; border: 1px solid {border}; border-radius: 4px;
    padding: 3px 6px;
}}
""",
    "primary": """
QPushButton {{
    background: {highlight}; color: {highlight_text}; border: none;
    border-radius: 6px; padding: 8px 18px; font-weight: 600;
}}
QPushButton:hover {{ background: {highlight_hover}; }}
QPushButton:disabled {{ background: {border}; color: {disabled}; }}
""",
    "danger": "QPushButton {{ color: {error}; padding: 4px 12px; }}",
    "error": "QLabel {{ color: {error}; }}",
    "toolbar": "QToolBar {{ border: none; border-bottom: 1px solid {border}; spacing: 6px; "
    "padding: 4px; }}",
}
# The property-based rules the feature pages use (``setProperty("primary", True)``,
# ``setProperty("role", "heading")``…). Applied application-wide only after the
# first paint (ThemeManager.use_app_style_sheet), so the window's shell stays fast.
_APP_RULES = """
QLabel[role="heading"] {{ font-size: 20px; font-weight: 600; }}
QLabel[role="subheading"] {{ font-size: 14px; font-weight: 600; }}
QLabel[role="muted"] {{ color: {muted}; }}
QLabel[role="countdown"] {{ font-size: 15px; font-weight: 600; }}
QPushButton[primary="true"] {{
    background: {highlight}; color: {highlight_text}; border: none;
    border-radius: 6px; padding: 6px 16px; font-weight: 600;
}}
QPushButton[primary="true"]:hover {{ background: {highlight_hover}; }}
QPushButton[primary="true"]:disabled {{ background: {border}; color: {disabled}; }}
QPushButton[danger="true"] {{ color: {error}; }}
"""
_FONTS = {"heading": (20, True), "subheading": (14, True), "countdown": (15, True)}
_styled: weakref.WeakKeyDictionary[QWidget, str] = weakref.WeakKeyDictionary()
_current = {"scheme": "light"}


def _css(role: str, scheme: str) -> str:
    c = dict(SCHEMES[scheme])
    c["highlight_hover"] = QColor(c["highlight"]).lighter(112).name()
    return (_APP_RULES if role == "app" else _CSS[role]).format(**c)


def set_role(widget: QWidget, role: str) -> None:
    """Give ``widget`` one of the app's looks: heading, subheading, countdown, muted,
    error, navigation, banner, card, primary, danger or toolbar; it follows the scheme."""
    widget.setProperty("role", role)
    if role in _FONTS:
        pixels, bold = _FONTS[role]
        font = QFont(widget.font())
        font.setPixelSize(pixels)
        font.setBold(bold)
        widget.setFont(font)
    elif role == "muted":
        # PlaceholderText carries the muted colour in both palettes (see build_palette).
        widget.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    elif role in _CSS:
        _styled[widget] = role
        widget.setStyleSheet(_css(role, _current["scheme"]))
    else:
        raise ValueError(f"Unknown role {role!r}")


def system_scheme() -> str:
    """The system's colour scheme as "light" or "dark" (unknown counts as light)."""
    from PySide6.QtCore import Qt

    hints = QGuiApplication.styleHints()
    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


def platform_palette_scheme() -> str:
    """A first guess at the scheme from the platform's own palette, before ours is set.

    Desktops that report a dark scheme also hand Qt a dark palette, so this agrees
    with :func:`system_scheme` there, without touching ``Qt.ColorScheme`` (whose
    first use builds the whole ``Qt`` enum namespace, ~40 ms, before the first
    paint). ``ThemeManager.confirm_scheme()`` asks the exact question after the paint.
    """
    return "dark" if is_dark(QGuiApplication.palette()) else "light"


def is_dark(palette: QPalette) -> bool:
    """Whether ``palette`` is a dark one, judged by its Window colour.

    The Window colour, not Base, because it is what the whole scheme is named by: our two
    palettes agree on both (light: window #f6f7f9, base #ffffff; dark: #1e2229, #171a20),
    and a platform palette with a dark window around light fields is a dark theme, so
    :func:`platform_palette_scheme` (the first frame's guess) says "dark" for it too.
    Text drawn on Base reads as well: the accents (:func:`tone`, the inspector's token
    colours) keep at least 4.5:1 (WCAG AA) against the window, base and alternate base of
    each of our palettes (tests/unit/ui/common/test_style_and_browser.py measures it).
    """
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


ToneKind = Literal["error", "warning", "success"]
_TONES: dict[ToneKind, tuple[str, str]] = {  # (on a light palette, on a dark one)
    "error": ("#b3261e", "#f2b8b5"),
    "warning": ("#8a5a00", "#f5c26b"),
    "success": ("#1b6e3a", "#8fd6a4"),
}


def tone(palette: QPalette, kind: ToneKind) -> QColor:
    """A readable accent for ``kind`` ("error", "warning", "success") on this palette.

    Qt's palette has no warning/error roles, so the hue is fixed and the lightness
    follows the palette: darker tones on light backgrounds, lighter on dark ones.
    """
    light, dark = _TONES[kind]
    return QColor(dark if is_dark(palette) else light)


def monospace_font() -> QFont:
    """The system's fixed-width font (keys, tokens, snippets).

    With the Monospace style hint, so a system whose "fixed" font is missing still
    falls back to a monospace face rather than the UI font.
    """
    from PySide6.QtGui import QFontDatabase  # not for the first frame (see main_window.py)

    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


class ThemeManager(QObject):
    """Applies the palette matching the system scheme, now and whenever it changes."""

    scheme_changed = Signal(str)

    def __init__(
        self,
        app: QApplication,
        parent: QObject | None = None,
        *,
        set_style: bool = True,
        exact_scheme: bool = True,
    ) -> None:
        """``set_style=False`` when the app was started with ``-style Fusion`` already.

        ``exact_scheme=False`` starts from :func:`platform_palette_scheme` (cheap);
        the caller then calls :meth:`confirm_scheme` once the window is painted.
        """
        super().__init__(parent)
        self._app = app
        self._forced: str | None = None
        self._app_rules = False
        self._indicator_style: QStyle | None = None  # kept: Qt owns it, Python must not free it
        self.scheme = ""
        if set_style:
            app.setStyle("Fusion")
        app.styleHints().colorSchemeChanged.connect(self._system_changed)
        self.apply(system_scheme() if exact_scheme else platform_palette_scheme())

    def confirm_scheme(self) -> None:
        """Apply the system's exact colour scheme if the first guess was not it."""
        if self._forced is None and system_scheme() != self.scheme:
            self.apply(system_scheme())

    def use_app_style_sheet(self) -> None:
        """Turn on the feature pages' looks (after the first paint): the property-based rules,
        and check boxes and radio buttons that read in both schemes (``IndicatorStyle``)."""
        # Imported here: QStyle's Python types cost ~14 ms to set up, which the first frame
        # (the shell, no check boxes) does not need; see app.py's "-style Fusion".
        from twinedge_desktop.ui.common.indicator_style import IndicatorStyle

        if not isinstance(self._app.style(), IndicatorStyle):
            self._indicator_style = IndicatorStyle()
            self._app.setStyle(self._indicator_style)  # the application owns it from here
        self._app_rules = True
        self._app.setStyleSheet(_css("app", self.scheme))

    def force(self, scheme: str | None) -> None:
        """Use ``scheme`` regardless of the system (None: follow the system again)."""
        if scheme is not None and scheme not in SCHEMES:
            raise ValueError(f"Unknown colour scheme {scheme!r}")
        self._forced = scheme
        self.apply(scheme or system_scheme())

    def _system_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._forced is None:
            self.apply(system_scheme())

    def apply(self, scheme: str) -> None:
        self.scheme = scheme
        _current["scheme"] = scheme
        self._app.setPalette(build_palette(scheme))
        if self._app_rules:
            self._app.setStyleSheet(_css("app", scheme))
        for widget, role in list(_styled.items()):
            if shiboken6.isValid(widget):
                widget.setStyleSheet(_css(role, scheme))
            else:  # its C++ side is gone (deleted by its parent); forget it
                _styled.pop(widget, None)
        self.scheme_changed.emit(scheme)


@cache
def _svg_source(name: str) -> str:
    return (ICONS_DIR / f"{name}.svg").read_text(encoding="utf-8")


@cache
def _renderer(name: str, color: str) -> QSvgRenderer:
    data = _svg_source(name).replace("currentColor", color)
    return QSvgRenderer(QByteArray(data.encode("utf-8")))


class TintedSvgIconEngine(QIconEngine):
    """Draws a stroked SVG icon in the current palette's text (or highlighted) colour."""

    def __init__(self, name: str, role: QPalette.ColorRole | None = None) -> None:
        super().__init__()
        self._name = name
        self._role = role

    def _color(self, mode: QIcon.Mode) -> str:
        palette = QGuiApplication.palette()
        if mode == QIcon.Mode.Disabled:
            return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text).name()
        if mode == QIcon.Mode.Selected:
            return palette.color(QPalette.ColorRole.HighlightedText).name()
        return palette.color(self._role or QPalette.ColorRole.WindowText).name()

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        _renderer(self._name, self._color(mode)).render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        from PySide6.QtCore import Qt

        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(painter, QRect(0, 0, size.width(), size.height()), mode, state)
        painter.end()
        return pixmap

    def clone(self) -> QIconEngine:
        return TintedSvgIconEngine(self._name, self._role)

    def key(self) -> str:
        return "TintedSvgIconEngine"


def icon(name: str, role: QPalette.ColorRole | None = None) -> QIcon:
    """The icon ``resources/icons/<name>.svg``, drawn in the palette's colours."""
    if not (ICONS_DIR / f"{name}.svg").is_file():
        raise FileNotFoundError(f"No icon named {name!r} in {ICONS_DIR}")
    return QIcon(TintedSvgIconEngine(name, role))


def app_icon() -> QIcon | None:
    """The application icon (``resources/app``), or None if a broken install lost it."""
    path = RESOURCES_DIR / "app" / "twinedge-desktop.svg"
    return QIcon(str(path)) if path.is_file() else None
