"""The house rules of DESIGN.md, enforced: layers point one way.

- The core (auth, api, tokens, vault, sandbox and the shared modules) never imports Qt:
  it is plain asyncio, usable from the command line and testable without a window.
- Views never touch infrastructure: nothing under ui/ imports httpx or keyring.
- Only vault/ talks to keyring.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "twinedge_desktop"
CORE_PACKAGES = ("auth", "api", "tokens", "vault", "sandbox", "scan", "health")
SHARED_MODULES = ("config", "keyformat", "scopes", "redaction", "cli", "timefmt", "browser")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _python_files(*parts: str) -> list[Path]:
    root = PACKAGE.joinpath(*parts)
    return sorted(root.rglob("*.py")) if root.is_dir() else []


def test_the_core_imports_without_qt() -> None:
    """Import every core module in a fresh interpreter where PySide6 cannot be imported."""
    modules = [f"twinedge_desktop.{name}" for name in SHARED_MODULES]
    for package in CORE_PACKAGES:
        for path in _python_files(package):
            relative = path.relative_to(PACKAGE.parent).with_suffix("")
            if relative.name == "__main__":
                continue
            modules.append(".".join(relative.parts).removesuffix(".__init__"))
    script = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'qasync', 'shiboken6'):\n"
        "            raise ImportError('Qt is not allowed in the core: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("forbidden", ["httpx", "keyring"])
def test_views_do_not_touch_infrastructure(forbidden: str) -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in _python_files("ui")
        if any(name.split(".")[0] == forbidden for name in _imported_modules(path))
    ]
    assert offenders == []


def test_only_the_vault_talks_to_keyring() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "vault" not in path.relative_to(PACKAGE).parts
        and any(name.split(".")[0] == "keyring" for name in _imported_modules(path))
    ]
    assert offenders == []
