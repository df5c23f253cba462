"""Finding TwinEdge keys in the bytes of one file (or one blob from git history).

How, and why this way (measured on this project's 551 MB site-packages, warm cache,
one core): a ``bytes`` regex that *starts with the literal* ``te_`` runs at
~2.4 GB/s, because CPython's ``re`` then skips ahead with a fast substring search;
the same pattern with a leading look-behind ``(?<![0-9A-Za-z])`` falls to
~100 MB/s, since it must try every position. So the pattern starts with the
literal, and the left boundary is checked by hand on the few candidates. Only
candidates get a CRC32 check (``keyformat.check_key``), so random ``te_``-shaped
strings are never reported.

Decisions:
- **Binary files** (a NUL byte in the first 8 KiB, and no UTF-16/32 byte-order
  mark) are still searched for the key as plain ASCII: a key compiled into a
  ``.pyc``, stored in an SQLite file or an uncompressed archive is plainly there
  and just as leaked. Such hits have no line number, only a byte offset.
  Compressed content (zip deflate, gzip) is not unpacked.
- **UTF-16/UTF-32 text** is recognised by its byte-order mark and decoded before
  searching (a key in a PowerShell or Windows-edited ``.env`` file is otherwise
  invisible: its characters are interleaved with NULs). UTF-16 without a BOM is
  treated as binary and its keys are not seen (documented limitation).
- **Line numbers** count ``\\n`` only, so CRLF files number lines as editors do;
  columns are counted in characters (1-based), which matters in minified files
  where everything is on line 1.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from twinedge_desktop.keyformat import KeyCheck, check_key

# ``te_`` + 38 base62 characters, not followed by another base62 character. The left
# boundary is checked in ``find_keys`` (see the module docstring for why).
CANDIDATE = re.compile(rb"te_[0-9A-Za-z]{38}(?![0-9A-Za-z])")
_BASE62_BYTES = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# An escape just before ``te_`` ends the previous token even though its last character is
# base62: ``\n``/``\t`` (and any backslash + one character), ``\xNN``, ``\uNNNN``,
# ``\UNNNNNNNN``, octal ``\NNN`` and URL encoding ``%XX`` ("A=1\nte_…" in JSON,
# "Bearer%20te_…" in a logged URL). Checked on the few bytes before a candidate only.
_ESCAPE_BEFORE = re.compile(
    rb"(?:\\[0-9A-Za-z]|\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
    rb"|\\[0-7]{1,3}|%[0-9A-Fa-f]{2})\Z"
)
_ESCAPE_LOOKBACK = 10  # the longest escape: \UNNNNNNNN
BINARY_SNIFF_BYTES = 8192

# Longest BOMs first: the UTF-32-LE BOM begins with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True, slots=True)
class KeyHit:
    """A checksum-valid key at one place in a file. ``key`` is the secret itself: it never
    leaves the engine (result objects carry the prefix only) and is not in ``repr``."""

    key: str
    offset: int  # byte offset in the (decoded, UTF-8) text, or in the raw bytes of a binary
    line: int | None
    column: int | None

    def __repr__(self) -> str:
        return f"KeyHit(prefix={self.key[:12]!r}, offset={self.offset}, line={self.line})"


@dataclass(frozen=True, slots=True)
class ContentResult:
    hits: tuple[KeyHit, ...]
    binary: bool
    encoding: str | None  # set when the content was decoded from UTF-16/32


_NO_HITS: tuple[KeyHit, ...] = ()


def _bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _valid_keys(data: bytes) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for match in CANDIDATE.finditer(data):
        start = match.start()
        if (
            start
            and data[start - 1] in _BASE62_BYTES
            and _ESCAPE_BEFORE.search(data, max(0, start - _ESCAPE_LOOKBACK), start) is None
        ):
            continue  # "xte_…": the middle of a longer token, not a key
        candidate = match.group().decode("ascii")
        if check_key(candidate) is KeyCheck.VALID:
            found.append((start, candidate))
    return found


def _with_lines(data: bytes, found: list[tuple[int, str]]) -> tuple[KeyHit, ...]:
    """Line and character column for each hit, counting newlines once over the file."""
    hits: list[KeyHit] = []
    line = 1
    counted_to = 0
    for offset, key in found:
        line += data.count(b"\n", counted_to, offset)
        counted_to = offset
        line_start = data.rfind(b"\n", 0, offset) + 1
        column = len(data[line_start:offset].decode("utf-8", "replace")) + 1
        hits.append(KeyHit(key=key, offset=offset, line=line, column=column))
    return tuple(hits)


def find_keys(data: bytes) -> ContentResult:
    """Every checksum-valid TwinEdge key in ``data`` (a whole file or blob)."""
    encoding = _bom_encoding(data)
    if encoding is not None:
        text = data.decode(encoding, "replace").lstrip("\ufeff").encode("utf-8")
        found = _valid_keys(text) if b"te_" in text else []
        return ContentResult(_with_lines(text, found) if found else _NO_HITS, False, encoding)
    binary = b"\0" in data[:BINARY_SNIFF_BYTES]
    found = _valid_keys(data)
    if not found:
        return ContentResult(_NO_HITS, binary, None)
    if binary:
        hits = tuple(
            KeyHit(key=key, offset=offset, line=None, column=None) for offset, key in found
        )
        return ContentResult(hits, True, None)
    return ContentResult(_with_lines(data, found), False, None)


__all__ = ["CANDIDATE", "ContentResult", "KeyHit", "find_keys"]
