"""What a switch of theme while the app runs must redraw (review 2, items 2 and 6).

The palettes are applied by the real ThemeManager, with the feature pages' application
style sheet on, as in the running app; colours are read from rendered pixels.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

from twinedge_desktop.ui.common.messages import MessageLevel
from twinedge_desktop.ui.common.style import SCHEMES, ThemeManager
from twinedge_desktop.ui.common.widgets import Banner


@pytest.fixture
def theme(qapp: QApplication) -> Iterator[ThemeManager]:
    manager = ThemeManager(qapp)
    manager.use_app_style_sheet()
    yield manager
    manager._app_rules = False
    qapp.setStyleSheet("")
    manager.force(None)


def opaque_colours(image: QImage) -> set[int]:
    return {
        image.pixelColor(x, y).rgb()
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() == 255
    }


@pytest.mark.parametrize("level", [MessageLevel.ERROR, MessageLevel.WARNING])
def test_the_banner_icon_follows_a_theme_switched_while_running(
    qtbot: object, theme: ThemeManager, level: MessageLevel
) -> None:
    theme.force("light")
    banner = Banner(level)
    qtbot.addWidget(banner)  # type: ignore[attr-defined]
    light_text, dark_text = (QColor(SCHEMES[s]["text"]).rgb() for s in ("light", "dark"))
    icon = banner._icon.pixmap().toImage()
    assert light_text in opaque_colours(icon)

    theme.force("dark")  # View ▸ Theme ▸ Dark, with the banner already built
    colours = opaque_colours(banner._icon.pixmap().toImage())
    assert dark_text in colours, "the icon kept the light theme's (dark) colour"
    assert light_text not in colours

    theme.force("light")
    assert light_text in opaque_colours(banner._icon.pixmap().toImage())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2.1 contrast ratio of two colours (1 to 21)."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
        )

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


NON_TEXT_CONTRAST = 3.0  # WCAG 2.1 §1.4.11: a control's edge and state against what is beside it


def rendered_indicator(
    qtbot: object, kind: type[QCheckBox] | type[QRadioButton], checked: bool
) -> tuple[QImage, QRect, QColor]:
    """The button drawn on a window-coloured panel: (image, indicator rect, background)."""
    panel = QWidget()
    panel.setAutoFillBackground(True)
    qtbot.addWidget(panel)  # type: ignore[attr-defined]
    button = kind("Web application", panel)
    button.setChecked(checked)
    button.adjustSize()
    panel.resize(button.width() + 8, button.height() + 8)
    button.move(4, 4)
    option = QStyleOptionButton()
    option.initFrom(button)
    element = (
        QStyle.SubElement.SE_CheckBoxIndicator
        if kind is QCheckBox
        else QStyle.SubElement.SE_RadioButtonIndicator
    )
    indicator = button.style().subElementRect(element, option, button).translated(4, 4)
    image = panel.grab().toImage()
    return image, indicator, panel.palette().color(QPalette.ColorRole.Window)


def best_contrast(image: QImage, points: list[tuple[int, int]], against: QColor) -> float:
    return max(contrast(image.pixelColor(x, y), against) for x, y in points)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", [QCheckBox, QRadioButton])
def test_unchecked_boxes_and_radios_have_a_visible_edge(
    qtbot: object, theme: ThemeManager, scheme: str, kind: type[QCheckBox] | type[QRadioButton]
) -> None:
    theme.force(scheme)
    image, rect, window = rendered_indicator(qtbot, kind, checked=False)
    middle_row = [(x, rect.center().y()) for x in range(rect.left() - 1, rect.center().x())]
    middle_column = [(rect.center().x(), y) for y in range(rect.top() - 1, rect.center().y())]
    for line in (middle_row, middle_column):  # the left edge, the top edge
        edge = best_contrast(image, line, window)
        assert edge >= NON_TEXT_CONTRAST, f"{kind.__name__} edge {edge:.2f}:1 ({scheme})"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", [QCheckBox, QRadioButton])
def test_the_checked_state_stands_out_from_the_unchecked(
    qtbot: object, theme: ThemeManager, scheme: str, kind: type[QCheckBox] | type[QRadioButton]
) -> None:
    theme.force(scheme)
    unchecked, rect, window = rendered_indicator(qtbot, kind, checked=False)
    checked, _rect, _window = rendered_indicator(qtbot, kind, checked=True)
    centre = rect.center()
    # The middle of a chosen radio (its dot) or of a ticked box (the box or its tick)
    # against the same place unchecked, and against the window around it.
    area = [(centre.x() + dx, centre.y() + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    empty = unchecked.pixelColor(centre)
    change = max(contrast(checked.pixelColor(x, y), empty) for x, y in area)
    assert change >= NON_TEXT_CONTRAST, f"checked {kind.__name__} {change:.2f}:1 ({scheme})"
    assert best_contrast(checked, area, window) >= NON_TEXT_CONTRAST
