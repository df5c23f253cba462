"""The name a profile made from an issuer gets (review 2, item 11): two local servers on
different ports must not both read "127.0.0.1" in the profile list."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.session_fakes import server_metadata
from twinedge_desktop.auth.profiles import profile_for_issuer
from twinedge_desktop.config import ProfileStore


@pytest.mark.parametrize(
    ("issuer", "name"),
    [
        ("http://127.0.0.1:18765", "127.0.0.1:18765"),
        ("http://127.0.0.1:18766", "127.0.0.1:18766"),
        ("http://[::1]:8765", "[::1]:8765"),
        ("http://localhost", "localhost"),  # the scheme's default port is not named
        ("http://localhost:80", "localhost"),
        ("https://auth.example.com", "auth.example.com"),
        ("https://auth.example.com:443/tenant", "auth.example.com"),
        ("https://auth.example.com:8443", "auth.example.com:8443"),
    ],
)
def test_a_new_profile_is_named_by_host_and_a_port_that_is_not_the_default(
    tmp_path: Path, issuer: str, name: str
) -> None:
    store = ProfileStore.load(tmp_path / "profiles.json")
    assert profile_for_issuer(store, server_metadata(issuer)).name == name
