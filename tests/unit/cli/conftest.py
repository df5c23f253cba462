"""`inspect` is tested with the token tests' fixtures (tests/helpers/token_fixtures.py)."""

from tests.helpers.logs import (  # noqa: F401 - the app's real logging, for redaction tests
    redacted_log,
    restored_logging,
)
from tests.helpers.token_fixtures import (  # noqa: F401 - pytest finds fixtures by name
    clock,
    http,
    inspector,
    issuer,
    mint,
    other_rsa_key,
    rsa_key,
)
