"""The usage chart draws what the report says: bars where the requests are, errors at their
foot, in the palette's colours in both schemes; and says it in words for screen readers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QHelpEvent, QImage, QPalette
from PySide6.QtWidgets import QApplication, QToolTip

from tests.helpers.keys import usage_report
from twinedge_desktop.ui.common.style import build_palette, tone
from twinedge_desktop.ui.common.usage_chart import UsageChart, day_text, nice_ceiling, usage_summary

# Tooltips raise their window; the offscreen platform says it cannot (and need not).
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")

# 30 days: ~300 a day, a spike of 2,700 on day 26, a day of 250 with 100 failures on day 10,
# two days without traffic.
REQUESTS = [300] * 30
REQUESTS[26] = 2700
REQUESTS[10] = 250
REQUESTS[3] = REQUESTS[4] = 0
ERRORS = [0] * 30
ERRORS[10] = 100


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> Iterator[str]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    previous = app.palette()
    app.setPalette(build_palette(request.param))
    yield request.param
    app.setPalette(previous)


@pytest.fixture
def chart(qtbot: Any, scheme: str) -> UsageChart:
    widget = UsageChart()
    widget.setAutoFillBackground(True)
    widget.set_usage(usage_report("key_1", REQUESTS, ERRORS))
    widget.resize(600, 220)
    qtbot.addWidget(widget)
    return widget


def render(chart: UsageChart) -> QImage:
    return chart.grab().toImage()


def near(actual: QColor, expected: QColor, slack: int = 12) -> bool:
    return all(
        abs(a - b) <= slack for a, b in zip(actual.getRgb()[:3], expected.getRgb()[:3], strict=True)
    )


def test_the_spike_day_is_drawn_tall_in_the_request_colour(chart: UsageChart, scheme: str) -> None:
    image = render(chart)
    background = chart.palette().color(QPalette.ColorRole.Window)
    requests = chart.request_color()
    assert chart.axis_top == 3000  # a round top just above the busiest day
    spike = chart.bar_rect(26)
    normal = chart.bar_rect(25)
    assert spike.height() > 8 * normal.height()
    # Inside the spike's bar, well above where the other bars end: the request colour.
    # (a third of the way down from its top: clear of the grid lines at half and full height)
    high = QPoint(int(spike.center().x()), int(spike.top() + (normal.top() - spike.top()) * 0.3))
    assert near(image.pixelColor(high), requests), (scheme, image.pixelColor(high).name())
    # The same height over an ordinary day: nothing drawn there.
    beside = QPoint(int(normal.center().x()), high.y())
    assert near(image.pixelColor(beside), background), image.pixelColor(beside).name()
    # An ordinary day is drawn too, up to its own height only.
    inside = QPoint(int(normal.center().x()), int(normal.bottom() - 2))
    assert near(image.pixelColor(inside), requests)


def test_errors_are_the_foot_of_their_day_in_the_error_tone(chart: UsageChart, scheme: str) -> None:
    image = render(chart)
    failing = chart.bar_rect(10)
    errors = chart.bar_rect(10, 100)
    assert errors.height() == pytest.approx(failing.height() * 100 / 250)
    foot = QPoint(int(errors.center().x()), int(errors.bottom() - 1))
    top = QPoint(int(failing.center().x()), int(failing.top() + 1))
    assert near(image.pixelColor(foot), tone(chart.palette(), "error"))
    assert near(image.pixelColor(top), chart.request_color())
    # A day without traffic has no bar at all.
    empty = chart.bar_slot(3)
    above_axis = QPoint(int(empty.center().x()), int(empty.bottom() - 3))
    background = chart.palette().color(QPalette.ColorRole.Window)
    assert near(image.pixelColor(above_axis), background)


def test_colours_follow_the_scheme(qtbot: Any) -> None:
    colours = {}
    for scheme in ("light", "dark"):
        widget = UsageChart()
        widget.setPalette(build_palette(scheme))
        qtbot.addWidget(widget)
        colours[scheme] = (widget.request_color().name(), widget.error_color().name())
    assert colours["light"] != colours["dark"]
    assert colours["light"][0] == build_palette("light").color(QPalette.ColorRole.Highlight).name()


def test_it_says_the_same_in_words(chart: UsageChart) -> None:
    description = chart.accessibleDescription()
    total = sum(REQUESTS)
    assert description == usage_summary(usage_report("key_1", REQUESTS, ERRORS))
    assert description.startswith(f"{total:,} requests in the 30 days to 2026-11-27, 100 failed")
    assert "busiest 2026-11-24 with 2,700" in description
    assert description.endswith("used on 28 of 30 days.")
    assert chart.accessibleName() == "Requests and errors per day"


def test_hovering_a_day_shows_its_numbers(chart: UsageChart, qtbot: Any) -> None:
    chart.show()
    qtbot.waitExposed(chart)
    spot = chart.bar_slot(10).center().toPoint()
    assert chart.day_at(spot) == 10
    help_event = QHelpEvent(QEvent.Type.ToolTip, spot, chart.mapToGlobal(spot))
    QApplication.sendEvent(chart, help_event)
    assert QToolTip.text() == "Sun 2026-11-08: 250 requests, 100 failed (40 %)"
    assert QToolTip.text() == day_text(chart.days[10])
    QToolTip.hideText()
    assert chart.day_at(QPoint(2, 2)) == -1  # the legend is no day


def test_the_keyboard_moves_through_the_days(chart: UsageChart, qtbot: Any) -> None:
    chart.show()
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_End)
    assert chart.current_day == 29
    assert chart.accessibleName().endswith(day_text(chart.days[29]))
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    assert chart.current_day == 26
    assert "2,700 requests" in chart.accessibleName()
    qtbot.keyClick(chart, Qt.Key.Key_Home)
    assert chart.current_day == 0
    QToolTip.hideText()


def test_placeholder_and_no_traffic(qtbot: Any) -> None:
    chart = UsageChart()
    qtbot.addWidget(chart)
    chart.set_placeholder("Loading usage…")
    assert chart.accessibleDescription() == "Loading usage…"
    chart.set_placeholder("")
    chart.set_usage(usage_report("key_1", [0] * 30))
    assert chart.accessibleDescription() == "No requests in the 30 days to 2026-11-27."
    assert chart.axis_top == 1
    chart.resize(400, 160)
    render(chart)  # draws without a bar and without failing


@pytest.mark.parametrize(
    ("busiest", "top"),
    [(0, 1), (1, 1), (3, 3), (7, 8), (11, 15), (420, 500), (2700, 3000), (10_001, 15_000)],
)
def test_the_axis_ends_at_a_round_number(busiest: int, top: int) -> None:
    assert nice_ceiling(busiest) == top
