"""Verification against an issuer's JWKS: the happy path, crafted attacks, claims and caching."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.helpers.token_fixtures import (
    AUDIENCE,
    ISSUER,
    Clock,
    FakeIssuer,
    public_jwk,
    standard_claims,
)
from twinedge_desktop.tokens import Severity, TokenInspector, VerdictStatus

Mint = Callable[..., str]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def craft(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{b64(signature)}"


async def verify(inspector: TokenInspector, token: str, **kwargs: Any) -> Any:
    kwargs.setdefault("issuer", ISSUER)
    kwargs.setdefault("audience", AUDIENCE)
    return await inspector.inspect(token, **kwargs)


async def test_fresh_token_is_valid_and_explained(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer
) -> None:
    report = await verify(inspector, mint())
    assert report.verdict.status is VerdictStatus.VALID, report.findings
    assert report.verdict.failed_checks == ()
    assert report.verified and report.key_source and report.key_source.endswith("/jwks.json")
    assert report.leeway_seconds == 60
    assert [s.name for s in report.scopes] == ["read:assets", "read:telemetry"]
    assert [s.description for s in report.scopes] == ["Read asset data", "Read sensor data"]
    meanings = {e.name: e for e in report.claim_explanations}
    assert meanings["sub"].meaning.startswith("User ID")
    assert meanings["org"].meaning.startswith("Organization ID")
    assert "expires in 59 min" in meanings["exp"].detail and "UTC" in meanings["exp"].detail
    assert issuer.paths() == ["/.well-known/oauth-authorization-server", "/.well-known/jwks.json"]


async def test_alg_none_is_refused_without_fetching_keys(
    inspector: TokenInspector, issuer: FakeIssuer
) -> None:
    token = craft({"alg": "none", "typ": "JWT"}, standard_claims())
    report = await verify(inspector, token)
    assert report.verdict.status is VerdictStatus.INVALID
    assert {"alg", "signature"} <= set(report.verdict.failed_checks)
    assert "unsigned" in report.findings_for("alg")[0].message
    assert issuer.requests == []


@pytest.mark.parametrize("alg", ["None", "NONE", "nOnE"])
async def test_alg_none_in_any_case_is_refused(inspector: TokenInspector, alg: str) -> None:
    report = await verify(inspector, craft({"alg": alg}, standard_claims()))
    assert report.verdict.status is VerdictStatus.INVALID
    assert "alg" in report.verdict.failed_checks


async def test_hs256_signed_with_the_issuers_public_key_is_refused(
    inspector: TokenInspector, rsa_key: rsa.RSAPrivateKey, issuer: FakeIssuer
) -> None:
    # The classic key-confusion forgery: HMAC keyed with the public key's PEM, which anyone has.
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": "key-1"}
    unsigned = craft(header, standard_claims()).rsplit(".", 1)[0]
    signature = hmac.new(pem, unsigned.encode(), hashlib.sha256).digest()
    report = await verify(inspector, f"{unsigned}.{b64(signature)}", jwks_source=pem.decode())
    assert report.verdict.status is VerdictStatus.INVALID
    assert not report.verified
    assert {"alg", "signature"} <= set(report.verdict.failed_checks)


async def test_tampered_payload_fails_the_signature(inspector: TokenInspector, mint: Mint) -> None:
    header, _, signature = mint().split(".")
    elevated = b64(json.dumps(standard_claims(scope="admin")).encode())
    report = await verify(inspector, f"{header}.{elevated}.{signature}")
    assert report.verdict.status is VerdictStatus.INVALID
    assert report.verdict.failed_checks == ("signature",)
    assert "does not verify" in report.findings_for("signature")[0].message
    assert report.claims is not None and report.claims["scope"] == "admin"  # shown, not trusted


async def test_token_signed_by_another_key_with_a_known_kid_fails(
    inspector: TokenInspector, mint: Mint, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    report = await verify(inspector, mint(key=other_rsa_key, kid="key-1"))
    assert report.verdict.failed_checks == ("signature",)


async def test_unknown_kid_refetches_once_then_fails(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer, clock: Clock
) -> None:
    assert (await verify(inspector, mint())).verdict.is_valid  # warm the cache
    clock.advance(61)
    report = await verify(inspector, mint(kid="forged-kid"))
    assert report.verdict.status is VerdictStatus.INVALID
    assert "key" in report.verdict.failed_checks
    (key,) = report.findings_for("key")
    assert "'forged-kid'" in key.message and "'key-1'" in key.message
    assert issuer.jwks_fetches() == 2  # the warm-up, and one refetch for the unknown kid
    # A stream of unknown kids within the minute does not cause more fetches.
    for n in range(5):
        await verify(inspector, mint(kid=f"forged-{n}"))
    assert issuer.jwks_fetches() == 2


async def test_key_rotation_is_picked_up_by_the_unknown_kid_refetch(
    inspector: TokenInspector,
    mint: Mint,
    issuer: FakeIssuer,
    clock: Clock,
    other_rsa_key: rsa.RSAPrivateKey,
) -> None:
    assert (await verify(inspector, mint())).verdict.is_valid
    issuer.keys.append(public_jwk(other_rsa_key, "key-2"))  # the issuer rotates
    clock.advance(61)
    report = await verify(inspector, mint(key=other_rsa_key, kid="key-2"))
    assert report.verdict.is_valid, report.findings
    assert issuer.jwks_fetches() == 2


async def test_jwks_is_cached_per_cache_control(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer, clock: Clock
) -> None:
    issuer.cache_control = "public, max-age=120"
    token = mint()
    for _ in range(3):
        assert (await verify(inspector, token)).verdict.is_valid
    assert issuer.jwks_fetches() == 1
    clock.advance(121)
    assert (await verify(inspector, token)).verdict.is_valid
    assert issuer.jwks_fetches() == 2


async def test_no_store_means_every_inspection_fetches(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer
) -> None:
    issuer.cache_control = "no-store"
    token = mint()
    await verify(inspector, token)
    await verify(inspector, token)
    assert issuer.jwks_fetches() == 2


@pytest.mark.parametrize("name", ["jku", "x5u"])
async def test_key_urls_in_the_header_are_never_followed(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer, name: str
) -> None:
    token = mint(headers={name: "https://attacker.example/keys.json"})
    report = await verify(inspector, token)
    assert all(r.url.host == "auth.example.test" for r in issuer.requests)
    assert not any("attacker" in str(r.url) for r in issuer.requests)
    (warning,) = report.findings_for(name)
    assert warning.severity is Severity.WARNING and "never" in warning.message
    assert report.verdict.is_valid  # signed by the issuer's key: the header is only suspicious


async def test_embedded_jwk_is_not_trusted(
    inspector: TokenInspector, mint: Mint, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    # An attacker signs with their own key and embeds it: the inspector must ignore it.
    token = mint(key=other_rsa_key, kid="evil", headers={"jwk": public_jwk(other_rsa_key, "evil")})
    report = await verify(inspector, token)
    assert report.verdict.status is VerdictStatus.INVALID
    assert report.findings_for("jwk")[0].severity is Severity.WARNING
    assert "key" in report.verdict.failed_checks


async def test_expired_within_and_beyond_leeway(
    inspector: TokenInspector, mint: Mint, clock: Clock
) -> None:
    token = mint(standard_claims(clock.wall, iat=int(clock.wall) - 3600, exp=int(clock.wall) - 30))
    report = await verify(inspector, token)
    assert report.verdict.is_valid
    assert report.findings_for("exp")[0].severity is Severity.WARNING
    report = await verify(inspector, token, leeway=10)
    assert report.verdict.failed_checks == ("exp",)


async def test_not_yet_valid_and_issued_in_the_future(
    inspector: TokenInspector, mint: Mint, clock: Clock
) -> None:
    future = int(clock.wall) + 600
    report = await verify(inspector, mint(standard_claims(clock.wall, nbf=future, iat=future)))
    assert set(report.verdict.failed_checks) == {"nbf", "iat"}
    assert "Invalid:" in report.verdict.headline and "not valid yet" in report.verdict.headline


async def test_wrong_audience_and_issuer(inspector: TokenInspector, mint: Mint) -> None:
    claims = standard_claims(aud="https://api.twinedgeai.com", iss=ISSUER + "/")
    report = await verify(inspector, mint(claims))
    assert set(report.verdict.failed_checks) == {"aud", "iss"}
    assert "trailing slash" in report.findings_for("iss")[0].message
    assert "'https://api.twinedgeai.com'" in report.findings_for("aud")[0].message


async def test_audience_list_containing_the_api_is_accepted(
    inspector: TokenInspector, mint: Mint
) -> None:
    report = await verify(inspector, mint(standard_claims(aud=["other", AUDIENCE])))
    assert report.verdict.is_valid


async def test_missing_exp_and_non_numeric_times_fail(
    inspector: TokenInspector, mint: Mint
) -> None:
    report = await verify(inspector, mint(standard_claims(exp=None)))
    assert report.verdict.failed_checks == ("exp",)
    report = await verify(inspector, mint(standard_claims(iat="yesterday")))
    assert report.verdict.failed_checks == ("iat",)


async def test_unknown_scope_is_flagged(inspector: TokenInspector, mint: Mint) -> None:
    report = await verify(inspector, mint(standard_claims(scope="read:assets delete:everything")))
    assert report.verdict.is_valid  # flagged, not fatal: the API ignores scopes it does not know
    (scope,) = report.findings_for("scope")
    assert scope.severity is Severity.WARNING and "delete:everything" in scope.message
    assert [s.known for s in report.scopes] == [True, False]


async def test_clock_skew_from_the_date_header_is_used_and_mentioned(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer, clock: Clock
) -> None:
    # The issuer's clock is 10 minutes ahead: by its clock the token expired 5 minutes ago.
    issuer.date_offset = 600
    token = mint(standard_claims(clock.wall, iat=int(clock.wall) - 3600, exp=int(clock.wall) + 300))
    report = await verify(inspector, token)
    assert report.clock_skew_seconds is not None and 598 <= report.clock_skew_seconds <= 602
    assert report.verdict.failed_checks == ("exp",)
    (skew,) = report.findings_for("clock")
    assert "10 min behind" in skew.message


async def test_small_skew_is_not_mentioned(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer
) -> None:
    issuer.date_offset = 1
    report = await verify(inspector, mint())
    assert report.findings_for("clock") == ()


async def test_without_issuer_or_keys_the_token_is_unverified(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer
) -> None:
    report = await inspector.inspect(mint())
    assert report.verdict.status is VerdictStatus.UNVERIFIED
    assert not report.verified
    assert "--jwks" in report.findings_for("signature")[0].message
    assert issuer.requests == []


async def test_unreachable_jwks_leaves_the_token_unverified(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer
) -> None:
    issuer.status = 503
    report = await verify(inspector, mint())
    assert report.verdict.status is VerdictStatus.UNVERIFIED
    assert "HTTP 503" in report.findings_for("key")[0].message


async def test_plain_http_jwks_url_off_loopback_is_refused(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer
) -> None:
    report = await verify(inspector, mint(), jwks_source="http://auth.example.test/jwks.json")
    assert report.verdict.status is VerdictStatus.UNVERIFIED
    assert "HTTPS" in report.findings_for("key")[0].message
    assert issuer.requests == []


async def test_pem_file_and_jwks_file_sources(
    inspector: TokenInspector, mint: Mint, rsa_key: rsa.RSAPrivateKey, tmp_path: Any
) -> None:
    pem = tmp_path / "issuer.pem"
    pem.write_bytes(
        rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [public_jwk(rsa_key, "key-1")]}))
    for source in (str(pem), pem, str(jwks)):
        report = await verify(inspector, mint(), jwks_source=source)
        assert report.verdict.is_valid, (source, report.findings)
    missing = await verify(inspector, mint(), jwks_source=str(tmp_path / "nope.json"))
    assert missing.verdict.status is VerdictStatus.UNVERIFIED
    assert "Could not read" in missing.findings_for("key")[0].message


async def test_private_key_pem_is_used_for_its_public_half_with_a_note(
    inspector: TokenInspector, mint: Mint, rsa_key: rsa.RSAPrivateKey
) -> None:
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    report = await verify(inspector, mint(), jwks_source=pem)
    assert report.verdict.is_valid
    assert any("private key" in f.message for f in report.findings_for("key"))


async def test_report_json_has_every_part_and_never_the_signature(
    inspector: TokenInspector, mint: Mint
) -> None:
    token = mint()
    document = (await verify(inspector, token)).to_json()
    assert {"header", "claims", "findings", "verdict"} <= document.keys()
    assert document["verdict"]["status"] == "valid"
    assert token.split(".")[2] not in json.dumps(document)


async def test_discovery_falls_back_to_openid_configuration(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer
) -> None:
    issuer.missing_paths.add("/.well-known/oauth-authorization-server")
    report = await verify(inspector, mint())
    assert report.verdict.is_valid, report.findings
    assert issuer.paths() == [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
    ]


async def test_metadata_for_another_issuer_is_refused(
    inspector: TokenInspector, mint: Mint, issuer: FakeIssuer
) -> None:
    issuer.metadata_issuer = "https://evil.example"  # RFC 8414 §3.3: must not be used
    report = await verify(inspector, mint())
    assert report.verdict.status is VerdictStatus.UNVERIFIED
    assert "is for issuer 'https://evil.example'" in report.findings_for("key")[0].message
    assert "/.well-known/jwks.json" not in issuer.paths()


def test_metadata_urls_follow_rfc_8414_and_openid() -> None:
    from twinedge_desktop.tokens.keys import metadata_urls

    assert metadata_urls("https://h.example") == (
        "https://h.example/.well-known/oauth-authorization-server",
        "https://h.example/.well-known/openid-configuration",
    )
    assert metadata_urls("https://h.example/tenant") == (
        "https://h.example/.well-known/oauth-authorization-server/tenant",
        "https://h.example/tenant/.well-known/openid-configuration",
    )


# --- what the verdict says was not checked ----------------------------------------------
def _jwks_text(rsa_key: rsa.RSAPrivateKey) -> str:
    return json.dumps({"keys": [public_jwk(rsa_key, "key-1")]})


async def test_a_key_alone_verifies_but_never_says_every_check_passed(
    inspector: TokenInspector, mint: Mint, rsa_key: rsa.RSAPrivateKey
) -> None:
    report = await inspector.inspect(mint(), jwks_source=_jwks_text(rsa_key))

    verdict = report.verdict
    assert verdict.status is VerdictStatus.VALID and report.verified
    assert "every check passed" not in verdict.headline
    assert verdict.headline == (
        "Valid: signature verified and nothing failed, but the issuer and the audience were "
        "not checked."
    )
    assert verdict.unchecked_checks == ("iss", "aud")
    assert not verdict.all_checks_made
    assert "--issuer ISS" in verdict.unchecked[0].how
    assert "--audience AUD" in verdict.unchecked[1].how
    document = report.to_json()["verdict"]
    assert document["all_checks_made"] is False
    assert [u["check"] for u in document["unchecked"]] == ["iss", "aud"]


async def test_only_the_missing_expectation_is_named(
    inspector: TokenInspector, mint: Mint, rsa_key: rsa.RSAPrivateKey
) -> None:
    report = await inspector.inspect(mint(), jwks_source=_jwks_text(rsa_key), issuer=ISSUER)
    assert report.verdict.unchecked_checks == ("aud",)
    assert report.verdict.headline.endswith("but the audience was not checked.")


async def test_with_issuer_and_audience_every_check_is_made(
    inspector: TokenInspector, mint: Mint
) -> None:
    report = await verify(inspector, mint())
    assert report.verdict.all_checks_made and report.verdict.unchecked == ()
    assert report.verdict.headline == "Valid: signature verified and every check passed."
    assert report.to_json()["verdict"]["all_checks_made"] is True


async def test_unverified_and_invalid_verdicts_name_what_was_not_checked(
    inspector: TokenInspector, mint: Mint, rsa_key: rsa.RSAPrivateKey
) -> None:
    nothing = await inspector.inspect(mint())
    assert nothing.verdict.status is VerdictStatus.UNVERIFIED
    assert nothing.verdict.unchecked_checks == ("signature", "iss", "aud")
    assert nothing.verdict.headline == (
        "Not verified: readable and nothing failed, but the signature, the issuer and the "
        "audience were not checked."
    )
    decoded = inspector.decode_only(mint(), issuer=ISSUER, audience=AUDIENCE)
    assert decoded.verdict.unchecked_checks == ("signature",)

    expired = mint(standard_claims(iat=1_000_000_000, exp=1_000_003_600))
    invalid = await inspector.inspect(expired, jwks_source=_jwks_text(rsa_key))
    assert invalid.verdict.status is VerdictStatus.INVALID
    assert invalid.verdict.headline == (
        "Invalid: expired. Not checked: the issuer and the audience."
    )
