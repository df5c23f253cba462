"""Cyclic garbage is collected on the Qt thread, never in the thread that allocated it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from twinedge_desktop.ui.common.collector import MainThreadCollector


class Cycle:
    """A reference cycle that records the thread its finalizer ran in."""

    finalized_in: ClassVar[list[int]] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.finalized_in.append(threading.get_ident())


@pytest.fixture
def collector(qtbot: Any) -> Iterator[MainThreadCollector]:
    gc.collect()
    Cycle.finalized_in = []
    guard = MainThreadCollector(interval_ms=10)
    guard.start()
    try:
        yield guard
    finally:
        guard.stop()
        gc.collect()


def test_automatic_collection_is_off_while_it_runs_and_back_after(qtbot: Any) -> None:
    assert gc.isenabled()
    guard = MainThreadCollector()
    guard.start()
    try:
        assert not gc.isenabled()
        assert guard.active
    finally:
        guard.stop()
    assert gc.isenabled()
    assert not guard.active


def test_cycles_made_in_a_worker_thread_are_freed_on_the_qt_thread(
    qtbot: Any, collector: MainThreadCollector
) -> None:
    young_limit = gc.get_threshold()[0]

    def allocate() -> None:
        # Well past the threshold at which Python would collect, in this thread.
        for _ in range(young_limit * 5):
            Cycle()

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    assert Cycle.finalized_in == []  # nothing was collected in the worker

    qtbot.waitUntil(lambda: len(Cycle.finalized_in) == young_limit * 5, timeout=5000)
    assert set(Cycle.finalized_in) == {threading.get_ident()}


def test_nothing_is_collected_before_the_threshold(
    qtbot: Any, collector: MainThreadCollector
) -> None:
    for _ in range(10):
        Cycle()
    assert collector.collect_if_due() == 0
    assert Cycle.finalized_in == []
