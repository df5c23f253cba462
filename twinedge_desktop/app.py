"""The window's entry point: builds everything in one place and passes it by constructor.

Order matters for a fast first paint: the QApplication, the message bridge and the
main window's first frame are built and the window is shown *before* anything slow is
imported or touched; its menus come right after the paint, then the qasync loop and
the task runner. Then, on the loop, the embedded sandbox (``--sandbox``), the
services (keychain, HTTP client) and the token inspector are created, the feature
pages are built with them (one per loop turn; their modules were imported in a worker
thread meanwhile) and the saved session is restored. httpx, keyring, PyJWT and the
sandbox are imported only then.

Shutdown is orderly: closing the window cancels the UI's tasks (bounded wait),
closes the sessions and the HTTP client and stops the embedded sandbox, then the loop
ends. A renewed sign-in that could still not be saved is said before the app goes (a
last dialog, closed by the person or after :data:`FINAL_WARNING_SECONDS`; also on stderr
and in the log): a person never loses their sign-in silently.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

from twinedge_desktop import APP_NAME, __version__
from twinedge_desktop.config import CLOUD_PROFILE, AppPaths, ConfigError, ProfileStore
from twinedge_desktop.ui.common.messages import MessageBridge
from twinedge_desktop.ui.common.style import ThemeManager
from twinedge_desktop.ui.shell.main_window import MainWindow
from twinedge_desktop.ui.shell.pages import PAGES

# asyncio, qasync, the task runner and the session controller are imported only after
# the window's first paint (see run()); here they are needed for type hints only.
if TYPE_CHECKING:
    import asyncio

    from PySide6.QtCore import QTimer

    from twinedge_desktop.sandbox.embedded import RunningSandbox
    from twinedge_desktop.services import CoreServices
    from twinedge_desktop.ui.account.session_controller import SessionController
    from twinedge_desktop.ui.common.page import SandboxAccess
    from twinedge_desktop.ui.common.tasks import TaskRunner
    from twinedge_desktop.vault import CredentialStore

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT = 3.0
FIRST_PAINT_WAIT = 1.0
FINAL_WARNING_SECONDS = 120.0  # the last dialog waits this long for the person, then the app ends


def install_excepthook(messages: MessageBridge) -> Callable[..., None]:
    """Route uncaught exceptions (including qasync slot errors) to the log and the window."""
    previous = sys.excepthook

    def hook(
        kind: type[BaseException], exc: BaseException, traceback: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, exc, traceback)
            return
        try:
            from twinedge_desktop.ui.common.tasks import describe_error, is_expected

            if is_expected(exc):  # a message for the person: one line, no traceback
                log.info("Not handled where it happened: %s", describe_error(exc))
            else:
                log.error("Uncaught exception", exc_info=(kind, exc, traceback))
            messages.error(describe_error(exc))
        except Exception:  # the bridge is gone during teardown: the log must still have it
            log.error("Uncaught exception", exc_info=(kind, exc, traceback))

    sys.excepthook = hook
    return previous


def _loop_exception_handler(messages: MessageBridge) -> Callable[..., None]:
    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        from twinedge_desktop.redaction import redact
        from twinedge_desktop.ui.common.tasks import describe_error, is_expected

        if isinstance(exc, BaseException) and is_expected(exc):
            log.info("Not handled where it happened: %s", describe_error(exc))
        else:
            log.error(
                "Unhandled error in the event loop: %s",
                redact(str(context.get("message"))),
                exc_info=exc if isinstance(exc, BaseException) else None,
            )
        if isinstance(exc, BaseException):
            messages.error(describe_error(exc))

    return handle


class DesktopApp:
    """Everything the window needs, built once, with one lifetime.

    ``run`` uses it for the real app; the end-to-end tests use it in-process with a
    given credential store and profile store (two instances may share a store to
    show that a second start restores the session).
    """

    def __init__(
        self,
        *,
        paths: AppPaths,
        profiles: ProfileStore,
        messages: MessageBridge,
        runner: TaskRunner,
        settings: QSettings,
        credential_store: CredentialStore | None = None,
        start_sandbox: bool = False,
        open_browser: Callable[[str], bool] | None = None,
        window: MainWindow | None = None,
        freeze_gc: bool = False,
    ) -> None:
        if open_browser is None:  # the system browser (QDesktopServices / $BROWSER)
            from twinedge_desktop.ui.common.browser import open_browser as system_open_browser

            open_browser = system_open_browser

        self.paths = paths
        self.profiles = profiles
        self.messages = messages
        self.runner = runner
        self.settings = settings
        self._open_browser = open_browser
        self._credential_store = credential_store
        self._start_sandbox = start_sandbox
        # The real app (run()) freezes startup's objects; tests that build many apps in
        # one process do not (frozen objects are never collected).
        self._freeze_gc = freeze_gc
        self.services: CoreServices | None = None
        self.sandbox: RunningSandbox | None = None
        self.sandbox_problem: str | None = None  # why --sandbox could not start one
        # ``run`` passes the window it has already painted; tests let it be built here.
        self.window = window or MainWindow(messages=messages, profiles=profiles, settings=settings)
        self.window.build_chrome()

    @property
    def controller(self) -> SessionController:
        """The window's session controller (the Account page's), once :meth:`start` ran."""
        return self.window.account.controller

    async def start(self) -> None:
        """After the first paint: sandbox, services, the pages, then restore the session."""
        import asyncio

        await self._first_paint()
        if self._start_sandbox:
            await self._start_embedded_sandbox()
        # The first import of httpx, keyring and PyJWT takes a few hundred milliseconds
        # of pure Python; done in a worker thread, the window keeps painting meanwhile.
        await asyncio.to_thread(_preload_services)
        # Loaded by now (the preload above): importing them here costs nothing on the loop.
        from twinedge_desktop.api.http import build_http_client
        from twinedge_desktop.services import CoreServices
        from twinedge_desktop.tokens.service import TokenInspector
        from twinedge_desktop.ui.common.page import PageContext

        # Building the client loads the system's CA certificates: also off the loop.
        http = await asyncio.to_thread(build_http_client)
        self.services = await CoreServices.create(
            self.paths, self.profiles, credential_store=self._credential_store, http=http
        )
        context = PageContext(
            runner=self.runner,
            messages=self.messages,
            profiles=self.profiles,
            settings=self.settings,
            services=self.services,
            token_inspector=TokenInspector(self.services.http),
            open_browser=self._open_browser,
            show_sign_in=self.window.show_sign_in,
            sandbox=self.sandbox_access(),
        )
        # One page per loop turn: the window stays responsive while they are built.
        for page in PAGES:
            self.window.install_page(page, context)
            await asyncio.sleep(0)
        self.window.attach_services(context)
        if self._freeze_gc:
            await asyncio.sleep(0)
            freeze_long_lived_objects()
            self._freeze_what_pages_load()

    def _freeze_what_pages_load(self) -> None:
        """Freeze the key list once loaded, and a Health check's keys and report once read
        (see :func:`freeze_long_lived_objects`): ``benchmarks/responsiveness.py``'s Health
        case went from 2 full collections of ~25 ms to 1 of ~4 ms (busy median 19.4 →
        9.6 ms longest stall, measured with this wiring)."""
        from twinedge_desktop.ui.health.page import HealthPage
        from twinedge_desktop.ui.keys.page import KeysPage

        keys, health = self.window.page("keys"), self.window.page("health")
        if isinstance(keys, KeysPage):
            keys.loading_changed.connect(self._keys_loading_changed)
        if isinstance(health, HealthPage):
            health.keys_read.connect(self._freeze_loaded)
            health.checked.connect(self._freeze_loaded)

    def _keys_loading_changed(self, loading: bool) -> None:
        if not loading:
            self._freeze_loaded()

    def _freeze_loaded(self, *_what: object) -> None:
        freeze_long_lived_objects(collect_young=True)

    async def _first_paint(self, limit: float = FIRST_PAINT_WAIT) -> None:
        """Wait (bounded) until the window has painted: the imports below must not delay it."""
        import asyncio

        window = self.window
        if window.painted or not window.isVisible():
            return
        painted = asyncio.get_running_loop().create_future()

        def done() -> None:
            if not painted.done():
                painted.set_result(None)

        window.first_painted.connect(done)
        try:
            await asyncio.wait_for(painted, limit)
        except TimeoutError:
            log.debug("No paint within %.1f s (hidden or offscreen); starting anyway", limit)
        finally:
            window.first_painted.disconnect(done)

    async def _start_embedded_sandbox(self) -> None:
        import asyncio

        from twinedge_desktop.config import SANDBOX_PROFILE_ID, sandbox_profile
        from twinedge_desktop.redaction import register_secret
        from twinedge_desktop.sandbox.datafile import DataFileInUse
        from twinedge_desktop.sandbox.embedded import start_in_thread

        data_file = self.paths.sandbox_data_file
        data_file.parent.mkdir(parents=True, exist_ok=True)
        # Reuse the last run's port when free: the sandbox is its own issuer, so a stable
        # address keeps the saved session's issuer valid across restarts.
        previous = self.profiles.profiles.get(SANDBOX_PROFILE_ID)
        ports = [0]
        if previous is not None:
            from urllib.parse import urlsplit

            last_port = urlsplit(previous.issuer).port
            if last_port:
                ports.insert(0, last_port)
        sandbox: RunningSandbox | None = None
        for port in ports:
            try:
                # demo_data: a fresh data file starts with demo keys that have a usage history.
                sandbox = await asyncio.to_thread(
                    start_in_thread, data_path=str(data_file), port=port, demo_data=True
                )
                break
            except DataFileInUse as exc:  # another window runs the sandbox on this data file
                log.info("Sandbox not started: %s", exc)
                self.sandbox_problem = (
                    "The local sandbox was not started: another TwinEdge Desktop window (or "
                    f"`twinedge-desktop sandbox`) already runs it with {data_file}. Use that "
                    "window, or close it and start this one again."
                )
                self.messages.warning(self.sandbox_problem)
                return
            except OSError:
                log.info("Port %s is taken; the sandbox takes a free one", port)
        if sandbox is None:
            raise RuntimeError("The embedded sandbox could not start.")
        register_secret(sandbox.service_client_secret)  # a demo secret, still never logged
        self.sandbox = sandbox
        self.profiles.put(sandbox_profile(sandbox.base_url), make_current=True)
        try:
            self.profiles.save()
        except OSError as exc:
            self.messages.warning(f"Could not save the profile list: {exc.strerror or exc}")
        # The window was built with the profile before this one: the toolbar's list and the
        # title follow the new current profile.
        self.window.profiles_changed()
        log.info("Embedded sandbox listening at %s", sandbox.base_url)
        # How to sign in to it stays on the Account page while it is signed out.
        self.messages.info(f"Local sandbox running at {sandbox.base_url}.")

    def sandbox_access(self) -> SandboxAccess | None:
        """What the Account page shows of the sandbox this app runs (None: it runs none)."""
        sandbox = self.sandbox
        if sandbox is None:
            return None
        from twinedge_desktop.sandbox.state import DEFAULT_DEMO_PASSWORD, DEMO_USERS
        from twinedge_desktop.ui.common.page import SandboxAccess

        return SandboxAccess(
            base_url=sandbox.base_url,
            demo_users=tuple(user.email for user in DEMO_USERS),
            demo_password=DEFAULT_DEMO_PASSWORD,
            service_client_id=sandbox.service_client_id,
            service_client_secret=sandbox.service_client_secret,
        )

    async def aclose(self, timeout: float = SHUTDOWN_TIMEOUT) -> list[str]:
        """Cancel the UI's tasks (bounded), close the services, stop the sandbox. Returns what
        the person must still be told (a renewed sign-in that could not be saved)."""
        import asyncio

        await self.runner.shutdown(timeout)
        warnings: list[str] = []
        if self.services is not None:
            try:
                # The sessions' last save attempt waits up to 5 s for another process's lock.
                warnings = await asyncio.wait_for(self.services.aclose(), timeout + 5.0)
            except (TimeoutError, OSError):
                log.warning("Closing the services took too long", exc_info=True)
            self.services = None
        for warning in warnings:
            log.warning("%s", warning)  # the log, and stderr for a terminal
        if self.sandbox is not None:
            await asyncio.to_thread(self.sandbox.stop)
            self.sandbox = None
        return warnings


async def show_final_warnings(warnings: list[str], timeout: float = FINAL_WARNING_SECONDS) -> None:
    """The last thing the app says before it ends, when a sign-in could not be saved: a
    dialog the person closes (or that closes itself after ``timeout`` seconds)."""
    import asyncio

    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, f"{APP_NAME} — sign-in not saved", "")
    box.setText("Your renewed sign-in could not be saved in the system keychain.")
    box.setInformativeText("\n\n".join(warnings))
    box.addButton(QMessageBox.StandardButton.Ok)
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def finished(_result: int) -> None:
        if not closed.done():
            closed.set_result(None)

    box.finished.connect(finished)
    box.open()
    try:
        await asyncio.wait_for(closed, timeout)
    except TimeoutError:
        log.info("The last warning was not acknowledged within %.0f s", timeout)
    finally:
        box.deleteLater()


def run(args: argparse.Namespace) -> int:
    """Open the window; returns the process exit code."""
    paths = AppPaths.default()
    existing = QApplication.instance()
    # "-style Fusion" is app.setStyle("Fusion") without creating the Python wrapper of
    # QStyle, ~14 ms of type set-up on the way to the first paint.
    app = existing or QApplication([*sys.argv[:1], "-style", "Fusion"])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("TwinEdge")
    app.setDesktopFileName("io.twinedge.Desktop")
    # The app decides when to quit (after an orderly shutdown), not the last window.
    app.setQuitOnLastWindowClosed(False)
    theme = ThemeManager(app, set_style=existing is not None, exact_scheme=False)
    messages = MessageBridge()
    previous_hook = install_excepthook(messages)

    startup_problem: str | None = None
    try:
        profiles = ProfileStore.load(paths.profiles_file)
    except ConfigError as exc:
        startup_problem = f"{exc} Using the default profile for now."
        profiles = ProfileStore(path=paths.profiles_file)
        profiles.put(CLOUD_PROFILE, make_current=True)
    if profiles.preferences.theme in ("light", "dark"):
        theme.force(profiles.preferences.theme)  # View ▸ Theme, before the first paint
    if getattr(args, "profile", None):
        try:
            profiles.get(args.profile)
            profiles.current_id = args.profile
        except ConfigError as exc:
            startup_problem = str(exc)

    settings = QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat)
    # The shell first (title, navigation, "Restoring session…"); the menus and toolbar
    # right after it is on screen.
    window = MainWindow(messages=messages, profiles=profiles, settings=settings, defer_chrome=True)
    window.show()
    _paint_first(app, window)
    theme.confirm_scheme()
    window.build_chrome()
    window.preferences.use_theme_manager(theme)  # View ▸ Theme switches it live
    theme.use_app_style_sheet()  # the feature pages' looks; costly, so after the paint
    # The packaging's logging (rotated, private, redacted); logging.handlers costs
    # ~20 ms of imports, so after the paint too.
    from twinedge_desktop.logging_setup import configure_logging

    window.help.log_file = configure_logging(paths, bool(getattr(args, "debug", False)))
    log.info("%s %s starting", APP_NAME, __version__)

    # Only now the event loop's machinery: asyncio alone costs more to import than
    # building and painting the window.
    import asyncio

    import qasync

    from twinedge_desktop.ui.common.collector import MainThreadCollector
    from twinedge_desktop.ui.common.tasks import TaskRunner

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(_loop_exception_handler(messages))
    # Before any worker thread runs Python (the imports below, the embedded sandbox):
    # cyclic garbage is collected on this thread only (see ui/common/collector.py).
    collector = MainThreadCollector()
    collector.start()
    runner = TaskRunner(messages)
    desktop = DesktopApp(
        paths=paths,
        profiles=profiles,
        messages=messages,
        runner=runner,
        settings=settings,
        start_sandbox=bool(getattr(args, "sandbox", False)),
        window=window,
        freeze_gc=True,
    )
    if startup_problem:
        messages.warning(startup_problem)

    quit_requested = asyncio.Event()
    window.closed.connect(quit_requested.set)
    app.aboutToQuit.connect(quit_requested.set)
    signal_wakeup = _quit_on_signals(quit_requested.set)

    async def main() -> None:
        runner.start(desktop.start(), name="startup")
        await quit_requested.wait()
        window.hide()
        warnings = await desktop.aclose()
        if warnings:
            await show_final_warnings(warnings)

    exit_code = 0
    try:
        with loop:
            loop.run_until_complete(main())
    except KeyboardInterrupt:
        exit_code = 130
    finally:
        signal_wakeup.stop()
        collector.stop()
        sys.excepthook = previous_hook
        del theme
    log.info("%s stopped", APP_NAME)
    return exit_code


def _quit_on_signals(request_quit: Callable[[], None]) -> QTimer:
    """SIGTERM and SIGINT (a session ending, Ctrl+C in a terminal) quit in order.

    Python runs signal handlers only between its own bytecodes, and while Qt's C++
    loop idles no Python runs at all; a light timer gives the handler its chance.
    The shutdown then goes the usual way: tasks awaited, clients closed, sandbox stopped.
    """
    import signal

    from PySide6.QtCore import QTimer

    def handler(signum: int, frame: object) -> None:
        log.info("Received signal %d: quitting", signum)
        request_quit()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
    wakeup = QTimer()
    wakeup.timeout.connect(lambda: None)
    wakeup.start(200)
    return wakeup


def freeze_long_lived_objects(*, collect_young: bool = False) -> None:
    """Move everything made so far out of the garbage collector's sight.

    The modules, classes and widgets startup made live as long as the app, and a loaded
    key list (or a Health check's findings) until the next load. Left in the collector's
    generations, every full collection walks all of them again (14–28 ms each on the UI
    thread with 10,000 keys loaded, two or three per Health check; measured); frozen, they
    are skipped. Frozen objects are still freed by reference counting when replaced (keys,
    findings and usage hold no cycles); only a cycle frozen here would never be collected,
    so after startup the young generations are collected first (``collect_young``, ~1 ms;
    never a full pass, which would itself be the stall this avoids).
    """
    import gc

    if collect_young:
        gc.collect(1)
    gc.freeze()


def _paint_first(app: QApplication, window: MainWindow, limit: float = 0.5) -> None:
    """Let Qt paint the window before the event loop exists (bounded).

    Not inside a coroutine (nothing else runs yet), so processing events here is safe;
    it puts the window on screen before the slower imports that follow.
    """
    deadline = time.monotonic() + limit
    while not window.painted and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


_PRELOAD = (
    "twinedge_desktop.services",
    # httpx imports its async backend (anyio) at the first request, not at import.
    "anyio._backends._asyncio",
    "twinedge_desktop.tokens.service",
    # The feature pages' modules (class definitions only; widgets are made on the UI thread).
    *(page.module for page in PAGES),
)


def _preload_services() -> None:
    """Import the service stack (httpx, keyring, PyJWT…) and the pages in a worker thread.

    Importing is pure Python holding the GIL in small slices, so the UI thread keeps
    handling events meanwhile; the same imports on the loop would freeze the window.
    A module that fails here fails again where it is used, on the loop, and is shown there.
    """
    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            log.warning("Preloading %s failed", name, exc_info=True)
