"""Fixtures for the core's integration tests (the real sandbox comes from tests/helpers/sandbox)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.helpers.keychain import (  # noqa: F401 - importing registers the fixtures
    bus_without_secret_service_fixture,
    locked_secret_service_fixture,
    never_unlocked_secret_service_fixture,
    no_session_bus_fixture,
    secret_service_fixture,
)
from tests.integration.core.helpers import FormBrowser
from twinedge_desktop.auth.session import Session
from twinedge_desktop.config import AppPaths, ProfileStore, sandbox_profile
from twinedge_desktop.sandbox.embedded import RunningSandbox
from twinedge_desktop.services import CoreServices
from twinedge_desktop.vault import MemoryStore


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[CoreServices]:
    """The services bundle on an isolated home, with an in-memory credential store."""
    paths = AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    created = await CoreServices.create(
        paths, ProfileStore.load(paths.profiles_file), credential_store=MemoryStore()
    )
    yield created
    await created.aclose()


@pytest.fixture
async def session(services: CoreServices, sandbox: RunningSandbox) -> Session:
    """The sandbox profile's session, signed in through the real sign-in and consent forms."""
    session = services.session_for(sandbox_profile(sandbox.base_url))
    await session.sign_in_with_browser(open_browser=FormBrowser(), timeout=30)
    return session
