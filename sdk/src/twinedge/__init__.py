"""The TwinEdge Python SDK.

::

    from twinedge import TwinEdgeClient

    client = TwinEdgeClient(api_key="te_…")                           # an API key
    client = TwinEdgeClient(client_id="…", client_secret="…")         # a service account
    client = TwinEdgeClient()   # the chain: TWINEDGE_API_KEY, then TWINEDGE_CLIENT_ID +
                                # TWINEDGE_CLIENT_SECRET, then TwinEdge Desktop's sign-in
    client.assets.list(); client.me(); client.request("GET", "/v1/alerts")

The clients and credentials are imported on first use (PEP 562), so ``import
twinedge`` itself costs almost nothing and ``from twinedge import TwinEdgeClient``
does not pay for ``asyncio``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from twinedge.errors import (
    ConfigurationError,
    CredentialUnavailable,
    InsufficientScope,
    InvalidClient,
    InvalidGrant,
    InvalidToken,
    NetworkError,
    RateLimited,
    TwinEdgeError,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from twinedge.aio import AsyncTwinEdgeClient
    from twinedge.client import TwinEdgeClient
    from twinedge.credentials import (
        AccessToken,
        ApiKeyCredential,
        ClientCredentials,
        Credential,
        DesktopCredential,
        default_credential,
    )

_LAZY = {
    "TwinEdgeClient": "twinedge.client",
    "AsyncTwinEdgeClient": "twinedge.aio",
    "AccessToken": "twinedge.credentials",
    "ApiKeyCredential": "twinedge.credentials",
    "ClientCredentials": "twinedge.credentials",
    "Credential": "twinedge.credentials",
    "DesktopCredential": "twinedge.credentials",
    "default_credential": "twinedge.credentials",
}

__all__ = [
    "AccessToken",
    "ApiKeyCredential",
    "AsyncTwinEdgeClient",
    "ClientCredentials",
    "ConfigurationError",
    "Credential",
    "CredentialUnavailable",
    "DesktopCredential",
    "InsufficientScope",
    "InvalidClient",
    "InvalidGrant",
    "InvalidToken",
    "NetworkError",
    "RateLimited",
    "TwinEdgeClient",
    "TwinEdgeError",
    "__version__",
    "default_credential",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'twinedge' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
