"""The token tests' fixtures: keys, a minting helper, a fake issuer (tests/helpers)."""

from tests.helpers.token_fixtures import (  # noqa: F401 - pytest finds fixtures by name
    clock,
    http,
    inspector,
    issuer,
    mint,
    other_rsa_key,
    rsa_key,
)
