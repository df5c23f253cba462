"""Python's cyclic garbage collector, run on the Qt thread only.

Left automatic, the collector runs in whichever thread happens to allocate when a
threshold is crossed: the embedded sandbox's server thread, a keychain call in
``asyncio.to_thread``, the start-up imports in a worker. A cycle it frees there may hold
a Qt object (a dialog and the lambda connected to its signal, say), whose C++ side is
then destroyed outside the GUI thread: Qt forbids that, and it can crash. So the app
turns automatic collection off and collects from a timer on the event loop instead, with
the same thresholds and generations Python itself would use. (Reference counting, which
frees almost everything, is untouched: only cycles wait for the timer.)

The pattern is the one pyqtgraph (``pyqtgraph.util.garbage_collector``) and calibre
use; it is a dozen lines, so it is written here rather than imported.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

# Often enough that little garbage piles up between ticks (a young generation of a few
# thousand objects takes well under a millisecond to scan), rarely enough to cost nothing.
COLLECT_INTERVAL_MS = 100


class MainThreadCollector(QObject):
    """Collects cyclic garbage from the thread that owns it (the GUI thread)."""

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = COLLECT_INTERVAL_MS):
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_if_due)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Back to automatic collection (as before :meth:`start`)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def collect_if_due(self) -> int:
        """Collect the oldest generation whose threshold is crossed; how many were freed."""
        young, middle, old = gc.get_count()
        young_limit, middle_limit, old_limit = self._thresholds
        if young <= young_limit:
            return 0
        generation = 0
        if middle > middle_limit:
            generation = 2 if old > old_limit else 1
        return gc.collect(generation)
