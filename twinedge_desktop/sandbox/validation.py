"""Input rules shared by every sandbox endpoint: JSON bodies, names, times, numbers, cursors.

Bad input of every kind gets a 400 (malformed) or a 422 naming its ``field`` and never a
500 or a stored value that breaks a later reader. Each rule exists because a hostile
review found a request that got past the old checks (issue 15):

- JSON nested 5,000 deep made :func:`json.loads` raise ``RecursionError`` (a 500);
  ``NaN``/``Infinity`` (not JSON, RFC 8259 §6) got in and poisoned the clock control;
  a duplicated member name let two parsers read two different bodies.
- A lone surrogate (``"\\ud800"``) in a name could not be stored (a 500); bidi overrides,
  controls and invisible names made a key's name lie in every list that shows it.
- ``expires_at`` ``9999-12-31T23:59:59-23:59`` is year 10000 in UTC: stored, it broke
  every later key list of the organisation. Python's ``fromisoformat`` also accepts
  ISO 8601 forms that RFC 3339 does not (basic format, week dates).
- ``int()`` takes ``"١٢"``, ``" 5"`` and ``"+5"``; a cursor holding 2^63 overflowed SQLite.

Plain functions raising :class:`~twinedge_desktop.sandbox.problems.Problem`; no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request

from twinedge_desktop.sandbox.problems import Problem, invalid_request, validation

# -- JSON bodies ----------------------------------------------------------------------------

# Deeper than any body the contract defines (the deepest is an object of lists: 2) with
# room for clients that wrap; far below the interpreter's recursion limit.
MAX_JSON_DEPTH = 32


class _DuplicateMember(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):  # 1e400: a number no reader can hold
        raise ValueError("number out of range")
    return value


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateMember(key)
        result[key] = value
    return result


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit``; iterative, so depth costs no stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_json(raw: bytes) -> Any:
    """A request body as JSON (RFC 8259), or a 400 that says what is wrong with it.

    Refused: invalid JSON, ``NaN``/``Infinity`` and numbers too large for a float,
    duplicated member names and nesting deeper than :data:`MAX_JSON_DEPTH`.
    """
    try:
        value = json.loads(
            raw,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_members,
        )
    except _DuplicateMember as duplicate:
        name = printable_excerpt(str(duplicate))
        raise invalid_request(f"the JSON body names the member {name!r} twice") from None
    except RecursionError:
        raise invalid_request(
            f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise invalid_request("the body is not valid JSON") from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise invalid_request(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep")
    return value


async def read_json(request: Request) -> Any:
    """A request's JSON body (``Content-Type: application/json``, else 415), read by
    :func:`parse_json`'s rules."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise Problem(
            415, "invalid_request", "the body must be JSON (Content-Type: application/json)"
        )
    return parse_json(await request.body())


def printable_excerpt(text: str, limit: int = 40) -> str:
    """``text`` safe to quote in an error message: at most ``limit`` characters, anything
    unprintable (controls, surrogates, bidi controls) escaped as ``\\uXXXX``."""
    shown = "".join(
        char if _is_safe_to_show(char) else f"\\u{ord(char):04x}" for char in text[:limit]
    )
    return shown + ("…" if len(text) > limit else "")


def _is_safe_to_show(char: str) -> bool:
    return char == " " or (unicodedata.category(char)[0] in "LNPSM" and char not in _BIDI_CONTROLS)


# -- names --------------------------------------------------------------------------------

# Unicode's Bidi_Control characters: embeddings, overrides, isolates and marks. A name
# with them can display as something else ("Trojan Source", CVE-2021-42574).
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Letters that render as nothing (Hangul fillers): a name of them looks empty.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Cc: C0/C1 controls; Cs: lone surrogates (cannot be stored as UTF-8); Cn: unassigned;
# Co: private use (no agreed glyph); Zl/Zp: line and paragraph separators.
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cs": "a lone surrogate",
    "Cn": "an unassigned code point",
    "Co": "a private-use character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}


def display_name(value: Any, *, field: str, max_length: int) -> str:
    """A name people read in lists: a string of 1 to ``max_length`` characters after
    trimming spaces, with something visible and nothing that hides or reorders text."""
    if not isinstance(value, str):
        raise validation(field, f"{field} is required and must be a string")
    for char in value:
        category = unicodedata.category(char)
        reason = _REFUSED_CATEGORIES.get(category)
        if reason is None and char in _BIDI_CONTROLS:
            reason = "a bidirectional control character"
        if reason is not None:
            raise validation(field, f"{field} must not contain {reason} (U+{ord(char):04X})")
    name = value.strip()
    if not name:
        raise validation(field, f"{field} must not be empty")
    if len(name) > max_length:
        raise validation(field, f"{field} must be 1 to {max_length} characters")
    if not any(
        unicodedata.category(char)[0] in "LNPS" and char not in _INVISIBLE_LETTERS for char in name
    ):
        raise validation(field, f"{field} must contain a visible character")
    return name


# -- RFC 3339 times ------------------------------------------------------------------------

# RFC 3339 §5.6 date-time, exactly: full-date "T" full-time with a mandatory offset.
# ("T"/"Z" may be lower case, §5.6 NOTE.) Nothing else of ISO 8601: no basic format, no
# week or ordinal dates, no missing seconds or offset, ASCII digits only.
_RFC3339 = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<offset_hour>[0-9]{2}):(?P<offset_minute>[0-9]{2}))"
)
# The last instant every reader can print as four-digit-year RFC 3339 in UTC.
LATEST_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
EARLIEST_TIME = datetime(1, 1, 2, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_rfc3339(value: Any, *, field: str) -> datetime:
    """An RFC 3339 date-time string as an aware UTC datetime, else a 422 naming ``field``.

    Refused besides the grammar: impossible dates and times (Feb 30, 24:00, leap second 60,
    which Python cannot represent), offsets of 24 h or more, and instants whose UTC form
    would need a five-digit year. Hand-written: ``ciso8601.parse_rfc3339`` (the strict
    parser on PyPI) accepts ordinal dates such as ``2030-001T00:00:00Z``, and
    ``datetime.fromisoformat`` accepts ISO 8601's other forms.
    """
    if not isinstance(value, str):
        raise validation(field, f"{field} must be an RFC 3339 date-time string")
    match = _RFC3339.fullmatch(value) if len(value) <= 64 else None
    if match is None:
        raise validation(
            field,
            f"{field} must be an RFC 3339 date-time with seconds and an offset, "
            "e.g. 2030-01-31T12:00:00Z",
        )
    parts = match.groupdict()
    try:
        if parts["utc"]:
            zone: timezone = UTC
        else:
            if int(parts["offset_minute"]) > 59:
                raise ValueError("offset minutes")
            offset = timedelta(hours=int(parts["offset_hour"]), minutes=int(parts["offset_minute"]))
            zone = timezone(-offset if parts["sign"] == "-" else offset)  # ValueError ≥ 24 h
        fraction = (parts["fraction"] or "")[:6].ljust(6, "0")
        moment = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"]),
            int(fraction),
            tzinfo=zone,
        )
    except ValueError:
        raise validation(field, f"{field} is not a date and time that exists") from None
    # Aware subtraction never overflows; astimezone() would for 9999-12-31T23:59:59-23:59.
    since_epoch = moment - _EPOCH
    if since_epoch > LATEST_TIME - _EPOCH:
        raise validation(field, f"{field} must be before the year 10000 in UTC")
    if since_epoch < -(_EPOCH - EARLIEST_TIME):
        raise validation(field, f"{field} must be after the year 1 in UTC")
    in_utc = _EPOCH + since_epoch
    return in_utc


# -- query parameters ----------------------------------------------------------------------


def query_value(params: QueryParams, name: str) -> str | None:
    """The one value of query parameter ``name``; a 422 when it is given more than once
    (two parsers could pick different ones)."""
    values = params.getlist(name)
    if len(values) > 1:
        raise validation(name, f"{name} is given more than once")
    return values[0] if values else None


def refuse_unknown_parameters(params: QueryParams, allowed: frozenset[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        name = printable_excerpt(unknown[0])
        raise validation(unknown[0][:64], f"unknown query parameter {name!r}")


_PLAIN_DIGITS = re.compile(r"[0-9]{1,9}")


def bounded_int(text: str | None, *, field: str, default: int, low: int, high: int) -> int:
    """A query parameter of plain ASCII digits within ``low..high``.

    ``int()`` alone accepts Arabic-Indic digits, spaces, signs and underscores; a client
    that sent those meant something else, so they are refused, not guessed.
    """
    if text is None:
        return default
    if not _PLAIN_DIGITS.fullmatch(text) or not low <= int(text) <= high:
        raise validation(field, f"{field} must be a whole number from {low} to {high}")
    return int(text)


# -- cursors --------------------------------------------------------------------------------

_CURSOR_VERSION = "k2"
_CURSOR_MAC_BYTES = 12
_MAX_CURSOR_LENGTH = 100
MAX_SEQUENCE = 2**63 - 1  # SQLite's INTEGER


def _cursor_mac(secret: bytes, listing: str, seq: int) -> bytes:
    message = f"{_CURSOR_VERSION}|{listing}|{seq}".encode("ascii")
    return hmac.new(secret, message, hashlib.sha256).digest()[:_CURSOR_MAC_BYTES]


def encode_cursor(secret: bytes, listing: str, seq: int) -> str:
    """An opaque cursor for ``listing`` (e.g. ``"api-keys"``) resuming after ``seq``.

    Authenticated with the sandbox's cursor secret, so the server only ever reads back
    cursors it issued: a hand-made one (2^63, negative, another listing's) is a 422.
    """
    payload = seq.to_bytes(8, "big") + _cursor_mac(secret, listing, seq)
    return _CURSOR_VERSION + "." + base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


def decode_cursor(secret: bytes, listing: str, cursor: str, *, field: str = "cursor") -> int:
    refused = validation(field, f"{field} is not one this server returned")
    version, _, body = cursor.partition(".")
    if version != _CURSOR_VERSION or len(cursor) > _MAX_CURSOR_LENGTH:
        raise refused
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise refused from None
    if len(payload) != 8 + _CURSOR_MAC_BYTES:
        raise refused
    seq = int.from_bytes(payload[:8], "big")
    if not hmac.compare_digest(payload[8:], _cursor_mac(secret, listing, seq)):
        raise refused
    if not 1 <= seq <= MAX_SEQUENCE:
        raise refused
    return seq


# -- pages ----------------------------------------------------------------------------------

PAGE_PARAMETERS = frozenset({"limit", "cursor"})


def page_window(
    params: QueryParams, secret: bytes, listing: str, *, default: int, high: int
) -> tuple[int, int | None]:
    """A list endpoint's ``limit`` and the sequence number its ``cursor`` resumes after.

    Nothing but ``limit`` and ``cursor``, each at most once; ``limit`` plain digits in
    ``1..high``; the cursor one this sandbox issued for ``listing``. A 422 otherwise.
    """
    refuse_unknown_parameters(params, PAGE_PARAMETERS)
    limit = bounded_int(
        query_value(params, "limit"), field="limit", default=default, low=1, high=high
    )
    cursor = query_value(params, "cursor")  # empty: the first page, as no cursor at all
    return limit, decode_cursor(secret, listing, cursor) if cursor else None


def next_page_cursor(secret: bytes, listing: str, sequences: list[int], limit: int) -> str | None:
    """The cursor after a page, given the ``seq`` of up to ``limit + 1`` rows read (one
    more than the page, to know whether another page follows); None on the last page."""
    if len(sequences) <= limit:
        return None
    return encode_cursor(secret, listing, sequences[limit - 1])


# -- test-control numbers ------------------------------------------------------------------


def bounded_number(
    body: Mapping[str, Any],
    name: str,
    default: float,
    *,
    minimum: float,
    maximum: float,
    integer: bool = False,
) -> float:
    """A JSON number in ``minimum..maximum`` (never a bool, NaN or infinite)."""
    value = body.get(name, default)
    if value is None:
        value = default
    kind = "a whole number" if integer else "a number"
    low, high = _plain_number(minimum), _plain_number(maximum)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and isinstance(value, float) and not value.is_integer())
        or not minimum <= value <= maximum
    ):
        raise validation(name, f"{name} must be {kind} from {low} to {high}")
    return float(value)


def _plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def json_object(raw: bytes) -> dict[str, Any]:
    """A test control's body: a JSON object (an empty body is ``{}``)."""
    value = parse_json(raw) if raw.strip() else {}
    if not isinstance(value, dict):
        raise Problem(422, "invalid_request", "the body must be a JSON object", field=None)
    return value
