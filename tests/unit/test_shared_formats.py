"""The key format, the scope catalogue and redaction: shared by every layer."""

from __future__ import annotations

import logging
import zlib

import pytest

from twinedge_desktop import keyformat, scopes
from twinedge_desktop.redaction import RedactingFilter, redact


def test_generated_keys_have_the_documented_shape_and_checksum() -> None:
    for _ in range(200):
        key = keyformat.generate_key()
        assert len(key) == 41 and key.startswith("te_")
        assert keyformat.check_key(key) is keyformat.KeyCheck.VALID
        body = key[:35]
        crc = zlib.crc32(body.encode())
        # Decode the base62 checksum by hand, independently of to_base62.
        value = 0
        for ch in key[35:]:
            value = value * 62 + keyformat.BASE62_ALPHABET.index(ch)
        assert value == crc
        assert keyformat.display_prefix(key) == key[:12]


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("tx_" + "a" * 38, keyformat.KeyCheck.NOT_A_KEY),
        ("te_abc", keyformat.KeyCheck.WRONG_LENGTH),
        ("te_" + "a" * 31 + "-" + "000000", keyformat.KeyCheck.BAD_CHARACTERS),
    ],
)
def test_malformed_keys_are_classified(candidate: str, expected: keyformat.KeyCheck) -> None:
    assert keyformat.check_key(candidate) is expected


def test_a_single_changed_character_breaks_the_checksum() -> None:
    key = keyformat.generate_key()
    flipped = key[:10] + ("A" if key[10] != "A" else "B") + key[11:]
    assert keyformat.check_key(flipped) is keyformat.KeyCheck.BAD_CHECKSUM


def test_base62_is_most_significant_first_and_padded() -> None:
    assert keyformat.to_base62(0, 6) == "000000"
    assert keyformat.to_base62(61, 6) == "00000z"
    assert keyformat.to_base62(62, 6) == "000010"


def test_scope_catalogue_matches_the_seed() -> None:
    assert scopes.ALL_SCOPE_NAMES == (
        "read:assets",
        "write:assets",
        "read:telemetry",
        "write:telemetry",
        "read:alerts",
        "write:alerts",
        "admin",
    )
    assert scopes.describe("read:telemetry") == "Read sensor data"
    assert scopes.describe("delete:everything") is None
    assert scopes.parse_scope_string(" read:assets  admin read:assets ") == ["read:assets", "admin"]


def test_redaction_hides_every_kind_of_secret() -> None:
    key = keyformat.generate_key()
    jwt_like = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"
    text = (
        f"Authorization: Bearer {jwt_like} key={key} "
        "grant_type=refresh_token&refresh_token=rt-secret"
        f'&code=the-code&code_verifier=verifier-value {{"client_secret": "s3cr3t"}} {key}'
    )
    out = redact(text)
    for secret in (jwt_like, key, "rt-secret", "the-code", "verifier-value", "s3cr3t"):
        assert secret not in out
    assert "grant_type=refresh_token" in out  # what is not secret stays readable


def test_logging_filter_redacts_formatted_messages_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = keyformat.generate_key()
    logger = logging.getLogger("twinedge.test.redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("created %s", key)
        try:
            raise ValueError(f"bad key {key}")
        except ValueError:
            logger.exception("failed")
    assert key not in caplog.text
    assert "[REDACTED]" in caplog.text
