"""Fixtures for the SDK's own tests: a clean environment and a fake TwinEdge Desktop."""

from __future__ import annotations

from pathlib import Path

import pytest
from sdk_helpers import FakeDesktop

_SDK_VARIABLES = (
    "TWINEDGE_API_KEY",
    "TWINEDGE_CLIENT_ID",
    "TWINEDGE_CLIENT_SECRET",
    "TWINEDGE_API_URL",
    "TWINEDGE_ISSUER",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TWINEDGE_* variable from the developer's shell, and no real ``twinedge-desktop``
    on PATH: each test sets exactly what it means."""
    for name in _SDK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.fixture
def fake_desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeDesktop:
    """A fake ``twinedge-desktop`` that is the only one on PATH."""
    desktop = FakeDesktop(tmp_path / "fake-desktop")
    monkeypatch.setenv("PATH", desktop.path_env())
    return desktop
