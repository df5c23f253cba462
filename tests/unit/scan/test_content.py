"""Finding keys in bytes: the checksum decides, boundaries hold, lines and columns are right."""

from __future__ import annotations

import codecs

import pytest

from tests.helpers.gitrepo import make_key, wrong_checksum
from twinedge_desktop.keyformat import generate_key, is_valid_key
from twinedge_desktop.scan.content import find_keys

KEY = make_key("content")


def test_a_valid_key_is_found_with_its_line_and_column() -> None:
    data = f"first line\nAPI_KEY = '{KEY}'\n".encode()
    result = find_keys(data)
    assert [(h.key, h.line, h.column) for h in result.hits] == [(KEY, 2, 12)]
    assert not result.binary


def test_a_wrong_checksum_or_wrong_length_is_not_reported() -> None:
    assert is_valid_key(KEY) and not is_valid_key(wrong_checksum(KEY))
    data = f"{wrong_checksum(KEY)}\n{KEY[:-1]}\n{KEY}x\nx{KEY}\n".encode()
    assert find_keys(data).hits == ()


def test_random_key_shaped_strings_are_not_reported() -> None:
    # 10,000 random te_ + 38 base62 strings: the 6-character checksum rejects them all.
    import random

    rng = random.Random(1234)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    fakes = "\n".join("te_" + "".join(rng.choices(alphabet, k=38)) for _ in range(10_000))
    assert find_keys(fakes.encode()).hits == ()


@pytest.mark.parametrize(
    "before, after", [('"', '"'), ("=", "\n"), ("_", " "), ("/", "?"), ("\t", ","), ("", "")]
)
def test_keys_are_found_between_any_non_base62_characters(before: str, after: str) -> None:
    assert [h.key for h in find_keys(f"{before}{KEY}{after}".encode()).hits] == [KEY]


@pytest.mark.parametrize(
    "before",
    [
        "A=1\\n",  # JSON or a C string: "A=1\nte_…"
        "\\t",
        "\\r\\n",
        "\\x41",
        "\\u0041",
        "\\U00000041",
        "\\101",  # octal
        "Bearer%20",
        "q%3D",
        "%3d",
    ],
)
def test_a_key_right_after_an_escape_is_found(before: str) -> None:
    """The escape's last character is base62, yet it ends the previous token: the key is
    found (the left-boundary rule alone skipped 4 of 10 planted keys)."""
    data = f'{{"env": "{before}{KEY}"}}'.encode()
    assert [(h.key, h.column) for h in find_keys(data).hits] == [(KEY, 10 + len(before))]


@pytest.mark.parametrize("before", ["x", "prefix0", "\\x4", "%2", "u0041", "\\u041"])
def test_a_key_inside_a_longer_token_is_still_not_one(before: str) -> None:
    """Not an escape (or an incomplete one): the key is the tail of a longer token."""
    assert find_keys(f"{before}{KEY}".encode()).hits == ()


def test_crlf_lines_are_numbered_like_an_editor_does() -> None:
    data = f"a\r\nb\r\n\r\nkey={KEY}\r\n".encode()
    (hit,) = find_keys(data).hits
    assert (hit.line, hit.column) == (4, 5)


def test_a_minified_single_line_file_reports_the_character_column() -> None:
    key2 = generate_key()
    data = ("var é='ü';" * 500 + f'k="{KEY}";' + "x" * 10_000 + f"j={key2}").encode()
    hits = find_keys(data).hits
    assert [(h.key, h.line) for h in hits] == [(KEY, 1), (key2, 1)]
    assert hits[0].column == len("var é='ü';" * 500) + 4  # characters, not bytes


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_text_with_a_bom_is_decoded(encoding: str) -> None:
    bom = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-32-be": codecs.BOM_UTF32_BE,
    }[encoding]
    data = bom + f"line one\r\nTWINEDGE_API_KEY={KEY}\r\n".encode(encoding)
    result = find_keys(data)
    assert [(h.key, h.line, h.column) for h in result.hits] == [(KEY, 2, 18)]
    assert result.encoding in ("utf-16", "utf-32") and not result.binary


def test_a_key_plainly_inside_a_binary_file_is_found_by_offset() -> None:
    data = b"\x00\x01\x02ELF" + bytes(100) + KEY.encode() + b"\x00" + bytes(50)
    result = find_keys(data)
    assert result.binary
    (hit,) = result.hits
    assert (hit.key, hit.line, hit.offset) == (KEY, None, 106)


def test_the_hit_repr_never_shows_the_key() -> None:
    (hit,) = find_keys(KEY.encode()).hits
    assert KEY not in repr(hit) and KEY[:12] in repr(hit)
