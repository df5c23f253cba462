"""Ready-to-use snippets for a new API key, each calling an endpoint the key may call.

A snippet that answers 403 is worse than none: a ``read:telemetry`` key's curl line
used to call ``/v1/assets``. :func:`snippet_target` picks, from the key's scopes, the
endpoint the snippets call:

- a ``read:*`` scope: that resource's endpoint (assets, then telemetry, then alerts);
- ``admin``: any, so ``/v1/assets``;
- only ``write:*`` scopes (or none TwinEdge defines): no data endpoint answers such a key
  (the API's ``GET`` endpoints need a ``read:*`` scope). The snippets then call
  ``GET /v1/me``, which every key may call, and a note names the read endpoint of the
  key's resource that it cannot call, and why.

The forms: the shell variable and ``.env`` line the product page recommends, curl, and the
Python forms of issue 14: the ``twinedge`` SDK with the key from the environment, and the
plain ``httpx`` / ``requests`` header forms. The Python texts are the SDK engineer's;
``{base_url}`` and ``{endpoint}`` are filled in with ``str.replace`` (``str.format`` would
trip over the f-string's braces), and ``base_url=`` is left out for TwinEdge's own API.

Everything put into a snippet from outside (the API's address comes from a server's
metadata) is quoted for where it goes: a shell word for curl, a string literal for Python,
so an address holding ``$(...)`` or a quote cannot turn a pasted snippet into a command.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from twinedge_desktop.scopes import RESOURCES
from twinedge_desktop.ui.common.copy_once import Snippet

DEFAULT_API_BASE = "https://api.twinedgeai.com/v1"
# The SDK's default address (without /v1): its snippet then needs no base_url=.
PRODUCTION_API_ROOT = "https://api.twinedgeai.com"
WHO_AM_I = "/v1/me"
ENV_VARIABLE = "TWINEDGE_API_KEY"

SDK_TEMPLATE = """import os

from twinedge import TwinEdgeClient

client = TwinEdgeClient(api_key=os.environ["TWINEDGE_API_KEY"], base_url="{base_url}")
print(client.request("GET", "{endpoint}").json())
"""

HTTPX_TEMPLATE = """import os

import httpx

response = httpx.get(
    "{base_url}{endpoint}",
    headers={"Authorization": f"Bearer {os.environ['TWINEDGE_API_KEY']}"},
)
response.raise_for_status()
print(response.json())
"""

REQUESTS_TEMPLATE = """import os

import requests

response = requests.get(
    "{base_url}{endpoint}",
    headers={"Authorization": f"Bearer {os.environ['TWINEDGE_API_KEY']}"},
    timeout=30,
)
response.raise_for_status()
print(response.json())
"""

# A URL made of these characters reads the same in double quotes in any shell.
_PLAIN_URL = re.compile(r"[A-Za-z0-9:/._~%\-\[\]@+=,]+")


@dataclass(frozen=True, slots=True)
class SnippetTarget:
    """The endpoint the snippets call (a path under the API's root, ``/v1/…``), and a
    sentence for the person when it is not a data endpoint ("" otherwise)."""

    endpoint: str
    note: str = ""


def snippet_target(scopes: Iterable[str]) -> SnippetTarget:
    """What a key with ``scopes`` can call (see module docstring)."""
    granted = set(scopes)
    if "admin" in granted:
        return SnippetTarget(f"/v1/{RESOURCES[0]}")
    for resource in RESOURCES:
        if f"read:{resource}" in granted:
            return SnippetTarget(f"/v1/{resource}")
    written = [resource for resource in RESOURCES if f"write:{resource}" in granted]
    fallback = (
        f"The snippets call GET {WHO_AM_I} instead, which every key may call: "
        "it shows that the key works."
    )
    if written:
        resource = written[0]
        return SnippetTarget(
            WHO_AM_I,
            f"This key can write {_and(written)} but not read: GET /v1/{resource} needs "
            f"read:{resource}, so it has no data endpoint to try. {fallback}",
        )
    return SnippetTarget(
        WHO_AM_I,
        "This key has none of TwinEdge's read scopes, so it has no data endpoint to try. "
        + fallback,
    )


def api_root(api_base: str) -> str:
    """The API's root, to which ``/v1/…`` paths are added (``…/v1`` without the ``/v1``)."""
    return api_base.rstrip("/").removesuffix("/v1")


def key_snippets(secret: str, api_base: str, scopes: Iterable[str]) -> tuple[list[Snippet], str]:
    """The snippets for a new key and the note to show above them ("" when none)."""
    target = snippet_target(scopes)
    root = api_root(api_base or DEFAULT_API_BASE)
    url = root + target.endpoint
    literal_root = _python_string_body(root)
    sdk = SDK_TEMPLATE
    if root == PRODUCTION_API_ROOT:
        sdk = sdk.replace(', base_url="{base_url}"', "")
    snippets = [
        Snippet("Shell", f"export {ENV_VARIABLE}={secret}"),
        Snippet(".env", f"{ENV_VARIABLE}={secret}"),
        Snippet("curl", f'curl {_shell_url(url)} \\\n  -H "Authorization: Bearer {secret}"'),
        Snippet("Python (SDK)", _fill(sdk, literal_root, target.endpoint)),
        Snippet("Python (httpx)", _fill(HTTPX_TEMPLATE, literal_root, target.endpoint)),
        Snippet("Python (requests)", _fill(REQUESTS_TEMPLATE, literal_root, target.endpoint)),
    ]
    return snippets, target.note


def _fill(template: str, base_url: str, endpoint: str) -> str:
    return template.replace("{base_url}", base_url).replace("{endpoint}", endpoint).rstrip("\n")


def _python_string_body(text: str) -> str:
    """``text`` as the inside of a double-quoted Python string literal."""
    return json.dumps(text)[1:-1]  # JSON's escapes are Python's, for a "…" literal


def _shell_url(url: str) -> str:
    return f'"{url}"' if _PLAIN_URL.fullmatch(url) else shlex.quote(url)


def _and(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
