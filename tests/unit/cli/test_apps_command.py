"""The ``apps`` command's pure parts: argument parsing, local checks (terminal safety:
test_terminal_output.py)."""

from __future__ import annotations

import pytest

from twinedge_desktop.cli import build_parser
from twinedge_desktop.cli.apps import _check_new_app, _scopes, _table
from twinedge_desktop.cli.common import UsageError


def test_scopes_may_be_given_in_any_usual_form() -> None:
    assert _scopes(["read:assets", "read:alerts,write:alerts", "read:assets  admin"]) == [
        "read:assets", "read:alerts", "write:alerts", "admin",
    ]  # fmt: skip


def test_create_is_checked_locally_with_every_reason() -> None:
    args = build_parser().parse_args(
        ["apps", "create", "two\nlines", "--type", "native", "--redirect-uri",
         "http://localhost/cb", "com.example.app:/cb", "--scope", "read:nothing"]
    )  # fmt: skip
    with pytest.raises(UsageError) as caught:
        _check_new_app(args)
    message = str(caught.value)
    assert "The name contains a control character" in message
    assert "--redirect-uri http://localhost/cb use 127.0.0.1 or [::1]" in message
    assert "com.example.app:/cb" not in message  # the good URI is not blamed
    assert "--scope: unknown scope: read:nothing" in message
    ok = build_parser().parse_args(
        ["apps", "create", "ok", "--type", "service", "--scope", "read:assets"]
    )
    _check_new_app(ok)


def test_the_table_lines_up_and_has_no_trailing_spaces() -> None:
    text = _table([("A", "BB", "C"), ("long value", "x", "")])
    assert text.splitlines() == ["A           BB  C", "long value  x"]
