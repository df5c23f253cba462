"""A small in-memory ApiKeysService and key factories for the UI's tests.

It follows the contract in docs/contracts.md (pages newest first, Idempotency-Key
replays, revoke of an unknown id is done) closely enough for the UI; the
integration tests under tests/integration/ui run the real service against the
real sandbox. The keys pages' tests use it with keys, the window's tests empty.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers.session_fakes import user_info
from twinedge_desktop.api.errors import NotFound, ValidationFailed
from twinedge_desktop.api.models import ApiKey, CreatedApiKey, DayUsage, KeyUsage, Me
from twinedge_desktop.auth.session import SessionInfo
from twinedge_desktop.keyformat import display_prefix, generate_key

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
# When the fake server records a key's use by "Test key".
SERVER_USE_TIME = NOW - timedelta(seconds=30)
_ids = itertools.count(1)


def fixed_clock() -> datetime:
    return NOW


class TickingClock:
    """A clock that moves one second each time it is read: computed instants never repeat."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def make_key(
    name: str = "build server",
    *,
    scopes: Sequence[str] = ("read:assets",),
    created_days_ago: float = 10,
    expires_in_days: float | None = 80,
    last_used_days_ago: float | None = None,
    revoked: bool = False,
    key_id: str | None = None,
    prefix: str | None = None,
) -> ApiKey:
    created = NOW - timedelta(days=created_days_ago)
    number = next(_ids)
    return ApiKey(
        id=key_id or f"key_{number:05d}",
        name=name,
        # Digits only: a filter made of letters can match names and scopes, never a prefix.
        prefix=prefix or f"te_{number:09d}",
        scopes=tuple(scopes),
        created_at=created,
        expires_at=None if expires_in_days is None else NOW + timedelta(days=expires_in_days),
        last_used_at=None
        if last_used_days_ago is None
        else NOW - timedelta(days=last_used_days_ago),
        revoked_at=NOW - timedelta(days=1) if revoked else None,
        created_by="engineer@example.com",
    )


@dataclass
class CreateCall:
    name: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    idempotency_key: str


@dataclass
class FakeKeysService:
    """In-memory keys; ``fail`` maps an operation name to the exception its next call raises."""

    keys: list[ApiKey] = field(default_factory=list)
    fail: dict[str, BaseException] = field(default_factory=dict)
    create_calls: list[CreateCall] = field(default_factory=list)
    revoke_calls: list[str] = field(default_factory=list)
    tested_secrets: list[str] = field(default_factory=list)
    page_gate: asyncio.Event | None = None  # when set, list_pages waits on it after page 1
    find_gate: asyncio.Event | None = None  # when set, find waits on it
    # Usage reports by key id (a key without one reports days of zeros); every call's key id.
    usage_reports: dict[str, KeyUsage] = field(default_factory=dict)
    usage_calls: list[str] = field(default_factory=list)
    usage_gate: asyncio.Event | None = None  # when set, usage waits on it
    api_base: str = "https://api.example.test/v1"
    _replays: dict[str, CreatedApiKey] = field(default_factory=dict)

    def _maybe_fail(self, operation: str) -> None:
        exc = self.fail.pop(operation, None)
        if exc is not None:
            raise exc

    async def list_pages(self, *, page_size: int = 200) -> AsyncIterator[list[ApiKey]]:
        await asyncio.sleep(0)
        self._maybe_fail("list")
        ordered = sorted(self.keys, key=lambda k: k.created_at, reverse=True)
        for start in range(0, max(len(ordered), 1), page_size):
            if start and self.page_gate is not None:
                await self.page_gate.wait()
            yield ordered[start : start + page_size]
            await asyncio.sleep(0)

    async def list_all(self) -> list[ApiKey]:
        return [k for page in [p async for p in self.list_pages()] for k in page]

    async def find(self, key_id: str) -> ApiKey | None:
        await asyncio.sleep(0)
        if self.find_gate is not None:
            await self.find_gate.wait()
        self._maybe_fail("find")
        return next((k for k in self.keys if k.id == key_id), None)

    async def create(
        self,
        name: str,
        scopes: Sequence[str],
        expires_at: datetime | None,
        *,
        idempotency_key: str,
    ) -> CreatedApiKey:
        await asyncio.sleep(0)
        self.create_calls.append(CreateCall(name, tuple(scopes), expires_at, idempotency_key))
        if idempotency_key in self._replays:
            first = self._replays[idempotency_key]
            if (first.key.name, first.key.scopes, first.key.expires_at) != (
                name,
                tuple(scopes),
                expires_at,
            ):
                # As the real server: a replay must carry the identical body.
                raise ValidationFailed(
                    "this Idempotency-Key was already used with a different request body",
                    status=422,
                    field="Idempotency-Key",
                )
            return first
        self._maybe_fail("create")
        secret = generate_key()
        key = ApiKey(
            id=f"key_{next(_ids):05d}",
            name=name,
            prefix=display_prefix(secret),
            scopes=tuple(scopes),
            created_at=NOW,
            expires_at=expires_at,
            last_used_at=None,
            revoked_at=None,
            created_by="engineer@example.com",
        )
        self.keys.append(key)
        created = CreatedApiKey(key=key, secret=secret)
        self._replays[idempotency_key] = created
        self._maybe_fail("create_after")  # the server did it, the answer got lost
        return created

    async def usage(self, key_id: str, days: int = 30) -> KeyUsage:
        await asyncio.sleep(0)
        self.usage_calls.append(key_id)
        if self.usage_gate is not None:
            await self.usage_gate.wait()
        self._maybe_fail("usage")
        if not any(k.id == key_id for k in self.keys):
            raise NotFound("That API key does not exist.", status=404)
        report = self.usage_reports.get(key_id)
        if report is None:
            report = usage_report(key_id, [0] * days)
        return report

    async def revoke(self, key_id: str) -> None:
        await asyncio.sleep(0)
        self.revoke_calls.append(key_id)
        self._maybe_fail("revoke")
        self.keys = [replace(k, revoked_at=NOW) if k.id == key_id else k for k in self.keys]

    async def me(self) -> Me:
        return Me("user-1", "org-456", "engineer@example.com", "Engineer", ("read:assets",), "user")

    async def test_key(self, secret: str) -> Me:
        await asyncio.sleep(0)
        self.tested_secrets.append(secret)
        self._maybe_fail("test")
        # As the server: a request with the key is its last use (by the server's clock,
        # a little behind the tests' fixed one, so a test can tell the two apart).
        self.keys = [
            replace(k, last_used_at=SERVER_USE_TIME) if secret.startswith(k.prefix) else k
            for k in self.keys
        ]
        return Me("key", "org-456", None, None, ("read:assets",), "api_key")


def usage_report(
    key_id: str,
    requests: Sequence[int],
    errors: Sequence[int] | None = None,
    endpoints: dict[str, int] | None = None,
    *,
    last_used_days_ago: float | None = None,
    address: str | None = "192.0.2.10",
) -> KeyUsage:
    """A report of ``len(requests)`` days ending on :data:`NOW`'s day, oldest first."""
    failed = list(errors) if errors is not None else [0] * len(requests)
    today = NOW.date()
    days = tuple(
        DayUsage(today - timedelta(days=len(requests) - 1 - i), count, failed[i])
        for i, count in enumerate(requests)
    )
    total = sum(requests)
    calls = endpoints if endpoints is not None else ({"GET /v1/assets": total} if total else {})
    last_used = None
    if last_used_days_ago is not None:
        last_used = NOW - timedelta(days=last_used_days_ago)
    elif total:
        last_day = max(i for i, count in enumerate(requests) if count)
        last_used = NOW - timedelta(days=len(requests) - 1 - last_day, hours=2)
    return KeyUsage(
        key_id=key_id,
        days=days,
        by_endpoint=tuple(sorted(calls.items(), key=lambda item: (-item[1], item[0]))),
        last_used_at=last_used,
        last_used_ip=address if last_used else None,
    )


def session_info(
    scopes: Sequence[str], email: str = "engineer@example.com", subject: str = "user-1"
) -> SessionInfo:
    """A person signed in with ``scopes``, at :data:`NOW` (the keys tests' fixed clock)."""
    return user_info(
        scopes=tuple(scopes),
        email=email,
        subject=subject,
        name=None,
        access_expires_at=NOW + timedelta(hours=1),
        keychain="memory (this session only)",
    )


ENGINEER_SCOPES = (
    "read:assets",
    "write:assets",
    "read:telemetry",
    "write:telemetry",
    "read:alerts",
    "write:alerts",
)
VIEWER_SCOPES = ("read:assets", "read:telemetry", "read:alerts")


def all_texts(root: Any) -> list[str]:
    """Every text a person could see or copy out of ``root``'s widgets."""
    from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QPlainTextEdit, QWidget

    found: list[str] = [root.windowTitle()]
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QLineEdit | QLabel | QAbstractButton):
            found.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            found.append(widget.toPlainText())
        found.append(widget.toolTip())
        found.append(widget.accessibleName())
        found.append(widget.accessibleDescription())
    return found


def make_keys_page(qtbot: Any, messages: Any) -> Any:
    """A KeysPage on screen (1100×600) with the app's default preferences, unbound."""
    from twinedge_desktop.config import Preferences
    from twinedge_desktop.ui.common.tasks import TaskRunner
    from twinedge_desktop.ui.keys.page import KeysPage

    page = KeysPage(TaskRunner(messages), messages, Preferences())
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    return page
