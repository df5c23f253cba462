"""The core's fixtures: a fake OAuth server on httpx.MockTransport (tests/helpers)."""

from tests.helpers.core_fixtures import (  # noqa: F401 - pytest finds fixtures by name
    fake_server,
    http,
    profile,
    session,
    store,
)
from tests.helpers.logs import (  # noqa: F401 - the app's real logging, for redaction tests
    redacted_log,
    restored_logging,
)
