"""Expected failures are messages for the person: logged as one redacted line, no traceback;
unexpected errors keep their traceback. No message names an exception class (issue 11 #9)."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import pytest

from tests.helpers.logs import has_traceback
from tests.helpers.waiting import settle
from twinedge_desktop.api.errors import InsufficientScope, NetworkError
from twinedge_desktop.app import install_excepthook
from twinedge_desktop.auth.errors import KeychainUnavailable, SignInDenied
from twinedge_desktop.auth.oauth import TokenEndpointError
from twinedge_desktop.ui.common.tasks import TaskRunner, describe_error, is_expected

TOKEN = "te_" + "Q" * 38  # shaped like an API key: the redaction filter hides it

EXPECTED = [
    SignInDenied(),  # consent declined
    TokenEndpointError(
        "The client id or secret was not accepted (invalid_client).",
        error="invalid_client",
        status=401,
    ),  # wrong client secret
    NetworkError("The TwinEdge server could not be reached. Check your connection."),
    InsufficientScope("Only a person's sign-in can manage API keys."),  # permission denied
    KeychainUnavailable("prompt-dismissed", "The keychain's unlock prompt was dismissed."),
]


def _failing(exc: BaseException) -> Any:
    async def fail() -> None:
        await asyncio.sleep(0)
        raise exc

    return fail()


@pytest.mark.parametrize("error", EXPECTED, ids=lambda e: type(e).__name__)
async def test_an_expected_failure_is_one_line_without_a_traceback(
    messages: Any, caplog: pytest.LogCaptureFixture, error: BaseException
) -> None:
    caplog.set_level(logging.DEBUG)
    assert is_expected(error)
    task = TaskRunner(messages).start(_failing(error), name="sign-in")
    await settle(task)
    assert not [r for r in caplog.records if has_traceback(r)]  # no traceback anywhere
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    shown = [text for level, text in messages.records if level == "error"]
    assert shown == [str(error)]  # the person is told, in the banner


async def test_a_handled_expected_failure_is_logged_at_info(
    messages: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    task = TaskRunner(messages).start(
        _failing(SignInDenied(f"Declined ({TOKEN}).")), on_error=lambda exc: True, name="x"
    )
    await settle(task)
    (record,) = [r for r in caplog.records if r.name == "twinedge_desktop.ui.common.tasks"]
    assert record.levelno == logging.INFO and not has_traceback(record)
    assert TOKEN not in record.getMessage()  # redacted before it is written
    assert messages.records == []


async def test_an_unexpected_error_keeps_its_traceback_and_is_not_named_by_its_class(
    messages: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    task = TaskRunner(messages).start(_failing(KeyError("scope")), name="bug")
    await settle(task)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and has_traceback(errors[0])  # the bug is findable
    ((level, text),) = messages.records
    assert level == "error" and "KeyError" not in text
    assert "Show log file location" in text


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "Connection refused"),
        (OSError(), "network or file problem"),
        (TimeoutError(), "timed out"),
        (RuntimeError(), "Something unexpected went wrong"),
        (ValueError("bad"), "Something unexpected went wrong (bad)"),
    ],
)
def test_no_description_names_an_exception_class(error: BaseException, words: str) -> None:
    text = describe_error(error)
    assert words in text
    assert type(error).__name__ not in text


def test_the_excepthook_keeps_tracebacks_for_bugs_only(
    messages: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    previous = install_excepthook(messages)
    try:
        error = NetworkError("The sandbox could not be reached.")
        sys.excepthook(type(error), error, None)
        assert not [r for r in caplog.records if has_traceback(r) or r.levelno >= logging.ERROR]
        bug = KeyError("x")
        sys.excepthook(type(bug), bug, None)
        assert [r for r in caplog.records if r.levelno >= logging.ERROR and has_traceback(r)]
    finally:
        sys.excepthook = previous
    first_text = messages.records[0][1]
    assert first_text == "The sandbox could not be reached."
