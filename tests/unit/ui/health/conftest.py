"""The Health page runs work in worker threads (``asyncio.to_thread``): collect the Qt
objects earlier tests left in reference cycles here, on the GUI thread, before and after
each test. Otherwise the garbage collector may run in a worker and destroy them there,
and Qt warns "Timers cannot be stopped from another thread", which fails the test. (The
app itself collects cycles on the GUI thread only: ui/common/collector.py.)"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    gc.collect()
    yield
    gc.collect()
