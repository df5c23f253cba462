"""configure_logging: a rotated, owner-only, redacted log file; quiet httpx unless --debug."""

from __future__ import annotations

import logging
import stat
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from twinedge_desktop.config import AppPaths
from twinedge_desktop.logging_setup import configure_logging

JWT = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJ1c2VyLTEiLCJzY29wZSI6InJlYWQ6YXNzZXRzIn0.c2lnbmF0dXJlLWJ5dGVz"
)
API_KEY = "te_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6" + "000000"


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Put the root logger and the chatty loggers back as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "qasync")}
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
    logging.captureWarnings(False)


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def test_returns_the_log_file_under_the_log_dir_and_writes_to_it(paths: AppPaths) -> None:
    log_file = configure_logging(paths, debug=False, console=False)

    assert log_file == paths.log_file
    assert log_file.parent == paths.log_dir
    logging.getLogger("twinedge_desktop.test").info("window shown for profile %s", "cloud")
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "window shown for profile cloud" in text
    assert "INFO" in text
    assert "twinedge_desktop.test" in text


def test_secrets_in_messages_and_tracebacks_are_redacted_in_the_file(paths: AppPaths) -> None:
    log_file = configure_logging(paths, debug=True, console=False)
    log = logging.getLogger("twinedge_desktop.auth")

    log.info("Authorization: Bearer %s", JWT)
    log.warning("created key %s", API_KEY)
    log.debug("token response refresh_token=%s&scope=read", "rt-secret-value-123")
    try:
        raise RuntimeError(f"server rejected {JWT}")
    except RuntimeError:
        log.exception("refresh failed")
    _flush()

    text = log_file.read_text(encoding="utf-8")
    assert JWT not in text
    assert JWT.split(".")[1] not in text
    assert API_KEY not in text
    assert "rt-secret-value-123" not in text
    assert text.count("[REDACTED]") >= 4
    # The traceback itself is still there (only the secret is gone).
    assert "RuntimeError: server rejected [REDACTED]" in text
    assert "refresh failed" in text


def test_console_handler_is_redacted_too(
    paths: AppPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    # capsys has replaced sys.stderr already, so the stream handler writes into it.
    configure_logging(paths, debug=False, console=True)
    logging.getLogger("twinedge_desktop").error("could not use %s", API_KEY)
    _flush()

    err = capsys.readouterr().err
    assert "could not use [REDACTED]" in err
    assert API_KEY not in err


def test_console_gets_only_warnings_without_debug(
    paths: AppPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(paths, debug=False, console=True)
    log = logging.getLogger("twinedge_desktop")
    log.info("only in the file")
    log.warning("on the console")
    _flush()

    err = capsys.readouterr().err
    assert "on the console" in err
    assert "only in the file" not in err
    assert "only in the file" in paths.log_file.read_text(encoding="utf-8")


def test_every_installed_handler_has_the_redacting_filter(paths: AppPaths) -> None:
    from twinedge_desktop.redaction import RedactingFilter

    before = set(logging.getLogger().handlers)
    configure_logging(paths, debug=False, console=True)
    installed = [h for h in logging.getLogger().handlers if h not in before]

    assert len(installed) == 2
    for handler in installed:
        assert any(isinstance(f, RedactingFilter) for f in handler.filters), handler


def test_httpx_request_lines_are_dropped_unless_debug(paths: AppPaths) -> None:
    log_file = configure_logging(paths, debug=False, console=False)
    logging.getLogger("httpx").info('HTTP Request: GET https://example.test/v1/me "200 OK"')
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    logging.getLogger("httpx").warning("httpx warning still logged")
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "HTTP Request" not in text
    assert "send_request_headers" not in text
    assert "httpx warning still logged" in text

    configure_logging(paths, debug=True, console=False)
    logging.getLogger("httpx").info('HTTP Request: GET https://example.test/v1/me "200 OK"')
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "HTTP Request: GET https://example.test/v1/me" in text
    assert "send_request_headers.started" in text


def test_debug_changes_the_app_level(paths: AppPaths) -> None:
    log_file = configure_logging(paths, debug=False, console=False)
    logging.getLogger("twinedge_desktop").debug("hidden detail")
    configure_logging(paths, debug=True, console=False)
    logging.getLogger("twinedge_desktop").debug("shown detail")
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "hidden detail" not in text
    assert "shown detail" in text


def test_calling_twice_does_not_duplicate_lines(paths: AppPaths) -> None:
    configure_logging(paths, debug=False, console=False)
    log_file = configure_logging(paths, debug=False, console=False)
    logging.getLogger("twinedge_desktop").warning("exactly once")
    _flush()
    assert log_file.read_text(encoding="utf-8").count("exactly once") == 1


def test_the_file_rotates_and_keeps_a_bounded_number_of_backups(paths: AppPaths) -> None:
    log_file = configure_logging(paths, debug=False, console=False, max_bytes=2_000, backup_count=2)
    log = logging.getLogger("twinedge_desktop")
    for number in range(200):
        log.info("line %03d %s", number, "x" * 60)
    _flush()

    files = sorted(p.name for p in log_file.parent.iterdir())
    assert files == [log_file.name, log_file.name + ".1", log_file.name + ".2"]
    for name in files:
        assert (log_file.parent / name).stat().st_size <= 2_000
    assert "line 199" in log_file.read_text(encoding="utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_log_files_are_private_to_their_owner(paths: AppPaths) -> None:
    log_file = configure_logging(paths, debug=False, console=False, max_bytes=500, backup_count=1)
    for number in range(30):
        logging.getLogger("twinedge_desktop").info("line %d %s", number, "y" * 40)
    _flush()

    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(f"{log_file}.1").stat().st_mode) == 0o600


def test_python_warnings_reach_the_log(paths: AppPaths) -> None:
    log_file = configure_logging(paths, debug=False, console=False)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("deprecated thing used", DeprecationWarning, stacklevel=1)
    _flush()
    assert "deprecated thing used" in log_file.read_text(encoding="utf-8")


def test_an_unwritable_log_dir_falls_back_to_stderr_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log directory should be", encoding="utf-8")
    paths = AppPaths(tmp_path / "config", tmp_path / "data", blocker / "logs")

    log_file = configure_logging(paths, debug=False, console=False)
    logging.getLogger("twinedge_desktop").error("still reported with %s", API_KEY)
    _flush()

    assert log_file == paths.log_file
    assert not log_file.exists()
    err = capsys.readouterr().err
    assert f"Cannot write the log file {log_file}" in err
    assert "still reported with [REDACTED]" in err


def test_qasync_callback_lines_stay_out_even_with_debug(paths: AppPaths) -> None:
    log_file = configure_logging(paths, debug=True, console=False)
    logging.getLogger("qasync._QThreadWorker").debug("Invoking callback")
    logging.getLogger("qasync").info("qasync info line")
    logging.getLogger("twinedge_desktop").debug("app debug line")
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "Invoking callback" not in text
    assert "qasync info line" in text
    assert "app debug line" in text


def test_registered_secrets_and_repr_forms_are_redacted_in_the_file(paths: AppPaths) -> None:
    from twinedge_desktop.redaction import forget_all_secrets, register_secret

    log_file = configure_logging(paths, debug=True, console=False)
    log = logging.getLogger("twinedge_desktop.auth.session")
    held = "bare-opaque-refresh-credential"
    register_secret(held)
    try:
        log.info("stored %s", held)
        log.info("token response %r", {"refresh_token": "rt-in-a-repr", "expires_in": 3600})
        log.info("callback %s", "/cb?next=%2Fx%3Fcode%3Dencoded-code-value%26state%3Ds")
        try:
            raise ValueError(f"keychain write failed for {held}")
        except ValueError:
            log.exception("write failed")
        _flush()
    finally:
        forget_all_secrets()

    text = log_file.read_text(encoding="utf-8")
    for secret in (held, "rt-in-a-repr", "encoded-code-value"):
        assert secret not in text
    assert "ValueError: keychain write failed for [REDACTED]" in text
    assert "'expires_in': 3600" in text
