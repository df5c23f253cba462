"""Rate limits: requests per principal (or per address) and sign-in attempts per account.

Who is counted (issue 15, finding 6):

- an API request with a credential that *verifies*: its principal, i.e. the API key,
  the access token's subject and client, or a client-credentials token's client;
- a token or revocation request: the OAuth client once it has authenticated;
- anything else (no credential, a bogus one, pages, discovery): the source address.

So twenty bogus bearers from one address share that address's budget, where they used
to get twenty budgets (the old key was the raw ``Authorization`` header).

Cost: :meth:`FixedWindowCounter.hit` is one dict lookup and one store. The old limiter
rebuilt its whole dict on every hit once it held 10,000 entries (20,000 callers in
one window took 13 s of event-loop time, 40,000 took 68 s); see
``benchmarks/sandbox_load.py --limiter`` for the numbers now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from twinedge_desktop.sandbox.problems import Problem

if TYPE_CHECKING:
    from twinedge_desktop.sandbox.callers import Caller

# Past this many distinct principals in one window, new ones share one counter: memory
# stays bounded (~10 MB) and a flood of fresh names is limited together, not let through.
MAX_TRACKED_KEYS = 100_000
OVERFLOW_KEY = "overflow:"
SCOPE_KEY = "twinedge.request"  # where the gateway keeps a request's RequestContext

# Password attempts per account: 5 per 15 minutes (a success forgets the count).
SIGNIN_ATTEMPT_LIMIT = 5
SIGNIN_ATTEMPT_WINDOW = 15 * 60


@dataclass(frozen=True, slots=True)
class Decision:
    """One counted hit: whether it is allowed, and the ``X-RateLimit-*`` values."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    window_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset_seconds).encode()),
        ]


class FixedWindowCounter:
    """Hits per key in fixed windows of ``window`` seconds on the sandbox clock.

    Only the current window's counts are kept: when the window index changes the dict
    is replaced, so expiring old entries costs O(1), and memory is bounded by the keys
    of one window, at most :data:`MAX_TRACKED_KEYS`. (A fixed window may let up to twice
    the limit through around a boundary; for a local sandbox that is the right trade for
    constant cost. The window also moves when tests shift the clock.)
    """

    def __init__(self, limit: int, window: int, *, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        self._window_index: int | None = None
        self._counts: dict[str, int] = {}

    def configure(self, limit: int, window: int) -> None:
        self.limit, self.window = limit, window
        self._window_index, self._counts = None, {}

    def _current(self, now: float) -> int:
        index = int(now // self.window)
        if index != self._window_index:
            self._window_index, self._counts = index, {}
        return index

    def _reset_seconds(self, index: int, now: float) -> int:
        return max(1, math.ceil((index + 1) * self.window - now))

    def hit(self, key: str, now: float) -> Decision:
        index = self._current(now)
        if key not in self._counts and len(self._counts) >= self._max_keys:
            key = OVERFLOW_KEY
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        return Decision(
            allowed=count <= self.limit,
            limit=self.limit,
            remaining=max(0, self.limit - count),
            reset_seconds=self._reset_seconds(index, now),
            window_seconds=self.window,
        )

    def count(self, key: str, now: float) -> int:
        """Hits of ``key`` in the current window (without counting one)."""
        self._current(now)
        if key in self._counts:
            return self._counts[key]
        # A key that arrived after the cap was counted in the shared overflow counter.
        return self._counts.get(OVERFLOW_KEY, 0) if self.full else 0

    def reset_seconds(self, now: float) -> int:
        return self._reset_seconds(self._current(now), now)

    def forget(self, key: str) -> None:
        self._counts.pop(key, None)

    @property
    def full(self) -> bool:
        return len(self._counts) >= self._max_keys

    def __len__(self) -> int:
        return len(self._counts)


@dataclass
class RequestContext:
    """What the gateway learnt about one request, for the handlers and the response."""

    address: str
    endpoint: str  # "GET /v1/assets": the route template, never the raw path
    caller: Caller | None = None
    auth_problem: Problem | None = None
    decision: Decision | None = None

    @property
    def address_principal(self) -> str:
        return f"addr:{self.address}"


def context_of(request: Request) -> RequestContext | None:
    context: Any = request.scope.get(SCOPE_KEY)
    return context if isinstance(context, RequestContext) else None


def rate_limited(decision: Decision) -> Problem:
    return Problem(
        429,
        "rate_limited",
        f"Too many requests: {decision.limit} per {decision.window_seconds} s. "
        f"Try again in {decision.reset_seconds} s.",
        headers={"Retry-After": str(decision.reset_seconds)},
    )


def charge(request: Request, principal: str | None) -> None:
    """Count this request against ``principal`` (its address when None); a 429 when over.

    Used by the token and revocation endpoints, whose client is known only after the
    form body is read and the client authenticated. Counts at most once per request.
    """
    context = context_of(request)
    if context is None or context.decision is not None:
        return
    state = request.app.state.sandbox
    limiter: FixedWindowCounter = state.rate
    decision = limiter.hit(principal or context.address_principal, state.clock.now())
    context.decision = decision
    if not decision.allowed:
        raise rate_limited(decision)
