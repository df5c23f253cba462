"""What installing the SDK brings: httpx and nothing of the desktop app (no Qt, no keyring).

- The sources import only the standard library, httpx and themselves.
- Every module imports, and clients can be built, in an interpreter where PySide6,
  keyring and twinedge_desktop cannot be imported.
- ``pip install ./sdk`` into a fresh virtual environment (PyPI reachable for httpx)
  installs a typed package whose only third-party dependencies are httpx's.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SDK = Path(__file__).resolve().parents[1]
PACKAGE = SDK / "src" / "twinedge"
FORBIDDEN = ("PySide6", "shiboken6", "qasync", "keyring", "twinedge_desktop", "jwt")
# httpx and what it depends on (its own install requirements, nothing else).
HTTPX_DISTRIBUTIONS = {"httpx", "httpcore", "h11", "anyio", "certifi", "idna", "sniffio"}
HTTPX_DISTRIBUTIONS |= {"typing-extensions", "typing_extensions", "exceptiongroup"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_sources_import_only_the_standard_library_and_httpx() -> None:
    allowed = set(sys.stdlib_module_names) | {"httpx", "twinedge", "__future__"}
    for path in sorted(PACKAGE.rglob("*.py")):
        outside = _imports(path) - allowed
        assert not outside, f"{path.name} imports {sorted(outside)}"


def test_every_module_works_where_qt_keyring_and_the_app_cannot_be_imported() -> None:
    modules = sorted(
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for path in PACKAGE.rglob("*.py")
    )
    script = (
        "import sys, importlib, asyncio\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {FORBIDDEN!r}:\n"
        "            raise ImportError('not for the SDK: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "from twinedge import TwinEdgeClient, AsyncTwinEdgeClient\n"
        "key = 'te_Ay9YhXZe7vvROT9ONAI5m1oKxYwHr4iT3ibXJY'\n"
        "TwinEdgeClient(api_key=key).close()\n"
        "asyncio.run(AsyncTwinEdgeClient(client_id='a', client_secret='b').close())\n"
        f"assert not any(m.split('.')[0] in {FORBIDDEN!r} for m in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_importing_the_sync_client_does_not_load_asyncio_or_subprocess() -> None:
    """What keeps ``from twinedge import TwinEdgeClient`` within 1.2x of ``import httpx``
    (benchmarks/sdk.py measures it)."""
    script = (
        "import sys\n"
        "from twinedge import TwinEdgeClient\n"
        "print(sorted(m for m in ('asyncio', 'subprocess', 'dataclasses') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.timeout(600)
def test_pip_install_in_a_fresh_virtual_environment(tmp_path: Path) -> None:
    # A scratch copy: setuptools writes build/ and *.egg-info next to the sources, and
    # the working tree is shared with other engineers.
    source = tmp_path / "twinedge-sdk"
    shutil.copytree(
        SDK,
        source,
        ignore=shutil.ignore_patterns("__pycache__", "build", "dist", "*.egg-info", ".*_cache"),
    )
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), "/usr/bin", "/bin"])
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=env)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(source)],
        capture_output=True,
        text=True,
        timeout=540,
        env=env,
        check=False,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]

    check = (
        "import importlib.util, importlib.metadata, json, pathlib, twinedge\n"
        "from twinedge import TwinEdgeClient, AsyncTwinEdgeClient, TwinEdgeError\n"
        f"missing = [m for m in {FORBIDDEN!r} if importlib.util.find_spec(m) is None]\n"
        "typed = (pathlib.Path(twinedge.__file__).parent / 'py.typed').is_file()\n"
        "dists = sorted({d.metadata['Name'] for d in importlib.metadata.distributions()})\n"
        "print(json.dumps({'version': twinedge.__version__, 'missing': missing, "
        "'typed': typed, 'file': twinedge.__file__, 'dists': dists}))\n"
    )
    result = subprocess.run(
        [str(python), "-c", check],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    import json

    report = json.loads(result.stdout)
    assert report["missing"] == list(FORBIDDEN)  # none of them is installed
    assert report["typed"] is True and report["version"] == "0.1.0"
    assert str(venv) in report["file"]  # the installed copy, not the source tree
    others = {name.lower() for name in report["dists"]} - {"twinedge", "pip", "setuptools"}
    assert others <= HTTPX_DISTRIBUTIONS, others - HTTPX_DISTRIBUTIONS
    assert "httpx" in others
