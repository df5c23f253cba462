"""PKCE S256 and state: enough entropy, the right alphabet, RFC 7636's own test vector."""

from __future__ import annotations

import re

from twinedge_desktop.auth.pkce import code_challenge_s256, new_code_verifier, new_state

UNRESERVED = re.compile(r"^[A-Za-z0-9\-._~]+$")


def test_rfc7636_appendix_b_vector() -> None:
    # RFC 7636 Appendix B: the verifier built from its 32 example octets and its challenge.
    assert (
        code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_verifier_has_at_least_256_bits_and_valid_characters() -> None:
    verifier = new_code_verifier()
    assert 43 <= len(verifier) <= 128
    assert UNRESERVED.match(verifier)
    # base64url carries 6 bits per character.
    assert len(verifier) * 6 >= 256


def test_state_has_at_least_128_bits_and_is_fresh_each_time() -> None:
    states = {new_state() for _ in range(200)}
    assert len(states) == 200
    assert all(len(s) * 6 >= 128 and UNRESERVED.match(s) for s in states)


def test_verifiers_are_unique() -> None:
    assert len({new_code_verifier() for _ in range(200)}) == 200
