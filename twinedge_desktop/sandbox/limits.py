"""Rate limits: requests per principal (or per address) and sign-in attempts per account.

Who is counted (issue 15, finding 6):

- an API request with a credential that *verifies*: its principal, i.e. the API key,
  the access token's subject and client, or a client-credentials token's client;
- a token or revocation request: the OAuth client once it has authenticated;
- anything else (no credential, a bogus one, pages, discovery): the source address.

So twenty bogus bearers from one address share that address's budget, where they used
to get twenty budgets (the old key was the raw ``Authorization`` header).

Cost: :meth:`TokenBuckets.hit` is a dict lookup or two and one store. The old limiter
rebuilt its whole dict on every hit once it held 10,000 entries (20,000 callers in
one window took 13 s of event-loop time, 40,000 took 68 s); see
``benchmarks/sandbox_load.py --limiter`` for the numbers now.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from twinedge_desktop.sandbox.problems import Problem

if TYPE_CHECKING:
    from twinedge_desktop.sandbox.callers import Caller

# Past this many distinct principals in one generation, new ones share one bucket: memory
# stays bounded (two full generations of 40-character keys measured 40 MB with
# tracemalloc) and a flood of fresh names is limited together, not let through.
MAX_TRACKED_KEYS = 100_000
OVERFLOW_KEY = "overflow:"
SCOPE_KEY = "twinedge.request"  # where the gateway keeps a request's RequestContext

# Wrong passwords per account: 5 in a row, then one every 3 minutes (5 per 15 minutes);
# a successful sign-in forgets them.
SIGNIN_ATTEMPT_LIMIT = 5
SIGNIN_ATTEMPT_WINDOW = 15 * 60


@dataclass(frozen=True, slots=True)
class Decision:
    """One counted hit: whether it is allowed, and the ``X-RateLimit-*`` values."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the budget is whole again (X-RateLimit-Reset)
    retry_after: int  # until one more request passes (Retry-After of a 429)
    window_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset_seconds).encode()),
        ]


class TokenBuckets:
    """``limit`` requests per ``window`` seconds per key, as token buckets on the sandbox
    clock: each key may burst up to ``limit`` and earns ``limit / window`` tokens a second.

    Why buckets rather than fixed windows: no boundary where twice the limit gets through,
    and a refused caller is told exactly when one more request will pass.

    A hit is O(1): one or two dict look-ups and one store. Expiry is O(1) too: buckets
    live in two generations, each at least ``window`` long; when a generation ends the
    older one is dropped whole. A bucket untouched for a window has refilled, so it is
    the same as no bucket. At most :data:`MAX_TRACKED_KEYS` keys per generation; past that,
    new keys share one overflow bucket.
    """

    def __init__(self, limit: int, window: int, *, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self._max_keys = max_keys
        self.configure(limit, window)

    def configure(self, limit: int, window: int) -> None:
        self.limit, self.window = limit, window
        self._per_second = limit / window
        self._current: dict[str, tuple[float, float]] = {}  # key: (tokens, updated)
        self._previous: dict[str, tuple[float, float]] = {}
        self._generation_started: float | None = None

    def _rotate(self, now: float) -> None:
        started = self._generation_started
        if started is None or now < started:  # first use, or a test moved the clock back:
            self._previous, self._current = {}, {}  # buckets from "the future" start over
            self._generation_started = now
        elif now - started >= 2 * self.window:
            self._previous, self._current = {}, {}
            self._generation_started = now
        elif now - started >= self.window:
            self._previous, self._current = self._current, {}
            self._generation_started = now

    def _tokens(self, key: str, now: float) -> float:
        state = self._current.get(key) or self._previous.get(key)
        if state is None:
            return float(self.limit)
        tokens, updated = state
        return min(float(self.limit), tokens + max(0.0, now - updated) * self._per_second)

    def _decision(self, allowed: bool, tokens: float) -> Decision:
        missing_one = max(0.0, 1.0 - tokens)
        return Decision(
            allowed=allowed,
            limit=self.limit,
            remaining=max(0, math.floor(tokens)),
            reset_seconds=max(1, math.ceil((self.limit - tokens) / self._per_second)),
            retry_after=max(1, math.ceil(missing_one / self._per_second)),
            window_seconds=self.window,
        )

    def hit(self, key: str, now: float) -> Decision:
        self._rotate(now)
        if (
            key not in self._current
            and key not in self._previous
            and len(self._current) >= self._max_keys
        ):
            key = OVERFLOW_KEY
        tokens = self._tokens(key, now)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._previous.pop(key, None)
        self._current[key] = (tokens, now)
        return self._decision(allowed, tokens)

    def remaining(self, key: str, now: float) -> float:
        """The tokens ``key`` has now (``limit`` for a key never seen)."""
        self._rotate(now)
        return self._tokens(key, now)

    def forget(self, key: str) -> None:
        self._current.pop(key, None)
        self._previous.pop(key, None)

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)


class SignInAttempts:
    """Wrong passwords per account: :data:`SIGNIN_ATTEMPT_LIMIT` in a row, then one more
    every ``window / limit`` seconds; a correct password forgets the account's mistakes.

    Keyed by the address typed, whether or not an account has it, so the answers never
    tell which addresses exist. Only wrong passwords count, so people signing in from
    several places at once are never paused; and the checks of one account run one at a
    time (:meth:`turn`), so guesses sent in parallel cannot all pass the check before the
    first wrong one is counted.
    """

    def __init__(self, limit: int, window: int) -> None:
        self.buckets = TokenBuckets(limit, window)
        self._turns: dict[str, tuple[asyncio.Lock, int]] = {}  # account: (lock, users)

    @property
    def limit(self) -> int:
        return self.buckets.limit

    @property
    def seconds_per_attempt(self) -> float:
        return self.buckets.window / self.buckets.limit

    @contextlib.asynccontextmanager
    async def turn(self, account: str) -> AsyncIterator[None]:
        """Hold the account's turn: one password check at a time per account. The lock
        lives only while someone holds or waits for it, so memory follows concurrency."""
        lock, users = self._turns.get(account, (asyncio.Lock(), 0))
        self._turns[account] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._turns[account]
            if users <= 1:
                del self._turns[account]
            else:
                self._turns[account] = (lock, users - 1)

    def paused_for(self, account: str, now: float) -> int | None:
        """Seconds until ``account`` may try again, or None when it may now."""
        tokens = self.buckets.remaining(account, now)
        if tokens >= 1.0:
            return None
        return max(1, math.ceil((1.0 - tokens) * self.seconds_per_attempt))

    def failed(self, account: str, now: float) -> None:
        self.buckets.hit(account, now)

    def succeeded(self, account: str) -> None:
        self.buckets.forget(account)


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
        f"Try again in {decision.retry_after} s.",
        headers={"Retry-After": str(decision.retry_after)},
    )


def charge(request: Request, principal: str | None) -> None:
    """Count this request against ``principal`` (its address when None); a 429 when over.

    Used for the token and revocation endpoints (controls.charged_to_client), whose
    client is known only once the form is read. Counts at most once per request.
    """
    context = context_of(request)
    if context is None or context.decision is not None:
        return
    state = request.app.state.sandbox
    limiter: TokenBuckets = state.rate
    decision = limiter.hit(principal or context.address_principal, state.clock.now())
    context.decision = decision
    if not decision.allowed:
        raise rate_limited(decision)
