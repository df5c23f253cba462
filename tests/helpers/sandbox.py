"""Pytest fixtures that run the real TwinEdge sandbox on a free loopback port.

``sandbox`` is a fresh in-memory sandbox with test controls, per test, stopped
afterwards. ``sandbox_controls`` drives its ``/_sandbox/`` endpoints (faults,
clock shift, key rotation, rate limit, bulk keys, key usage history) over real HTTP.

Loaded as a pytest plugin by ``tests/conftest.py``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from twinedge_desktop.sandbox.embedded import RunningSandbox

_CONTROL_TIMEOUT = 10.0


class SandboxControls:
    """Calls the sandbox's test-control endpoints; every call raises on a non-2xx answer."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.base_url}{path}", json=body, timeout=_CONTROL_TIMEOUT)
        response.raise_for_status()
        result: dict[str, Any] = response.json() if response.content else {}
        return result

    def fault(
        self,
        path: str,
        method: str | None = None,
        count: int = 1,
        status: int | None = None,
        delay: float = 0.0,
        drop: str | None = None,
    ) -> None:
        """Make the next ``count`` requests to ``path`` (exact, or an fnmatch glob such as
        ``/v1/api-keys/*``) fail: answer ``status``, wait ``delay`` seconds first, or drop the
        connection ``"before"`` processing or ``"after"`` processing (a lost response)."""
        self._post(
            "/_sandbox/faults",
            {
                "path": path,
                "method": method,
                "count": count,
                "status": status,
                "delay": delay,
                "drop": drop,
            },
        )

    def clear_faults(self) -> None:
        response = httpx.delete(f"{self.base_url}/_sandbox/faults", timeout=_CONTROL_TIMEOUT)
        response.raise_for_status()

    def shift_clock(self, seconds: float) -> None:
        """Set the sandbox clock's offset from real time (not cumulative)."""
        self._post("/_sandbox/clock", {"shift_seconds": seconds})

    def rotate_key(self) -> str:
        """Rotate the signing key; returns the new ``kid`` (the old key stays in the JWKS)."""
        return str(self._post("/_sandbox/rotate-key", {})["kid"])

    def rate_limit(self, limit: int, window_seconds: int = 60) -> None:
        self._post("/_sandbox/rate-limit", {"limit": limit, "window_seconds": window_seconds})

    def seed_keys(self, count: int, email: str = "engineer@example.com") -> int:
        """Bulk-create ``count`` API keys owned by ``email``; returns how many were made."""
        return int(self._post("/_sandbox/seed-keys", {"count": count, "email": email})["created"])

    def seed_usage(self, key_id: str, **history: Any) -> dict[str, Any]:
        """Give a key daily traffic: ``days``, ``end_days_ago``, ``requests_per_day``,
        ``error_rate``, ``spike_days_ago``, ``spike_factor``, ``endpoints``, ``seed``
        (see ``POST /_sandbox/seed-usage``). Returns ``{"key_id", "days", "requests",
        "errors"}``."""
        return self._post("/_sandbox/seed-usage", {"key_id": key_id, **history})


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    """A fresh in-memory sandbox with test controls on a free loopback port."""
    from twinedge_desktop.sandbox.embedded import start_in_thread

    # Collect garbage on this (the main) thread first: otherwise a previous test's Qt
    # objects may be collected on the sandbox's thread, where Qt warns about timers
    # stopped from another thread and the warning fails the test.
    gc.collect()
    running = start_in_thread(test_controls=True)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def sandbox_controls(sandbox: RunningSandbox) -> SandboxControls:
    """The test controls of the ``sandbox`` fixture's server."""
    return SandboxControls(sandbox.base_url)
