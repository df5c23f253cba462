"""The Health page's tests collect Qt garbage on the GUI thread (see tests/helpers/health.py)."""

from tests.helpers.health import collect_qt_garbage_on_the_main_thread

__all__ = ["collect_qt_garbage_on_the_main_thread"]
