"""``twinedge-desktop inspect``: exit codes, --json for every input, stdin, no tracebacks."""

from __future__ import annotations

import io
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.helpers.cli import FakeStdin, namespace
from tests.helpers.fifo import named_pipe
from tests.helpers.hostile_server import Endless, Trickle, hostile_server
from tests.helpers.token_fixtures import AUDIENCE, ISSUER, public_jwk, standard_claims
from twinedge_desktop.cli.inspect import EXIT_INVALID, EXIT_USAGE, EXIT_VALID, run
from twinedge_desktop.config import AppPaths, Profile, ProfileStore
from twinedge_desktop.keyformat import generate_key
from twinedge_desktop.tokens.decode import MAX_INPUT_CHARS

Mint = Callable[..., str]


def invoke(stdin: bytes = b"", tty: bool = False, **overrides: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(namespace(**overrides), stdin=FakeStdin(stdin, tty), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def jwks_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> str:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [public_jwk(rsa_key, "key-1")]}))
    return str(path)


def test_valid_token_from_stdin_exits_0_and_explains(mint: Mint, jwks_file: str) -> None:
    code, out, err = invoke(
        stdin=mint().encode(), token="-", jwks=jwks_file, issuer=ISSUER, audience=AUDIENCE
    )
    assert code == EXIT_VALID, out
    assert out.startswith("Verdict: VALID")
    assert "Organization ID" in out and "read:assets" in out and "Read asset data" in out
    assert "Leeway: 60 s" in out
    assert "shell history" not in err  # read from stdin: nothing to warn about


def test_token_as_argument_warns_about_shell_history(mint: Mint, jwks_file: str) -> None:
    code, _, err = invoke(token=mint(), jwks=jwks_file, issuer=ISSUER, audience=AUDIENCE)
    assert code == EXIT_VALID
    assert "shell history" in err


def test_expired_token_exits_1_naming_the_failed_check(mint: Mint, jwks_file: str) -> None:
    token = mint(standard_claims(iat=1_000_000_000, exp=1_000_003_600))
    code, out, _ = invoke(token=token, jwks=jwks_file, issuer=ISSUER, audience=AUDIENCE, json=True)
    assert code == EXIT_INVALID
    document = json.loads(out)
    assert document["verdict"]["status"] == "invalid"
    assert document["verdict"]["failed_checks"] == ["exp"]
    assert document["claims"]["sub"] == "user-123"


def test_without_issuer_information_the_token_is_unverified_exit_1(mint: Mint) -> None:
    code, out, _ = invoke(token=mint(), json=True)
    assert code == EXIT_INVALID
    document = json.loads(out)
    assert document["verdict"]["status"] == "unverified"
    assert document["verification"]["verified"] is False
    assert any("--jwks" in f["message"] for f in document["findings"])


def test_a_stored_profile_matching_the_tokens_issuer_is_used(mint: Mint) -> None:
    # Port 9 on loopback refuses connections at once: the point is which issuer was chosen.
    issuer = "http://127.0.0.1:9"
    store = ProfileStore.load(AppPaths.default().profiles_file)
    store.put(Profile(id="local", name="Local test", issuer=issuer, audience=AUDIENCE))
    store.save()
    code, out, _ = invoke(token=mint(standard_claims(iss=issuer)), json=True)
    document = json.loads(out)
    assert document["verified_against"]["issuer"] == issuer
    assert "Local test" in document["verified_against"]["from"]
    assert document["verdict"]["status"] == "unverified"  # the issuer is unreachable
    assert code == EXIT_INVALID


def test_unknown_profile_is_bad_usage(mint: Mint) -> None:
    code, out, err = invoke(token=mint(), profile="nope")
    assert code == EXIT_USAGE
    assert "No profile named 'nope'" in err and out == ""


def test_negative_leeway_is_bad_usage(mint: Mint) -> None:
    assert invoke(token=mint(), leeway=-1)[0] == EXIT_USAGE


def test_no_token_on_a_terminal_is_bad_usage() -> None:
    code, _, err = invoke(tty=True)
    assert code == EXIT_USAGE and "Give a token" in err


def test_api_key_is_recognised_and_exit_0_without_printing_the_secret() -> None:
    key = generate_key()
    code, out, _ = invoke(stdin=key.encode(), token="-", json=True)
    assert code == EXIT_VALID
    document = json.loads(out)
    assert document["kind"] == "api_key"
    assert document["key_prefix"] == key[:12]
    assert key not in out


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (bytes(range(256)) * 4, "not UTF-8"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"not.a.token", "base64url"),
        (b"A" * (MAX_INPUT_CHARS + 10), "at most 65,536"),
        (b"A" * (MAX_INPUT_CHARS * 4 + 100), "bytes long"),
        (b"te_" + b"x" * 38, "checksum"),
        (b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "unsigned"),
    ],
)
def test_every_input_gets_one_json_document_and_no_traceback(stdin: bytes, reason: str) -> None:
    code, out, err = invoke(stdin=stdin, token="-", json=True)
    assert code == EXIT_INVALID
    document = json.loads(out)  # exactly one JSON document
    assert {"header", "claims", "findings", "verdict"} <= document.keys()
    assert document["verdict"]["valid"] is False
    assert any(reason in f["message"] for f in document["findings"]), document["findings"]
    assert "Traceback" not in err


def test_human_output_for_garbage_has_no_traceback() -> None:
    code, out, err = invoke(stdin=b"\x00\x01 hello", token="-")
    assert code == EXIT_INVALID
    assert out.startswith("Verdict: UNREADABLE") and "Traceback" not in out + err


def test_the_real_parser_dispatches_inspect_with_these_options() -> None:
    from twinedge_desktop.cli import build_parser

    args = build_parser().parse_args(
        ["inspect", "-", "--jwks", "k.json", "--issuer", "I", "--audience", "A", "--json"]
    )
    expected = namespace(token="-", jwks="k.json", issuer="I", audience="A", json=True)
    assert {k: getattr(args, k) for k in vars(expected)} == vars(expected)


# --- key sources that misbehave, and what an unchecked verdict says -----------------------
def _bounded(
    call: Callable[[], tuple[int, str, str]], timeout: float = 20.0
) -> tuple[int, str, str]:
    """``call()`` in a worker thread, failing the test (not hanging it) if it does not end."""
    results: list[tuple[int, str, str]] = []
    worker = threading.Thread(target=lambda: results.append(call()), daemon=True)
    worker.start()
    worker.join(timeout)
    assert results, f"inspect did not finish within {timeout:g} s"
    return results[0]


def _usage_error(code: int, out: str, err: str) -> str:
    """An unusable ``--jwks`` is bad usage: exit 2, nothing on stdout (no verdict, no
    "Verified against"), the reason on stderr. Returns the reason."""
    assert code == EXIT_USAGE, (code, out, err)
    assert out == "" and "Traceback" not in err
    assert err.startswith("twinedge-desktop inspect: --jwks ") and err.count("\n") == 1
    return err.strip()


@pytest.mark.skipif(sys.platform == "win32", reason="devices and FIFOs")
@pytest.mark.timeout(30)  # before the fix /dev/zero filled memory and a FIFO blocked forever
def test_jwks_from_dev_zero_or_a_fifo_ends_at_once_as_bad_usage(mint: Mint, tmp_path: Path) -> None:
    with named_pipe(tmp_path / "jwks.fifo") as fifo:
        for source, kind in (("/dev/zero", "a device"), (str(fifo), "a named pipe (FIFO)")):
            for as_json in (False, True):
                reason = _usage_error(
                    *_bounded(
                        lambda source=source, as_json=as_json: invoke(
                            stdin=mint().encode(), token="-", jwks=source, json=as_json
                        )
                    )
                )
                assert reason.endswith(
                    f"{source} is {kind}, not a file: give a JWKS or PEM file, or a JWKS URL."
                )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{}", 'is not a JWKS (a JSON object with a "keys" list).'),
        ('{"keys": []}', "holds no public signing keys."),
        ("not a key", "is neither a PEM key nor a JWKS in JSON."),
    ],
)
def test_a_jwks_file_without_usable_keys_is_bad_usage(
    mint: Mint, tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content)
    assert _usage_error(*invoke(stdin=mint().encode(), token="-", jwks=str(path))).endswith(reason)


def test_a_missing_jwks_file_is_bad_usage(mint: Mint, tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere.json")
    assert missing in _usage_error(*invoke(stdin=mint().encode(), token="-", jwks=missing))


def test_an_issuer_whose_keys_cannot_be_had_is_not_claimed_as_verified(mint: Mint) -> None:
    """Without --jwks the keys come from the issuer; when it is unreachable the token is
    reported unverified (exit 1) and no "Verified against" line names the issuer."""
    code, out, _ = invoke(stdin=mint().encode(), token="-", issuer="http://127.0.0.1:9")
    assert code == EXIT_INVALID
    assert "Verified against" not in out and "Checked against" not in out
    assert "The signature was not verified" in out


@pytest.mark.timeout(30)
def test_jwks_url_that_trickles_ends_at_the_deadline(
    mint: Mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The production deadline is 15 s; the behaviour is the same at 1 s.
    monkeypatch.setattr("twinedge_desktop.api.http.DOCUMENT_TIMEOUT_SECONDS", 1.0)
    with hostile_server({"/jwks": Trickle(interval=0.1)}) as server:
        reason = _usage_error(
            *invoke(stdin=mint().encode(), token="-", jwks=server.url("/jwks"), json=True)
        )
    assert reason.endswith("did not arrive within 1 s; stopped waiting.")


@pytest.mark.timeout(30)
def test_jwks_url_with_an_endless_body_stops_at_one_mib(mint: Mint) -> None:
    with hostile_server({"/jwks": Endless()}) as server:
        reason = _usage_error(
            *invoke(stdin=mint().encode(), token="-", jwks=server.url("/jwks"), json=True)
        )
    assert "is larger than 1 MiB; reading stopped there." in reason


def test_jwks_alone_verifies_but_says_issuer_and_audience_were_not_checked(
    mint: Mint, jwks_file: str
) -> None:
    code, out, _ = invoke(stdin=mint().encode(), token="-", jwks=jwks_file)
    assert code == EXIT_VALID  # documented: "valid" is the signature and what was checked
    assert "every check passed" not in out
    assert out.startswith(
        "Verdict: VALID - Valid: signature verified and nothing failed, but the issuer and the "
        "audience were not checked.\nNot checked:\n"
    )
    assert "  the issuer: " in out and "--issuer ISS" in out
    assert "  the audience: " in out and "--audience AUD" in out

    code, out, _ = invoke(stdin=mint().encode(), token="-", jwks=jwks_file, json=True)
    verdict = json.loads(out)["verdict"]
    assert code == EXIT_VALID
    assert verdict["all_checks_made"] is False
    assert [u["check"] for u in verdict["unchecked"]] == ["iss", "aud"]


def test_with_issuer_and_audience_the_verdict_has_nothing_unchecked(
    mint: Mint, jwks_file: str
) -> None:
    code, out, _ = invoke(
        stdin=mint().encode(), token="-", jwks=jwks_file, issuer=ISSUER, audience=AUDIENCE
    )
    assert code == EXIT_VALID
    assert "every check passed" in out and "Not checked" not in out


def test_key_text_given_as_jwks_is_never_printed_back(
    mint: Mint, rsa_key: rsa.RSAPrivateKey
) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    body = pem.splitlines()[5]  # a line of the private key itself
    for as_json in (False, True):
        code, out, err = invoke(stdin=mint().encode(), token="-", jwks=pem, json=as_json)
        assert code == EXIT_VALID
        assert body not in out + err and "PRIVATE KEY" not in out + err
        assert "the key given on the command line (PEM or JWKS text)" in out


def test_credentials_in_a_jwks_url_are_not_printed_back(mint: Mint) -> None:
    url = "http://someone:url-password@127.0.0.1:9/jwks.json"  # port 9 refuses at once
    for as_json in (False, True):
        code, out, err = invoke(stdin=mint().encode(), token="-", jwks=url, json=as_json)
        assert "url-password" not in out + err
        assert "127.0.0.1:9/jwks.json" in _usage_error(code, out, err)
