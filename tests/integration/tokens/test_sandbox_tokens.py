"""The inspector against tokens minted by the real sandbox, over real loopback HTTP.

Discovery, the JWKS fetch (with the sandbox's own Cache-Control and Date headers),
PyJWT verification and the claim checks all run for real; only the person is
replaced by the sign-in form driver.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.helpers.cli import FakeStdin, namespace
from tests.helpers.sandbox import SandboxControls
from tests.helpers.signin import async_complete_sign_in
from twinedge_desktop.cli.inspect import run
from twinedge_desktop.config import AppPaths, ProfileStore, sandbox_profile
from twinedge_desktop.tokens import TokenInspector, VerdictStatus

REDIRECT_URI = "http://127.0.0.1:53682/callback"  # never contacted: the driver stops before it


async def user_token(base_url: str, scope: str = "read:assets read:telemetry") -> str:
    """A user access token from the PKCE sign-in flow (engineer@example.com)."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = urlencode(
        {
            "client_id": "twinedge-desktop",
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": scope,
            "state": "state-1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    final = await async_complete_sign_in(f"{base_url}/oauth/authorize?{query}")
    code = parse_qs(urlsplit(final).query)["code"][0]
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.post(
            f"{base_url}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": "twinedge-desktop",
                "code_verifier": verifier,
            },
        )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def service_token(sandbox: Any) -> str:
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.post(
            f"{sandbox.base_url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": sandbox.service_client_id,
                "client_secret": sandbox.service_client_secret,
                "scope": "read:telemetry",
            },
        )
    response.raise_for_status()
    return str(response.json()["access_token"])


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=15) as client:
        yield client


async def test_fresh_user_token_is_valid_and_explained(
    sandbox: Any, http: httpx.AsyncClient
) -> None:
    profile = sandbox_profile(sandbox.base_url)
    token = await user_token(sandbox.base_url)
    report = await TokenInspector(http).inspect(
        token, issuer=profile.issuer, audience=profile.audience
    )
    assert report.verdict.status is VerdictStatus.VALID, report.findings
    assert report.claims is not None
    assert report.claims["org"] == "org-456"
    assert report.claims["client_id"] == "twinedge-desktop"
    assert [s.name for s in report.scopes] == ["read:assets", "read:telemetry"]
    assert all(s.known for s in report.scopes)
    assert report.key_source == f"{sandbox.base_url}/.well-known/jwks.json"
    assert report.clock_skew_seconds is not None and abs(report.clock_skew_seconds) < 5
    assert report.findings_for("clock") == ()


async def test_token_minted_two_hours_ago_is_expired(
    sandbox: Any, sandbox_controls: SandboxControls, http: httpx.AsyncClient
) -> None:
    sandbox_controls.shift_clock(-2 * 3600)
    token = await service_token(sandbox)
    sandbox_controls.shift_clock(0)
    profile = sandbox_profile(sandbox.base_url)
    report = await TokenInspector(http).inspect(
        token, issuer=profile.issuer, audience=profile.audience
    )
    assert report.verified
    assert report.verdict.status is VerdictStatus.INVALID
    assert report.verdict.failed_checks == ("exp",)
    assert "Expired 59 min ago" in report.findings_for("exp")[0].message or (
        "Expired 1 h" in report.findings_for("exp")[0].message
    )


async def test_key_rotation_old_and_new_tokens(
    sandbox: Any, sandbox_controls: SandboxControls, http: httpx.AsyncClient
) -> None:
    profile = sandbox_profile(sandbox.base_url)
    monotonic = Monotonic()
    inspector = TokenInspector(http, monotonic=monotonic)
    before = await service_token(sandbox)
    first = await inspector.inspect(before, issuer=profile.issuer, audience=profile.audience)
    assert first.verdict.is_valid, first.findings  # the JWKS is now cached (max-age=60)

    new_kid = sandbox_controls.rotate_key()
    after = await service_token(sandbox)
    assert json.loads(base64.urlsafe_b64decode(after.split(".")[0] + "==")).get("kid") == new_kid

    # Within the minute the cached set is used and an unknown kid may not trigger a fetch.
    monotonic.now += 10
    early = await inspector.inspect(after, issuer=profile.issuer, audience=profile.audience)
    assert early.verdict.status is VerdictStatus.INVALID
    assert new_kid in early.findings_for("key")[0].message

    # A minute later the unknown kid causes one refetch, which finds the new key.
    monotonic.now += 60
    late = await inspector.inspect(after, issuer=profile.issuer, audience=profile.audience)
    assert late.verdict.is_valid, late.findings
    # The old key stays published for the overlap period: old tokens still verify.
    old = await inspector.inspect(before, issuer=profile.issuer, audience=profile.audience)
    assert old.verdict.is_valid, old.findings


async def test_sandbox_token_carries_the_apis_audience_and_the_sandbox_as_issuer(
    sandbox: Any, http: httpx.AsyncClient
) -> None:
    token = await user_token(sandbox.base_url)
    # The audience names the API, as production's does; the issuer still tells them apart.
    report = await TokenInspector(http).inspect(
        token, issuer=sandbox.base_url, audience="https://api.twinedgeai.com"
    )
    assert report.verified and report.verdict.is_valid, report.findings
    other = await TokenInspector(http).inspect(
        token, issuer=sandbox.base_url, audience=sandbox.base_url
    )
    assert other.verdict.failed_checks == ("aud",)


async def test_sandbox_token_against_the_cloud_issuer_profile_fails_iss(
    sandbox: Any, http: httpx.AsyncClient
) -> None:
    token = await user_token(sandbox.base_url)
    # Keys from the sandbox (so the signature verifies) but the cloud profile's expectations.
    report = await TokenInspector(http).inspect(
        token,
        issuer="https://auth.twinedgeai.com",
        audience="https://api.twinedgeai.com",
        jwks_source=f"{sandbox.base_url}/.well-known/jwks.json",
    )
    assert report.verified
    assert report.verdict.failed_checks == ("iss",)


async def test_cli_verifies_a_sandbox_token_through_the_stored_profile(sandbox: Any) -> None:
    token = await user_token(sandbox.base_url)
    store = ProfileStore.load(AppPaths.default().profiles_file)
    store.put(sandbox_profile(sandbox.base_url), make_current=True)
    store.save()
    out, err = io.StringIO(), io.StringIO()
    # The CLI runs its own event loop: call it from a thread, as a terminal would.
    import asyncio

    code = await asyncio.to_thread(
        run,
        namespace(token="-", json=True),
        stdin=FakeStdin(token.encode()),
        stdout=out,
        stderr=err,
    )
    document = json.loads(out.getvalue())
    assert code == 0, document["findings"]
    assert document["verdict"]["status"] == "valid"
    assert "Local sandbox" in document["verified_against"]["from"]

    out = io.StringIO()
    code = await asyncio.to_thread(
        run,
        namespace(token="-", json=True, audience="https://api.example.com"),
        stdin=FakeStdin(token.encode()),
        stdout=out,
        stderr=err,
    )
    assert code == 1
    assert json.loads(out.getvalue())["verdict"]["failed_checks"] == ["aud"]


async def test_cli_with_only_the_sandbox_jwks_says_what_it_did_not_check(sandbox: Any) -> None:
    import asyncio

    token = await user_token(sandbox.base_url)
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(
        run,
        namespace(token="-", jwks=f"{sandbox.base_url}/.well-known/jwks.json"),
        stdin=FakeStdin(token.encode()),
        stdout=out,
        stderr=err,
    )
    text = out.getvalue()
    assert code == 0, text
    assert "every check passed" not in text
    assert "but the issuer and the audience were not checked" in text
    assert "Not checked:" in text and "--issuer ISS" in text and "--audience AUD" in text


async def test_a_sandbox_jwks_slower_than_the_deadline_ends_the_lookup(
    sandbox: Any, sandbox_controls: SandboxControls, http: httpx.AsyncClient
) -> None:
    token = await user_token(sandbox.base_url)
    sandbox_controls.fault("/.well-known/jwks.json", delay=3.0)
    inspector = TokenInspector(http, document_timeout=1.0)
    report = await inspector.inspect(token, jwks_source=f"{sandbox.base_url}/.well-known/jwks.json")
    assert report.verdict.status is VerdictStatus.UNVERIFIED
    assert report.findings_for("key")[0].message == (
        f"The key set (JWKS) at {sandbox.base_url}/.well-known/jwks.json did not arrive within "
        "1 s; stopped waiting."
    )
