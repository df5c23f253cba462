"""Every Python example in sdk/README.md runs against the sandbox, as the README says.

Each ```python block runs in its own interpreter with the environment the README's
"Try it on the sandbox" section sets up (the sandbox's address and service account);
the guide's placeholders (YOUR_API_KEY, YOUR_CLIENT_ID, YOUR_CLIENT_SECRET) are replaced
by a real key and the real service account.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.sdk.support import create_api_key
from twinedge_desktop.sandbox.embedded import RunningSandbox

README = Path(__file__).resolve().parents[3] / "sdk" / "README.md"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _examples() -> list[str]:
    return _BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_has_the_seeds_examples() -> None:
    text = "\n".join(_examples())
    assert 'TwinEdgeClient(api_key="YOUR_API_KEY")' in text
    assert 'client_id="YOUR_CLIENT_ID"' in text and 'client_secret="YOUR_CLIENT_SECRET"' in text
    assert len(_examples()) >= 5


@pytest.mark.parametrize("index", range(len(_examples())))
def test_each_readme_example_runs_against_the_sandbox(sandbox: RunningSandbox, index: int) -> None:
    code = _examples()[index]
    key = create_api_key(sandbox, ["read:assets", "read:telemetry", "read:alerts"]).secret
    code = (
        code.replace("YOUR_API_KEY", key)
        .replace("YOUR_CLIENT_ID", sandbox.service_client_id)
        .replace("YOUR_CLIENT_SECRET", sandbox.service_client_secret)
    )
    env = dict(os.environ)
    env.pop("TWINEDGE_API_KEY", None)
    env.update(
        TWINEDGE_API_URL=sandbox.base_url,
        TWINEDGE_ISSUER=sandbox.issuer,
        TWINEDGE_CLIENT_ID=sandbox.service_client_id,
        TWINEDGE_CLIENT_SECRET=sandbox.service_client_secret,
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"example {index + 1}:\n{code}\n{result.stderr}"
    assert "Traceback" not in result.stderr
