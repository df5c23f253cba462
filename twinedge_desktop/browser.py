"""Open a link in the person's browser, honouring ``$BROWSER`` the way xdg-utils and Python do.

The command line and the window both use this (no Qt here), so ``$BROWSER`` means
the same everywhere:

- a list of commands separated by ``os.pathsep`` (``:`` on Linux and macOS), tried in
  order: ``BROWSER="firefox:chromium"``;
- each with its own arguments: ``BROWSER="firefox --new-window"``;
- ``%s`` stands for the link, ``%%`` for a literal ``%``; without ``%s`` the link is
  appended as the last argument (xdg-open's and ``webbrowser``'s rule);
- run without a shell (``shlex`` splits the words, so the link is always one
  argument and never interpreted), detached in its own session, never waited for:
  a browser that stays open does not hold up the sign-in.

An entry is skipped when it cannot be started (no such program, not executable,
unbalanced quotes) or when it exits with an error within ``QUICK_FAILURE_SECONDS``
(a launcher that could not reach a browser); the next one is tried. Without
``$BROWSER`` the standard library's :mod:`webbrowser` picks the platform's browser,
in a daemon thread since some of its launchers wait for the browser to exit.
Console browsers (``w3m``, ``lynx``) are not run: they would take over the
terminal that shows the sign-in link.

The link is never logged: a sign-in link carries the PKCE challenge and state.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

BROWSER_ENV = "BROWSER"
# A launcher that fails this quickly did not open anything: try the next entry.
QUICK_FAILURE_SECONDS = 2.0

_PLACEHOLDER = re.compile(r"%[%s]")


@dataclass(frozen=True)
class BrowserCommand:
    """One ``$BROWSER`` entry, split into words (``%s`` and ``%%`` not yet substituted)."""

    words: tuple[str, ...]

    def argv(self, url: str) -> list[str]:
        """The command for ``url``: ``%s`` is the link, ``%%`` a ``%``; no ``%s``: appended."""
        has_placeholder = any("%s" in _PLACEHOLDER.findall(word) for word in self.words)
        argv = [
            _PLACEHOLDER.sub(lambda m: url if m.group() == "%s" else "%", word)
            for word in self.words
        ]
        if not has_placeholder:
            argv.append(url)
        return argv


def parse_browser_variable(value: str) -> list[BrowserCommand]:
    """The commands of a ``$BROWSER`` value, in order; entries that cannot be split are
    skipped (with a log line), empty ones ignored."""
    commands: list[BrowserCommand] = []
    for entry in value.split(os.pathsep):
        if not entry.strip():
            continue
        try:
            words = shlex.split(entry)
        except ValueError:
            log.warning("Skipping a $BROWSER entry that cannot be split into words")
            continue
        if words:
            commands.append(BrowserCommand(tuple(words)))
    return commands


def _start_detached(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    if sys.platform == "win32":
        flags = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
        return subprocess.Popen(  # noqa: S603 - the person's own $BROWSER, without a shell
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            creationflags=flags,
        )
    return subprocess.Popen(  # noqa: S603 - the person's own $BROWSER, without a shell
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,  # not killed with the terminal's process group
    )


def _launch_first(commands: Sequence[BrowserCommand], url: str) -> bool:
    """Start the first command that can be started; watch it for a quick failure."""
    for index, command in enumerate(commands):
        argv = command.argv(url)
        try:
            process = _start_detached(argv)
        except OSError as exc:
            log.info("$BROWSER entry %r could not be started (%s)", argv[0], exc.strerror or exc)
            continue
        log.info("Opened the browser with $BROWSER entry %r", argv[0])
        watcher = threading.Thread(
            target=_watch,
            args=(process, list(commands[index + 1 :]), url),
            name="browser-watch",
            daemon=True,
        )
        watcher.start()
        return True
    return False


def _watch(process: subprocess.Popen[bytes], rest: list[BrowserCommand], url: str) -> None:
    """Reap the browser process; if it failed at once, try the remaining entries."""
    try:
        code = process.wait(timeout=QUICK_FAILURE_SECONDS)
    except subprocess.TimeoutExpired:
        process.wait()  # still running: a browser; reap it whenever it ends
        return
    if code != 0:
        log.info("The $BROWSER entry exited with status %s at once; trying the next", code)
        if rest and not _launch_first(rest, url):
            log.warning("No $BROWSER entry opened the link; it can be copied instead")


def open_with_browser_variable(url: str, value: str) -> bool:
    """Open ``url`` with the ``$BROWSER`` value ``value``; False when no entry could start.

    Returns at once (nothing is waited for); call it from any thread or the event loop.
    The window's ``ui/browser.py`` calls this when ``$BROWSER`` is set.
    """
    return _launch_first(parse_browser_variable(value), url)


def has_display() -> bool:
    """Whether a graphical browser can appear (always on Windows and macOS)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_url(url: str, *, environ: Mapping[str, str] | None = None) -> bool:
    """Open ``url``: ``$BROWSER`` when set, else the platform's browser via :mod:`webbrowser`
    when there is a display. False when nothing was asked to open it (the caller shows
    the link instead). Never blocks on the browser."""
    env = os.environ if environ is None else environ
    value = env.get(BROWSER_ENV)
    if value:
        return open_with_browser_variable(url, value)
    if not has_display():
        return False  # no display (SSH, a container): never start a console browser
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    threading.Thread(
        target=_open_quietly, args=(browser, url), name="open-browser", daemon=True
    ).start()
    return True


def _open_quietly(browser: object, url: str) -> None:
    try:
        browser.open(url, new=2)  # type: ignore[attr-defined]
    except Exception:  # the link is shown to the person; a failing launcher only gets a log line
        log.warning("The browser could not be started", exc_info=True)


__all__ = [
    "BROWSER_ENV",
    "BrowserCommand",
    "has_display",
    "open_url",
    "open_with_browser_variable",
    "parse_browser_variable",
]
