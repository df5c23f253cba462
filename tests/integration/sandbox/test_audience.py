"""Access tokens carry the API's audience, so the seed's validation code accepts them as is;
the discovery documents say where the sandbox's API is (issue 15, finding 1)."""

from __future__ import annotations

import jwt
import pytest

from tests.integration.sandbox.flows import HTTP, TIMEOUT, api, assert_error, user_tokens
from twinedge_desktop.config import CLOUD_PROFILE
from twinedge_desktop.sandbox.embedded import RunningSandbox
from twinedge_desktop.sandbox.state import API_AUDIENCE

PRODUCTION_AUDIENCE = "https://api.twinedgeai.com"


def test_the_seeds_own_validation_code_accepts_a_sandbox_token(sandbox: RunningSandbox) -> None:
    """authentication.md's "Validating Tokens" snippet, with only the JWKS address changed."""
    token = user_tokens(sandbox.base_url)["access_token"]

    jwks_client = jwt.PyJWKClient(f"{sandbox.base_url}/.well-known/jwks.json")
    signing_key = jwks_client.get_signing_key_from_jwt(token)
    decoded = jwt.decode(
        token,
        signing_key.key,
        algorithms=["RS256"],
        audience="https://api.twinedgeai.com",
    )

    assert decoded["aud"] == PRODUCTION_AUDIENCE
    assert decoded["iss"] == sandbox.base_url  # the sandbox stays its own issuer
    assert decoded["sub"] == "user-123" and decoded["org"] == "org-456"


def test_client_credentials_tokens_carry_the_same_audience(sandbox: RunningSandbox) -> None:
    from tests.integration.sandbox.flows import service_token

    token = service_token(sandbox.base_url, sandbox.service_client_secret).json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == PRODUCTION_AUDIENCE


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]
)
def test_both_discovery_documents_name_the_api(sandbox: RunningSandbox, path: str) -> None:
    meta = HTTP.get(sandbox.base_url + path, timeout=TIMEOUT).json()
    assert meta["api_base_url"] == f"{sandbox.base_url}/v1"
    # The address it names really is the API: a token works there.
    token = user_tokens(sandbox.base_url)["access_token"]
    me = HTTP.get(
        f"{meta['api_base_url']}/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )
    assert me.status_code == 200


def test_the_api_accepts_that_audience_and_no_other(sandbox: RunningSandbox) -> None:
    """A token the sandbox signed itself, issued and unrevoked, but for another audience
    (the sandbox's own URL, as before this change) is refused: the API checks ``aud``."""
    state = sandbox._state  # the signing key is needed to make such a token
    good = user_tokens(sandbox.base_url)["access_token"]
    assert api(sandbox.base_url, "GET", "/v1/me", good).status_code == 200

    claims = jwt.decode(good, options={"verify_signature": False})
    claims.update(aud=sandbox.base_url, jti=claims["jti"] + "-other-audience")
    state.storage.insert_access_token(
        claims["jti"],
        family_id=None,
        client_id=claims["client_id"],
        sub=claims["sub"],
        expires_at=claims["exp"],
    )
    wrong_audience = state.keys.sign(claims)
    assert_error(api(sandbox.base_url, "GET", "/v1/me", wrong_audience), 401, "invalid_token")


def test_the_sandbox_and_the_cloud_profile_agree_on_the_audience() -> None:
    assert API_AUDIENCE == CLOUD_PROFILE.audience == PRODUCTION_AUDIENCE
