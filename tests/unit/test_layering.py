"""The house rules of DESIGN.md, enforced: layers point one way.

- The core (auth, api, tokens, vault, sandbox and the shared modules) never imports Qt:
  it is plain asyncio, usable from the command line and testable without a window.
- Views never touch infrastructure: nothing under ui/ imports httpx or keyring, nor the
  vault (the keychain is the core's business: views get sessions and services).
- Only vault/ talks to keyring.
- ui/ is rooms by feature: every module lives in a package; a feature (account, keys,
  inspector…) never imports another feature or the shell; common/ imports no feature and
  not the shell; only the shell knows every feature.

Imports are read from the source (AST), including those made only for the type checker
and inside functions, relative ones resolved.
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


UI = PACKAGE / "ui"
SHELL, COMMON = "shell", "common"


def _module_name(path: Path, package: Path = PACKAGE) -> str:
    """``twinedge_desktop/ui/keys/page.py`` -> ``twinedge_desktop.ui.keys.page``."""
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, package_dir: Path = PACKAGE) -> set[str]:
    """Every module ``path`` imports, by absolute name.

    ``from package import name`` counts as importing ``package`` and ``package.name``
    (``name`` may be a module: ``from twinedge_desktop.ui import keys``); relative
    imports are resolved against the file's own package.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, package_dir)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _ui_part(module: str) -> str | None:
    """The package of ui/ that ``module`` belongs to (``keys`` for ``…ui.keys.page``)."""
    parts = module.split(".")
    return parts[2] if parts[:2] == ["twinedge_desktop", "ui"] and len(parts) > 2 else None


def _ui_packages() -> list[str]:
    return sorted(p.name for p in UI.iterdir() if (p / "__init__.py").is_file())


def _features() -> list[str]:
    return [name for name in _ui_packages() if name not in (SHELL, COMMON)]


def _forbidden_imports(package: str, allowed: set[str]) -> list[str]:
    """``file: module`` for each import from ``package`` into a ui/ package not ``allowed``."""
    found = []
    for path in _python_files("ui", package):
        for module in sorted(_imported_modules(path)):
            part = _ui_part(module)
            if part is not None and part not in allowed:
                found.append(f"{path.relative_to(PACKAGE)}: {module}")
    return found


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


def test_ui_is_made_of_packages() -> None:
    """A newcomer finds a feature's room by its name: no loose modules beside the packages."""
    loose = sorted(p.name for p in UI.glob("*.py") if p.name != "__init__.py")
    assert loose == []
    assert {SHELL, COMMON} <= set(_ui_packages())
    assert {"account", "keys", "inspector"} <= set(_features())


@pytest.mark.parametrize("feature", _features())
def test_a_feature_imports_no_other_feature_and_not_the_shell(feature: str) -> None:
    assert _forbidden_imports(feature, {feature, COMMON}) == []


def test_common_imports_no_feature_and_not_the_shell() -> None:
    assert _forbidden_imports(COMMON, {COMMON}) == []


def test_nothing_under_ui_imports_the_vault() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in _python_files("ui")
        for module in sorted(_imported_modules(path))
        if module == "twinedge_desktop.vault" or module.startswith("twinedge_desktop.vault.")
    ]
    assert offenders == []


def test_the_import_reader_sees_every_form_of_import(tmp_path: Path) -> None:
    """The checks above can fail: every way of writing a cross-feature import is seen."""
    feature = tmp_path / "twinedge_desktop" / "ui" / "keys"
    feature.mkdir(parents=True)
    source = feature / "page.py"
    source.write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "import twinedge_desktop.ui.account.view\n"
        "from twinedge_desktop.ui import inspector\n"
        "from ..shell.main_window import MainWindow\n"
        "from . import model\n"
        "if TYPE_CHECKING:\n"
        "    from twinedge_desktop.vault import MemoryStore\n"
        "def later() -> None:\n"
        "    from twinedge_desktop.ui.apps.page import AppsPage\n",
        encoding="utf-8",
    )
    modules = _imported_modules(source, tmp_path / "twinedge_desktop")
    parts = {_ui_part(m) for m in modules} - {None}
    assert parts == {"account", "inspector", "shell", "keys", "apps"}
    assert "twinedge_desktop.ui.keys.model" in modules
    assert "twinedge_desktop.vault" in modules
