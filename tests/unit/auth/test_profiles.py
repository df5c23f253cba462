"""A profile from an issuer's metadata: the one core function login and "Add profile…" share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from twinedge_desktop.auth.discovery import ServerMetadata
from twinedge_desktop.auth.profiles import api_url_note, audience_of, profile_for_issuer
from twinedge_desktop.config import CLOUD_PROFILE, ConfigError, Profile, ProfileStore


def metadata(issuer: str = "http://127.0.0.1:8765", **extra: Any) -> ServerMetadata:
    return ServerMetadata.from_json(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "scopes_supported": ["read:assets", "admin", "openid"],
            **extra,
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore.load(tmp_path / "profiles.json")


def test_a_typed_api_url_wins_over_the_metadata_with_a_note(store: ProfileStore) -> None:
    found = metadata(api_base_url="http://127.0.0.1:8765/v1")
    profile = profile_for_issuer(store, found, api_url="http://127.0.0.1:9999/v1/")
    assert profile.api_base == "http://127.0.0.1:9999/v1"  # the person said so
    assert profile.id == "127-0-0-1-8765" and profile.client_id == "twinedge-desktop"
    assert profile.scopes == ("read:assets", "admin")  # TwinEdge's scopes the server knows
    assert api_url_note(found, "http://127.0.0.1:9999/v1/") == (
        "Note: the server names its API at http://127.0.0.1:8765/v1; using "
        "http://127.0.0.1:9999/v1 from --api-url as you asked."
    )


def test_no_note_when_nothing_differs(store: ProfileStore) -> None:
    found = metadata(api_base_url="http://127.0.0.1:8765/v1")
    assert api_url_note(found, "http://127.0.0.1:8765/v1/") is None  # the same address
    assert api_url_note(found, None) is None
    assert api_url_note(metadata(), "http://127.0.0.1:9999/v1") is None  # nothing to override


def test_then_from_the_metadata_then_unknown_until_sign_in(store: ProfileStore) -> None:
    found = metadata(api_base_url="http://127.0.0.1:8765/v1")
    assert profile_for_issuer(store, found).api_base == "http://127.0.0.1:8765/v1"
    assert profile_for_issuer(store, metadata(), api_url="http://localhost:1/v1/").api_base == (
        "http://localhost:1/v1"
    )
    assert profile_for_issuer(store, metadata()).api_base is None
    with pytest.raises(ConfigError, match="--api-url"):
        profile_for_issuer(store, metadata(), api_url="http://api.example/v1")


def test_an_existing_profile_is_updated_not_replaced(store: ProfileStore) -> None:
    store.put(
        Profile(id="mine", name="Mine", issuer="http://127.0.0.1:8765", api_base="http://x/v1")
    )
    profile = profile_for_issuer(
        store,
        metadata(api_base_url="http://127.0.0.1:8765/v1"),
        profile_id="mine",
        client_id="other",
        scopes=["admin"],
    )
    assert (profile.name, profile.client_id, profile.scopes) == ("Mine", "other", ("admin",))
    assert profile.api_base == "http://127.0.0.1:8765/v1"


def test_a_built_in_profile_cannot_be_pointed_elsewhere(store: ProfileStore) -> None:
    with pytest.raises(ConfigError, match="built in"):
        profile_for_issuer(store, metadata(), profile_id=CLOUD_PROFILE.id)


def test_the_cloud_issuer_gets_the_cloud_api(store: ProfileStore) -> None:
    profile = profile_for_issuer(store, metadata(CLOUD_PROFILE.issuer), profile_id="prod")
    assert (profile.api_base, profile.audience) == (CLOUD_PROFILE.api_base, CLOUD_PROFILE.audience)


def test_audience_of_a_token() -> None:
    import jwt

    token = jwt.encode({"aud": ["https://api.twinedgeai.com", "x"]}, "k" * 32, algorithm="HS256")
    assert audience_of(token) == "https://api.twinedgeai.com"
    assert audience_of(jwt.encode({"aud": "http://evil.example"}, "k" * 32)) is None
    assert audience_of("opaque") is None
