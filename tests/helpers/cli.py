"""Helpers for calling the command line's handlers in-process."""

from __future__ import annotations

import argparse
import io
from typing import Any


class FakeStdin:
    def __init__(self, data: bytes, tty: bool = False) -> None:
        self.buffer = io.BytesIO(data)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def namespace(**overrides: Any) -> argparse.Namespace:
    """The namespace twinedge_desktop.cli builds for ``inspect`` (its defaults)."""
    values: dict[str, Any] = {
        "token": None, "jwks": None, "issuer": None, "audience": None, "profile": None,
        "leeway": 60, "json": False,
    }  # fmt: skip
    values.update(overrides)
    return argparse.Namespace(**values)
