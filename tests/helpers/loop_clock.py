"""Move a running asyncio loop's clock forward, to test production deadlines of tens of
seconds without waiting for them.

Every deadline in the app (``asyncio.timeout``, ``asyncio.wait_for``, httpx's timeouts
through anyio, the lock's bounded wait) is measured on ``loop.time()``. :class:`LoopClock`
replaces that method on the running loop with the real monotonic clock plus an offset,
and :meth:`LoopClock.advance` grows the offset: every timer that the jump makes due fires
at the loop's next iteration, exactly as if that much time had passed. Sockets, threads
and other processes keep real time; only the loop's notion of "now" jumps.

Jump in steps smaller than any per-read timeout that should not fire (httpx's 30 s read
timeout, say) when a peer keeps sending in real time.
"""

from __future__ import annotations

import asyncio


class LoopClock:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._real = loop.time
        self.offset = 0.0

    def now(self) -> float:
        return self._real() + self.offset

    async def advance(self, seconds: float) -> None:
        """Jump ``seconds`` ahead, then let the loop run the timers that became due."""
        self.offset += seconds
        for _ in range(3):  # the timer's callback, then the tasks it wakes
            await asyncio.sleep(0)


def loop_clock() -> LoopClock:
    """The running loop's clock, made movable for the rest of the loop's life.

    Not put back afterwards: timers set while it was moved are due in its future, and a
    restored clock would make them late by the whole jump. Each test has its own loop
    (``asyncio_default_test_loop_scope = "function"``), so nothing else sees it.
    """
    loop = asyncio.get_running_loop()
    clock = LoopClock(loop)
    loop.time = clock.now  # type: ignore[method-assign]
    return clock
