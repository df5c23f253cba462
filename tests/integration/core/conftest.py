"""Fixtures for the core's integration tests (the real sandbox comes from tests/helpers/sandbox)."""

from tests.helpers.keychain import (  # noqa: F401 - importing registers the fixtures
    bus_without_secret_service_fixture,
    locked_secret_service_fixture,
    never_unlocked_secret_service_fixture,
    no_session_bus_fixture,
    secret_service_fixture,
)
