"""What a switch of theme while the app runs must redraw (review 2, items 2 and 6).

The palettes are applied by the real ThemeManager, with the feature pages' application
style sheet on, as in the running app; colours are read from rendered pixels.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

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
