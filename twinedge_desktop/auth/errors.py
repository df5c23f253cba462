"""Sign-in and session errors, each worded for the person who will read it.

``str(exc)`` equals ``exc.user_message`` and never contains a secret: server
supplied text is redacted and shortened before it is included.
"""

from __future__ import annotations

from twinedge_desktop.api.errors import clean_server_text as clean_server_text

# The keychain's error, re-exported so the window can recognise it with isinstance: views
# never import the vault (tests/unit/test_layering.py), but they may import auth.
from twinedge_desktop.vault import KeychainUnavailable as KeychainUnavailable


class SignInError(Exception):
    """Sign-in did not complete. ``error`` is the OAuth error code when there is one."""

    default_message = "Sign-in did not complete."

    def __init__(self, user_message: str | None = None, *, error: str | None = None) -> None:
        self.user_message = user_message or self.default_message
        self.error = error
        super().__init__(self.user_message)

    def __str__(self) -> str:
        return self.user_message


class SignInDenied(SignInError):
    """The person (or the server's policy) declined the request (``access_denied``)."""

    default_message = (
        "Sign-in was declined: access was denied at the consent page. "
        "Sign in again and choose Allow to continue."
    )


class SignInTimedOut(SignInError):
    default_message = (
        "Sign-in timed out: the browser did not come back to the app in time. Try again."
    )


class StateMismatch(SignInError):
    """The callback's ``state`` was missing or wrong: possibly a forged redirect."""

    default_message = (
        "Sign-in was stopped: the browser returned a response that does not belong to this "
        "sign-in (state mismatch). This can happen with an old or forged link. Try again."
    )


class IssuerMismatch(SignInError):
    """RFC 9207: the callback's ``iss`` was missing or named another server (mix-up attack)."""

    default_message = (
        "Sign-in was stopped: the response came from a different authorization server than "
        "the one this sign-in started with (issuer mismatch). Try again."
    )


class SignInCancelled(SignInError):
    default_message = "Sign-in was cancelled."


class DiscoveryError(SignInError):
    """The issuer's metadata could not be read or is not usable."""

    default_message = "The authorization server's settings could not be read."


class SignedOut(SignInError):
    """The stored sign-in is no longer accepted: the person must sign in again."""

    default_message = (
        "You have been signed out: the server no longer accepts the saved sign-in "
        "(it was revoked, expired or used elsewhere). Sign in again."
    )
