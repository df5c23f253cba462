"""The signed-out side of the Account page: restoring, sign-in, waiting for the browser, failures.

Every state says what is happening and what the person can do next:
- restoring: the saved session is being read from the keychain;
- signed out: "Sign in with your browser" first, service and API-key sign-in second;
- waiting: the browser has the sign-in; Cancel, "Copy sign-in link", time left;
- failed: a title and message of their own for denial, timeout, state/issuer
  mismatch and network failure, with "Try again" (which repeats the way that failed:
  a failed service-account sign-in reopens its dialog);
- no keychain: why, "Try the keychain again" and "Continue without remembering"; the
  browser and service-account sign-ins wait for one of them (an API key needs none).

The local sandbox's profile also shows how to sign in to it (:class:`SandboxCard`), for
as long as it is signed out; a sandbox that cannot be reached suggests ``--sandbox``.

Signals:
    service_sign_in_requested(): the person chose "Service account…".
    api_key_requested(): the person chose "Use an API key…".
    retry_requested(): the person chose "Try again" after a failure (the view repeats
        ``controller.last_failure.flow``).
    continue_without_keychain_requested(): the person accepted not remembering the sign-in.
    retry_keychain_requested(): the person asked to open the system keychain again.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from twinedge_desktop.auth.kinds import SessionState
from twinedge_desktop.config import SANDBOX_PROFILE_ID
from twinedge_desktop.timefmt import format_duration
from twinedge_desktop.ui.account.sandbox_card import SandboxCard
from twinedge_desktop.ui.account.session_controller import (
    FailureKind,
    SessionController,
    SignInFlow,
)
from twinedge_desktop.ui.common.messages import MessageLevel
from twinedge_desktop.ui.common.style import icon, set_role
from twinedge_desktop.ui.common.widgets import Banner, centered_column
from twinedge_desktop.ui.common.widgets import label as _label


class SignInPage(QWidget):
    """What the Account page shows while nobody is signed in (see module docstring)."""

    service_sign_in_requested = Signal()
    api_key_requested = Signal()
    retry_requested = Signal()
    continue_without_keychain_requested = Signal()
    retry_keychain_requested = Signal()

    def __init__(
        self,
        controller: SessionController,
        parent: QWidget | None = None,
        *,
        sandbox_card: SandboxCard | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._sandbox_running_here = False
        self.sandbox_card = sandbox_card or SandboxCard(lambda: 30)
        self.checking_keychain = False  # "Try the keychain again" is under way
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._update_remaining)

        self.stack = QStackedWidget()
        self.restoring_view = self._build_restoring()
        self.signed_out_view = self._build_signed_out()
        self.waiting_view = self._build_waiting()
        for view in (self.restoring_view, self.signed_out_view, self.waiting_view):
            self.stack.addWidget(view)

        centered_column(self, self.stack, max_width=620)

        controller.changed.connect(self.refresh)
        controller.waiting.connect(lambda *_: self.refresh())
        self.refresh()

    # --- views -------------------------------------------------------------------------
    def _build_restoring(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setSpacing(12)
        self.restoring_title = _label("Restoring session…", "heading")
        self.restoring_detail = _label(
            "Reading your saved sign-in from the system keychain. "
            "This window is ready to use meanwhile.",
            "muted",
        )
        bar = QProgressBar()
        bar.setRange(0, 0)  # indeterminate: we cannot know how long the keychain takes
        bar.setTextVisible(False)
        bar.setMaximumHeight(6)
        bar.setAccessibleName("Restoring session")
        layout.addWidget(self.restoring_title)
        layout.addWidget(self.restoring_detail)
        layout.addWidget(bar)
        return view

    def _build_signed_out(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setSpacing(14)
        self.title = _label("Sign in to TwinEdge", "heading")
        self.intro = _label(
            "Your browser opens TwinEdge's sign-in page. After you sign in and allow access, "
            "you come back here automatically. Your password never passes through this app.",
            "muted",
        )
        self.keychain_banner = Banner(MessageLevel.WARNING)
        self.retry_keychain_button = QPushButton(icon("refresh"), "Try the keychain again")
        self.retry_keychain_button.setAccessibleName("Open the system keychain again")
        self.retry_keychain_button.setToolTip(
            "Open the system keychain again (after unlocking it, or starting its service)"
        )
        self.retry_keychain_button.clicked.connect(self.retry_keychain_requested)
        self.continue_button = QPushButton("Continue without remembering")
        self.continue_button.setAccessibleName("Continue without remembering the sign-in")
        self.continue_button.clicked.connect(self.continue_without_keychain_requested)
        self.keychain_banner.add_button(self.continue_button)
        self.keychain_banner.add_button(self.retry_keychain_button)

        self.failure_banner = Banner(MessageLevel.ERROR)
        self.retry_button = QPushButton(icon("refresh"), "Try again")
        self.retry_button.setAccessibleName("Try signing in again")
        self.retry_button.clicked.connect(self.retry_requested)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(self._controller.dismiss_failure)
        self.failure_banner.add_button(self.dismiss_button)
        self.failure_banner.add_button(self.retry_button)

        self.sign_in_button = QPushButton("Sign in with your browser")
        set_role(self.sign_in_button, "primary")
        self.sign_in_button.setIcon(icon("browser", QPalette.ColorRole.HighlightedText))
        self.sign_in_button.setToolTip("Sign in with your browser (Ctrl+L)")
        self.sign_in_button.setAccessibleName("Sign in with your browser")
        self.sign_in_button.setMinimumHeight(40)
        self.sign_in_button.clicked.connect(self._controller.sign_in_with_browser)

        self.busy_label = _label("Signing in…", "muted")
        other = _label("Other ways to sign in", "subheading")
        self.service_button = QPushButton(icon("service"), "Service account…")
        self.service_button.setToolTip(
            "Sign in as a service account with a client id and secret (client credentials)"
        )
        self.service_button.setAccessibleName("Sign in as a service account")
        self.service_button.clicked.connect(self.service_sign_in_requested)
        self.api_key_button = QPushButton(icon("key"), "Use an API key…")
        self.api_key_button.setToolTip("Check what an API key can read (read-only)")
        self.api_key_button.setAccessibleName("Use an API key for read-only checks")
        self.api_key_button.clicked.connect(self.api_key_requested)
        others = QHBoxLayout()
        others.addWidget(self.service_button)
        others.addWidget(self.api_key_button)
        others.addStretch(1)

        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addWidget(self.keychain_banner)
        layout.addWidget(self.failure_banner)
        row = QHBoxLayout()
        row.addWidget(self.sign_in_button)
        row.addWidget(self.busy_label)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addSpacing(16)
        layout.addWidget(other)
        layout.addLayout(others)
        layout.addSpacing(8)
        layout.addWidget(self.sandbox_card)
        return view

    def _build_waiting(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setSpacing(14)
        self.waiting_title = _label("Continue in your browser", "heading")
        self.waiting_detail = _label("", "muted")
        self.remaining_label = _label("", "countdown")
        self.remaining_label.setAccessibleName("Time left to sign in")
        self.remaining_bar = QProgressBar()
        self.remaining_bar.setTextVisible(False)
        self.remaining_bar.setMaximumHeight(6)
        self.remaining_bar.setAccessibleName("Time left to sign in")
        self.no_browser_hint = _label(
            "No browser opened? Copy the sign-in link and paste it into a browser "
            "on this computer.",
            "muted",
        )
        self.copy_link_button = QPushButton(icon("copy"), "Copy sign-in link")
        self.copy_link_button.setToolTip("Copy the sign-in link (Ctrl+Shift+C)")
        self.copy_link_button.setAccessibleName("Copy sign-in link")
        self.copy_link_button.clicked.connect(self.copy_link)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setToolTip("Stop waiting for the browser (Esc)")
        self.cancel_button.setAccessibleName("Cancel sign-in")
        self.cancel_button.setShortcut("Esc")
        self.cancel_button.clicked.connect(self._controller.cancel_sign_in)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_link_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addWidget(self.waiting_title)
        layout.addWidget(self.waiting_detail)
        layout.addWidget(self.remaining_label)
        layout.addWidget(self.remaining_bar)
        layout.addLayout(buttons)
        layout.addWidget(self.no_browser_hint)
        return view

    # --- state -------------------------------------------------------------------------
    def set_keychain_problem(self, message: str | None) -> None:
        """Show (or hide, with None) why the keychain cannot remember the sign-in."""
        self.checking_keychain = False
        self._controller.set_keychain_unavailable(message)
        self.refresh()

    def set_sandbox(self, running_here: bool) -> None:
        """Whether the app runs the sandbox itself (then "unreachable" means something else)."""
        self._sandbox_running_here = running_here
        self.refresh()

    def refresh(self) -> None:
        controller = self._controller
        state = controller.state  # None: no session bound yet (the services are starting)
        if controller.signing_in and (controller.authorization_url or controller.deadline):
            self._show_waiting()
            return
        self._tick.stop()
        if state is None or state is SessionState.RESTORING or controller.restoring:
            self.restoring_title.setText("Restoring session…")
            self.stack.setCurrentWidget(self.restoring_view)
            return
        self._show_signed_out()

    def _on_sandbox(self) -> bool:
        session = self._controller.session
        return session is not None and session.profile.id == SANDBOX_PROFILE_ID

    def _show_signed_out(self) -> None:
        controller = self._controller
        session = controller.session
        name = session.profile.name if session is not None else "TwinEdge"
        self.title.setText(f"Sign in to {name}")
        problem = controller.keychain_unavailable
        self.keychain_banner.setVisible(problem is not None)
        if problem is not None:
            self.keychain_banner.set_text(
                "Your sign-in cannot be remembered",
                f"{problem}\n\nTwinEdge Desktop never writes tokens to a file. Try the "
                "keychain again once it is unlocked or running, or continue without "
                "remembering: you stay signed in until you quit.",
            )
        self.retry_keychain_button.setEnabled(not self.checking_keychain)
        self.retry_keychain_button.setText(
            "Opening the keychain…" if self.checking_keychain else "Try the keychain again"
        )
        self._show_failure()
        busy = controller.busy or controller.signing_in
        self.busy_label.setVisible(busy)
        for button in (self.sign_in_button, self.service_button):
            button.setEnabled(controller.can_sign_in)
        self.api_key_button.setEnabled(controller.can_use_api_key)
        self.sandbox_card.setVisible(self._on_sandbox())
        self.stack.setCurrentWidget(self.signed_out_view)

    def _show_failure(self) -> None:
        controller = self._controller
        failure = controller.last_failure
        if (
            failure is not None
            and failure.kind is FailureKind.KEYCHAIN
            and controller.keychain_unavailable is not None
        ):
            failure = None  # the keychain banner above says it, with what to do
        self.failure_banner.setVisible(failure is not None)
        if failure is None:
            return
        message = failure.message
        if failure.kind is FailureKind.NETWORK and self._on_sandbox():
            if self._sandbox_running_here:
                message += " The local sandbox this app started did not answer: restart the app."
            else:
                message += (
                    " Is the local sandbox running? Start TwinEdge Desktop with --sandbox "
                    "(it runs one itself), or run `twinedge-desktop sandbox` in a terminal."
                )
        self.failure_banner.set_text(failure.title, message)
        # Try again repeats what failed; a sign-in the server ended is not retried as such
        # (the buttons below start a new one).
        ended = failure.flow is SignInFlow.RESTORE and failure.kind is FailureKind.SIGNED_OUT
        self.retry_button.setVisible(not ended)
        asks_again = failure.flow in (SignInFlow.SERVICE, SignInFlow.API_KEY)
        self.retry_button.setText("Try again…" if asks_again else "Try again")
        api_key = failure.flow is SignInFlow.API_KEY
        self.retry_button.setEnabled(
            controller.can_use_api_key if api_key else controller.can_sign_in
        )

    def _show_waiting(self) -> None:
        controller = self._controller
        session = controller.session
        where = session.profile.name if session is not None else "TwinEdge"
        if controller.authorization_url:
            self.waiting_detail.setText(
                f"Your browser shows the {where} sign-in page. Sign in there and choose "
                "Allow; this window updates by itself when you are done."
            )
        else:
            self.waiting_detail.setText(f"Contacting {where} to prepare the sign-in…")
        self.copy_link_button.setEnabled(controller.authorization_url is not None)
        self.remaining_bar.setRange(0, max(1, int(controller.sign_in_timeout)))
        self._update_remaining()
        if not self._tick.isActive():
            self._tick.start()
        self.stack.setCurrentWidget(self.waiting_view)

    def _update_remaining(self) -> None:
        deadline = self._controller.deadline
        if deadline is None:
            self.remaining_label.setText("")
            return
        left = deadline - time.monotonic()
        self.remaining_label.setText(f"Time left: {format_duration(max(0.0, left))}")
        self.remaining_bar.setValue(max(0, math.ceil(left)))

    def copy_link(self) -> None:
        url = self._controller.authorization_url
        if url:
            # The link holds no secret: PKCE keeps the verifier here, and the state
            # alone is useless without it. It is still not logged.
            QGuiApplication.clipboard().setText(url)
            self.copy_link_button.setText("Copied")
            QTimer.singleShot(2000, self, self._reset_copy_label)

    def _reset_copy_label(self) -> None:
        self.copy_link_button.setText("Copy sign-in link")
