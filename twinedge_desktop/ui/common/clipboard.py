"""Put a secret on the clipboard the way password managers do, and take it back.

:class:`SecretClipboard` copies a secret marked as one for clipboard managers and
history features (KeePassXC's approach), counts down, and clears the clipboard
after a delay, when the application quits and when the SecretClipboard itself is
destroyed (with the page that owns it), but only if the clipboard still holds
*this* secret: if the person has copied something else meanwhile, that is theirs
and stays. To tell, it keeps a salted SHA-256 digest of the secret, never the
secret itself.

Clearing on destruction also keeps a Qt-owned ``QMimeData`` made in Python from
outliving its maker: measured with PySide6 6.11 (offscreen), a process that ends
with such data on the clipboard crashes in Qt's clean-up (exit status 139), and a
later clipboard write in the same process can crash the same way.

Markers, by platform (:func:`secret_mime_data`):

- Linux/BSD: ``x-kde-passwordManagerHint`` = ``secret`` (Klipper, KDE Connect, GPaste
  and others skip such content).
- Windows: ``ExcludeClipboardContentFromMonitorProcessing`` (any data), and
  ``CanIncludeInClipboardHistory`` / ``CanUploadToCloudClipboard`` as a DWORD 0, so
  Win+V history and the cloud clipboard leave it out. Qt maps
  ``application/x-qt-windows-mime;value="NAME"`` to the registered format NAME.
- macOS: ``application/x-nspasteboard-concealed-type``, which Qt's Cocoa plugin
  exposes as ``org.nspasteboard.ConcealedType`` (nspasteboard.org convention).

On X11 the secret also goes to the primary selection (middle-click paste) when
the platform has one, and is cleared from there the same way.

Signals:
    remaining_changed(int): seconds left before the clipboard is cleared (0 = stopped).
    finished(bool): the countdown ended or :meth:`clear_now` ran; True if the secret
        was removed from the clipboard, False if the clipboard had changed and was left alone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
import sys
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication

KDE_HINT_FORMAT = "x-kde-passwordManagerHint"
WINDOWS_EXCLUDE_FORMAT = (
    'application/x-qt-windows-mime;value="ExcludeClipboardContentFromMonitorProcessing"'
)
WINDOWS_HISTORY_FORMAT = 'application/x-qt-windows-mime;value="CanIncludeInClipboardHistory"'
WINDOWS_CLOUD_FORMAT = 'application/x-qt-windows-mime;value="CanUploadToCloudClipboard"'
MACOS_CONCEALED_FORMAT = "application/x-nspasteboard-concealed-type"

_DWORD_ZERO = struct.pack("<I", 0)
_DWORD_ONE = struct.pack("<I", 1)


def secret_mime_data(secret: str, platform: str = sys.platform) -> QMimeData:
    """Mime data carrying ``secret`` as text plus ``platform``'s "this is a secret" markers."""
    mime = QMimeData()
    mime.setText(secret)
    if platform.startswith("win"):
        mime.setData(WINDOWS_EXCLUDE_FORMAT, _DWORD_ONE)
        mime.setData(WINDOWS_HISTORY_FORMAT, _DWORD_ZERO)
        mime.setData(WINDOWS_CLOUD_FORMAT, _DWORD_ZERO)
    elif platform == "darwin":
        mime.setData(MACOS_CONCEALED_FORMAT, secret.encode("utf-8"))
    else:
        mime.setData(KDE_HINT_FORMAT, b"secret")
    return mime


@dataclass
class _Copied:
    """What a SecretClipboard last copied, enough to recognise it: a salted digest, never
    the secret. Apart from the SecretClipboard so its clean-up can run while it is destroyed."""

    salt: bytes = b""
    digest: bytes | None = None
    modes: list[QClipboard.Mode] = field(default_factory=list)

    def remember(self, secret: str, modes: list[QClipboard.Mode]) -> None:
        self.salt = secrets.token_bytes(16)
        self.digest = self.hash(secret)
        self.modes = modes

    def hash(self, text: str) -> bytes:
        return hashlib.sha256(self.salt + text.encode("utf-8")).digest()

    def held_in(self, clipboard: QClipboard, mode: QClipboard.Mode) -> bool:
        if self.digest is None:
            return False
        mime = clipboard.mimeData(mode)
        if mime is None or not mime.hasText():
            return False
        return hmac.compare_digest(self.hash(mime.text()), self.digest)

    def clear_from(self, clipboard: QClipboard) -> bool:
        """Clear every mode that still holds the secret; forget it. True if anything was."""
        cleared = False
        for mode in self.modes:
            if self.held_in(clipboard, mode):
                clipboard.clear(mode)
                cleared = True
        self.salt, self.digest, self.modes = b"", None, []
        return cleared


class SecretClipboard(QObject):
    """Copies one secret at a time; clears it after a delay and on quit if still there."""

    remaining_changed = Signal(int)
    finished = Signal(bool)

    def __init__(
        self,
        clipboard: QClipboard | None = None,
        parent: QObject | None = None,
        *,
        platform: str = sys.platform,
    ) -> None:
        super().__init__(parent)
        self._clipboard = clipboard or QGuiApplication.clipboard()
        self._platform = platform
        self._copied = _Copied()
        self._remaining = 0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        app = QCoreApplication.instance()
        if app is not None:
            # The secret must not outlive the app on the clipboard.
            app.aboutToQuit.connect(self.clear_now)
        # Nor the page that would clear it. Not a method of self: it runs while self goes.
        clipboard_in_use, copied = self._clipboard, self._copied
        self.destroyed.connect(lambda *_: copied.clear_from(clipboard_in_use))

    @property
    def remaining(self) -> int:
        """Seconds until the clipboard is cleared; 0 when nothing is pending."""
        return self._remaining

    @property
    def active(self) -> bool:
        return self._copied.digest is not None

    def copy(self, secret: str, clear_after_seconds: int) -> None:
        """Put ``secret`` on the clipboard (and the X11 selection) and start the countdown.

        ``clear_after_seconds`` <= 0 still clears on quit, but starts no countdown.
        """
        modes = [QClipboard.Mode.Clipboard]
        if self._clipboard.supportsSelection():
            modes.append(QClipboard.Mode.Selection)
        self._copied.remember(secret, modes)
        # Qt takes ownership of each QMimeData it is given: one object per mode, none kept here.
        for mode in modes:
            self._clipboard.setMimeData(secret_mime_data(secret, self._platform), mode)
        self._remaining = max(0, int(clear_after_seconds))
        if self._remaining:
            self._timer.start()
        else:
            self._timer.stop()
        self.remaining_changed.emit(self._remaining)

    def holds_secret(self) -> bool:
        """Whether the clipboard (or the selection) still holds the copied secret."""
        return any(self._copied.held_in(self._clipboard, mode) for mode in self._copied.modes)

    def clear_now(self) -> bool:
        """Clear every mode that still holds the secret; forget it. True if anything was cleared."""
        if self._copied.digest is None:
            return False
        cleared = self._copied.clear_from(self._clipboard)
        self._forget()
        self.finished.emit(cleared)
        return cleared

    def _tick(self) -> None:
        self._remaining = max(0, self._remaining - 1)
        self.remaining_changed.emit(self._remaining)
        if self._remaining == 0:
            self.clear_now()

    def _forget(self) -> None:
        self._timer.stop()
        if self._remaining:
            self._remaining = 0
            self.remaining_changed.emit(0)
