"""What users install: the wheel's contents, and the built bundle's smoke test.

- The wheel test builds a wheel from a scratch copy of the tree (setuptools writes
  build/ and *.egg-info next to the sources; the working tree is shared) with
  ``python -m build``, which needs the ``build`` package and PyPI for the isolated
  build environment. Without ``build`` installed it skips and says so.
- The bundle test runs ``packaging/smoke_test.sh`` against an already built
  PyInstaller bundle, only when ``TWINEDGE_BUNDLE_DIR`` names its folder (building
  takes ~1 minute and ~130 MB, so CI opts in: ``scripts/build_bundle.sh`` then
  ``TWINEDGE_BUNDLE_DIR=dist/twinedge-desktop pytest tests/packaging``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_NOT_SOURCES = (
    ".venv",
    ".git",
    "dist",
    "build",
    "artifacts",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
)


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    if importlib.util.find_spec("build") is None:
        pytest.skip("the 'build' package is not installed (pip install build)")
    scratch = tmp_path_factory.mktemp("wheel-build") / "src"
    shutil.copytree(
        REPO,
        scratch,
        ignore=lambda _dir, names: [
            n for n in names if n in _NOT_SOURCES or n.endswith(".egg-info")
        ],
    )
    outdir = scratch / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(scratch)],
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = outdir.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _sources(relative: str, pattern: str) -> list[str]:
    root = REPO / "twinedge_desktop" / relative
    return sorted(
        f"twinedge_desktop/{relative}/{path.relative_to(root).as_posix()}"
        for path in root.glob(pattern)
        if path.is_file()
    )


@pytest.mark.timeout(600)
def test_wheel_carries_templates_static_files_and_resources(wheel_names: set[str]) -> None:
    expected = (
        _sources("sandbox/templates", "*")
        + _sources("sandbox/static", "*")
        + _sources("resources", "**/*")
    )
    assert any(name.endswith(".html") for name in expected), "no sandbox templates in the tree"
    assert any(name.endswith(".svg") for name in expected), "no resources in the tree"
    missing = [name for name in expected if name not in wheel_names]
    assert missing == []
    assert any(name.endswith(".dist-info/entry_points.txt") for name in wheel_names), (
        "the twinedge-desktop command would not be installed"
    )


@pytest.mark.timeout(600)
def test_wheel_carries_every_python_module(wheel_names: set[str]) -> None:
    expected = [
        path.relative_to(REPO).as_posix() for path in (REPO / "twinedge_desktop").rglob("*.py")
    ]
    missing = [name for name in expected if name not in wheel_names]
    assert missing == []


def _assert_smoke_test_passes(executable: Path) -> None:
    result = subprocess.run(
        ["bash", str(REPO / "packaging" / "smoke_test.sh"), str(executable)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert " 0 failed" in result.stdout.splitlines()[-1], report


def test_built_bundle_passes_the_smoke_test() -> None:
    bundle = os.environ.get("TWINEDGE_BUNDLE_DIR")
    if not bundle:
        pytest.skip("TWINEDGE_BUNDLE_DIR is not set (build with scripts/build_bundle.sh)")
    executable = Path(bundle) / ("twinedge-desktop.exe" if os.name == "nt" else "twinedge-desktop")
    assert executable.is_file(), f"no executable at {executable}"
    _assert_smoke_test_passes(executable)


def test_installed_command_passes_the_smoke_test() -> None:
    """The same script against the command this environment installed, so the script's
    expectations follow the code on every run, not only when a bundle was built."""
    executable = Path(sys.executable).parent / (
        "twinedge-desktop.exe" if os.name == "nt" else "twinedge-desktop"
    )
    if not executable.is_file():
        pytest.skip(f"no installed twinedge-desktop next to {sys.executable}")
    _assert_smoke_test_passes(executable)
