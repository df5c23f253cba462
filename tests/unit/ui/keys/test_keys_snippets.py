"""The new key's snippets call an endpoint its scopes allow, in every form (issue 11 #6 and
issue 14's Python forms); tests/integration/ui/test_keys_snippets_run.py runs them."""

from __future__ import annotations

import ast
import shlex
from typing import Any

import pytest

from tests.helpers.keys import FakeKeysService, make_key
from twinedge_desktop.api.models import CreatedApiKey
from twinedge_desktop.keyformat import display_prefix, generate_key
from twinedge_desktop.ui.common.clipboard import SecretClipboard
from twinedge_desktop.ui.common.tasks import TaskRunner
from twinedge_desktop.ui.keys.dialogs.copy_once import CopyOnceDialog
from twinedge_desktop.ui.keys.snippets import key_snippets, snippet_target

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

SANDBOX = "http://127.0.0.1:8765/v1"


@pytest.mark.parametrize(
    ("scopes", "endpoint"),
    [
        (("read:telemetry",), "/v1/telemetry"),
        (("read:alerts", "write:alerts"), "/v1/alerts"),
        (("read:assets", "read:telemetry"), "/v1/assets"),
        (("write:assets", "read:telemetry"), "/v1/telemetry"),
        (("admin",), "/v1/assets"),
        (("write:telemetry",), "/v1/me"),
        ((), "/v1/me"),
    ],
)
def test_every_form_calls_an_endpoint_the_key_may_call(
    scopes: tuple[str, ...], endpoint: str
) -> None:
    secret = generate_key()
    snippets, _note = key_snippets(secret, SANDBOX, scopes)
    by_label = {snippet.label: snippet.text for snippet in snippets}
    url = f"http://127.0.0.1:8765{endpoint}"
    assert f'"{url}"' in by_label["curl"]
    assert f'client.request("GET", "{endpoint}")' in by_label["Python (SDK)"]
    assert f'"{url}"' in by_label["Python (httpx)"]
    assert f'"{url}"' in by_label["Python (requests)"]
    # Nothing calls another data endpoint.
    for other in ("/v1/assets", "/v1/telemetry", "/v1/alerts"):
        if other != endpoint:
            assert all(other not in text for text in by_label.values()), other


def test_a_write_only_key_says_which_read_endpoint_it_cannot_call() -> None:
    target = snippet_target(("write:telemetry", "write:alerts"))
    assert target.endpoint == "/v1/me"
    assert "GET /v1/telemetry needs read:telemetry" in target.note
    assert "write telemetry and alerts" in target.note
    assert "GET /v1/me" in target.note
    assert snippet_target(()).note.startswith("This key has none of TwinEdge's read scopes")
    assert snippet_target(("read:alerts",)).note == ""


def test_the_python_forms_are_the_sdk_engineers_texts() -> None:
    secret = generate_key()
    snippets, _ = key_snippets(secret, SANDBOX, ("read:telemetry",))
    by_label = {snippet.label: snippet.text for snippet in snippets}
    assert by_label["Python (SDK)"] == (
        "import os\n\nfrom twinedge import TwinEdgeClient\n\n"
        'client = TwinEdgeClient(api_key=os.environ["TWINEDGE_API_KEY"], '
        'base_url="http://127.0.0.1:8765")\n'
        'print(client.request("GET", "/v1/telemetry").json())'
    )
    assert by_label["Python (httpx)"] == (
        "import os\n\nimport httpx\n\nresponse = httpx.get(\n"
        '    "http://127.0.0.1:8765/v1/telemetry",\n'
        '    headers={"Authorization": f"Bearer {os.environ[\'TWINEDGE_API_KEY\']}"},\n'
        ")\nresponse.raise_for_status()\nprint(response.json())"
    )
    assert by_label["Python (requests)"] == (
        "import os\n\nimport requests\n\nresponse = requests.get(\n"
        '    "http://127.0.0.1:8765/v1/telemetry",\n'
        '    headers={"Authorization": f"Bearer {os.environ[\'TWINEDGE_API_KEY\']}"},\n'
        "    timeout=30,\n"
        ")\nresponse.raise_for_status()\nprint(response.json())"
    )
    # The Python forms read the key from the environment: no secret in them.
    for label in ("Python (SDK)", "Python (httpx)", "Python (requests)"):
        assert secret not in by_label[label]
        ast.parse(by_label[label])


def test_production_needs_no_base_url() -> None:
    snippets, _ = key_snippets(generate_key(), "https://api.twinedgeai.com/v1", ("admin",))
    sdk = next(s.text for s in snippets if s.label == "Python (SDK)")
    assert 'TwinEdgeClient(api_key=os.environ["TWINEDGE_API_KEY"])' in sdk
    assert "base_url" not in sdk


def test_an_address_from_a_server_cannot_become_a_command() -> None:
    # The API's address comes from a server's metadata: quoted for the shell and Python.
    hostile = 'https://evil.example/$(touch /tmp/pwned)"; rm -rf ~; echo "/v1'
    snippets, _ = key_snippets(generate_key(), hostile, ("read:assets",))
    by_label = {snippet.label: snippet.text for snippet in snippets}
    curl_words = shlex.split(by_label["curl"].replace("\\\n", " "))
    assert curl_words[0] == "curl" and len(curl_words) == 4  # curl URL -H header
    assert curl_words[1] == 'https://evil.example/$(touch /tmp/pwned)"; rm -rf ~; echo "/v1/assets'
    for label in ("Python (SDK)", "Python (httpx)", "Python (requests)"):
        tree = ast.parse(by_label[label])  # still one string literal, still valid Python
        strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
        assert any("$(touch /tmp/pwned)" in str(value) for value in strings)


def test_the_copy_once_dialog_shows_the_note_and_the_forms(qtbot: Any, messages: Any) -> None:
    secret = generate_key()
    key = make_key("ingest only", scopes=("write:telemetry",), prefix=display_prefix(secret))
    dialog = CopyOnceDialog(
        CreatedApiKey(key=key, secret=secret),
        FakeKeysService(),  # type: ignore[arg-type]
        TaskRunner(messages),
        SecretClipboard(platform="linux"),
        30,
        api_base=SANDBOX,
    )
    qtbot.addWidget(dialog)
    dialog.open()
    panel = dialog.panel
    tabs = [panel.snippet_tabs.tabText(i) for i in range(panel.snippet_tabs.count())]
    assert tabs == [
        "Shell",
        ".env",
        "curl",
        "Python (SDK)",
        "Python (httpx)",
        "Python (requests)",
    ]
    assert panel.snippet_note.isVisible()
    assert "GET /v1/telemetry needs read:telemetry" in panel.snippet_note.text()
    assert "/v1/me" in panel.snippet_edits[2].toPlainText()
