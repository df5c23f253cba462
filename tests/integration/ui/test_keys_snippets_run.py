"""The copy-once snippets of a fresh key really work against the sandbox (issue 11 #6, 14).

A key is created through the real ApiKeysService over loopback; the copy-once dialog is
opened as the page opens it, and each snippet it would copy is run as a person would:
the "Shell" line exported and then the Python SDK snippet run in a new interpreter (the
SDK installed in the project's venv, the key taken from the environment), the httpx and
requests forms with TWINEDGE_API_KEY set, curl as written. Each must succeed and answer
from the endpoint the key's scopes allow: a read:telemetry key's snippets used to call
/v1/assets and get 403.
"""

from __future__ import annotations

import ast
import gc
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.sandbox_signin import signed_in
from twinedge_desktop.api.keys import new_idempotency_key
from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.keys.dialogs.copy_once import CopyOnceDialog

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

RUN_TIMEOUT = 60.0


@pytest.fixture(autouse=True)
def collect_qt_garbage_on_the_main_thread() -> Iterator[None]:
    """As in test_keys_sandbox: Qt objects are collected here, not in the sandbox's thread."""
    gc.collect()
    yield
    gc.collect()


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any TwinEdge credential or address."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINEDGE_")}
    env.update(extra)
    return env


def run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{command[0]} failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


def printed(stdout: str) -> Any:
    """What ``print(response.json())`` printed: a Python literal."""
    return ast.literal_eval(stdout.strip())


@pytest.mark.parametrize(
    ("email", "scopes", "endpoint"),
    [
        ("engineer@example.com", ("read:telemetry",), "telemetry"),
        ("engineer@example.com", ("read:alerts", "write:alerts"), "alerts"),
        ("admin@example.com", ("admin",), "assets"),
        ("engineer@example.com", ("write:telemetry",), "me"),
    ],
)
async def test_each_snippet_of_a_fresh_key_runs_against_the_sandbox(
    sandbox: Any,
    qtbot: Any,
    messages: Any,
    tmp_path: Path,
    email: str,
    scopes: tuple[str, ...],
    endpoint: str,
) -> None:
    async with signed_in(sandbox.base_url, email) as s:
        expires = datetime.now(UTC) + timedelta(days=1)
        created = await s.service.create(
            f"snippets {endpoint}", scopes, expires, idempotency_key=new_idempotency_key()
        )
        dialog = CopyOnceDialog(
            created,
            s.service,
            TaskRunner(messages),
            SecretClipboard(platform="linux"),
            30,
            api_base=s.service.api_base,
        )
        qtbot.addWidget(dialog)
        dialog.open()
        panel = dialog.panel
        labels = [panel.snippet_tabs.tabText(i) for i in range(panel.snippet_tabs.count())]
        snippet = {label: panel.snippet_text(i) for i, label in enumerate(labels)}
        secret = created.secret
        key_id = created.key.id
        del created
        dialog.panel.ack_box.setChecked(True)
        dialog.accept()

    def check(answer: Any) -> None:
        assert isinstance(answer, dict)
        if endpoint == "me":
            # A write-only key has no data endpoint: the snippets ask who it is.
            assert answer["kind"] == "api_key" and answer["key_id"] == key_id
        else:
            assert answer["data"], answer  # the sample data of the allowed resource
            assert answer["next_cursor"] is None

    sdk_file = tmp_path / "sdk_snippet.py"
    sdk_file.write_text(snippet["Python (SDK)"], encoding="utf-8")
    # The "Shell" line, then the SDK snippet in the same shell: the key from the
    # environment, as the snippets mean it.
    script = f"{snippet['Shell']}\nexec {sys.executable} {sdk_file}"
    check(printed(run(["sh", "-c", script], clean_env())))
    with_key = clean_env(TWINEDGE_API_KEY=secret)
    for form in ("Python (httpx)", "Python (requests)"):
        check(printed(run([sys.executable, "-c", snippet[form]], with_key)))
    assert shutil.which("curl") is not None, "curl is one of scripts/dev's Debian packages"
    curl = snippet["curl"] + " --fail --silent --show-error"
    check(json.loads(run(["sh", "-c", curl], clean_env())))
