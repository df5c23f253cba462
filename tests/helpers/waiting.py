"""Bounded waits for async Qt tests on the qasync loop (no ``time.sleep`` polling).

``qtbot.waitSignal`` and ``qtbot.waitUntil`` spin a nested Qt loop, which cannot
run asyncio tasks while the test's own coroutine is executing; these helpers
await instead, so the loop runs everything.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

DEFAULT_TIMEOUT = 5.0


def expect(signal: Any, timeout: float = DEFAULT_TIMEOUT) -> Awaitable[tuple[Any, ...]]:
    """Connect to ``signal`` now; await the result for its next emission's arguments."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def fire(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    signal.connect(fire)

    async def wait() -> tuple[Any, ...]:
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(fire)

    return wait()


async def until(predicate: Callable[[], bool], timeout: float = DEFAULT_TIMEOUT) -> None:
    """Await a condition that follows from work already scheduled on the loop (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached in time")
        await asyncio.sleep(0.005)


async def wait_signal(signal: Any, timeout: float = DEFAULT_TIMEOUT) -> tuple[Any, ...]:
    """Await the next emission of ``signal`` (connected now), bounded."""
    return await expect(signal, timeout)


async def settle(task: asyncio.Task[Any] | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Let pending work run: wait for ``task`` (its outcome is the runner's business), then a
    few loop turns so its done-callbacks run."""
    if task is not None:
        done, _pending = await asyncio.wait({task}, timeout=timeout)
        if not done:
            raise TimeoutError("the task did not finish in time")
    for _ in range(5):
        await asyncio.sleep(0)
