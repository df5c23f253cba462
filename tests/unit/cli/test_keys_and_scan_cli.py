"""``keys`` and ``scan`` on the command line, in-process: parsing, references, exit codes.

The account side (a real sandbox, a real keychain, a real browser sign-in) is in
tests/e2e/test_cli_keys_scan.py; here nobody is signed in.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.gitrepo import GitRepo, make_key, wrong_checksum
from tests.helpers.keychain import no_session_bus_fixture  # noqa: F401 - registers the fixture
from twinedge_desktop.api.models import ApiKey
from twinedge_desktop.cli import main
from twinedge_desktop.cli.common import UsageError
from twinedge_desktop.cli.keys import parse_expiry, resolve_reference

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
KEY = make_key("cli")


def _key(key_id: str, prefix: str, revoked: bool = False) -> ApiKey:
    return ApiKey(
        id=key_id,
        name=f"name of {key_id}",
        prefix=prefix,
        scopes=("read:assets",),
        created_at=NOW,
        expires_at=None,
        last_used_at=None,
        revoked_at=NOW if revoked else None,
        created_by="engineer@example.com",
    )


KEYS = [
    _key("key_a", "te_abcDEF1234"),
    _key("key_b", "te_abcXYZ9876"),
    _key("key_c", "te_Zzz000aaaa", revoked=True),
]


def test_a_reference_is_an_id_a_unique_prefix_or_ambiguous() -> None:
    assert [k.id for k in resolve_reference("key_b", KEYS)] == ["key_b"]
    assert [k.id for k in resolve_reference("te_abcDEF1234", KEYS)] == ["key_a"]
    assert [k.id for k in resolve_reference("te_abcDEF1234…", KEYS)] == ["key_a"]
    assert [k.id for k in resolve_reference("te_abcD", KEYS)] == ["key_a"]
    assert [k.id for k in resolve_reference("te_abc", KEYS)] == ["key_a", "key_b"]
    # A whole key pasted by mistake: matched by its prefix.
    assert [k.id for k in resolve_reference("te_abcDEF1234" + "x" * 29, KEYS)] == ["key_a"]
    assert resolve_reference("nothing", KEYS) == []
    with pytest.raises(UsageError, match="at least 6"):
        resolve_reference("te_a", KEYS)


def _expiry(**values: object) -> datetime | None:
    args = argparse.Namespace(expires=None, days=None, no_expiry=False)
    for name, value in values.items():
        setattr(args, name, value)
    return parse_expiry(args, NOW)


def test_expiry_defaults_to_90_days_and_accepts_dates_and_days() -> None:
    assert _expiry() == NOW + timedelta(days=90)
    assert _expiry(days=7) == NOW + timedelta(days=7)
    assert _expiry(no_expiry=True) is None
    assert _expiry(expires="2025-07-01") == datetime(2025, 7, 1, tzinfo=UTC)
    assert _expiry(expires="2025-07-01T10:00:00+02:00") == datetime(2025, 7, 1, 8, tzinfo=UTC)
    for bad in ({"expires": "2025-05-01"}, {"expires": "tomorrow"}, {"days": 0}, {"days": 4000}):
        with pytest.raises(UsageError):
            _expiry(**bad)


def test_keys_create_refuses_unknown_scopes_before_any_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["keys", "create", "ci", "--scope", "read:assets", "write:everything"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Unknown scope 'write:everything'" in err and "read:telemetry" in err


def test_scan_exit_codes_when_nobody_is_signed_in(
    tmp_path: Path, no_session_bus: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.py").write_text(f"fake = '{wrong_checksum(KEY)}'\n")
    assert main(["scan", str(clean)]) == 0
    out = capsys.readouterr().out
    assert "No TwinEdge API keys found." in out and "Scanned 1 file " in out

    leaky = tmp_path / "leaky"
    leaky.mkdir()
    (leaky / "b.py").write_text(f"KEY = '{KEY}'\n")
    assert main(["scan", str(leaky)]) == 1
    captured = capsys.readouterr()
    assert "unknown (sign in to match)" in captured.out
    assert f"twinedge-desktop keys revoke {KEY[:12]}" in captured.out
    assert "Keys cannot be matched to yours" in captured.err
    assert KEY not in captured.out + captured.err

    assert main(["scan", "--json", str(leaky)]) == 1
    document = json.loads(capsys.readouterr().out)
    (finding,) = document["findings"]
    assert (finding["status"], finding["fails_scan"], finding["key"]) == (
        "unknown",
        True,
        KEY[:12] + "…",
    )
    assert document["exit_code"] == 1 and KEY not in json.dumps(document)

    assert main(["scan", str(tmp_path / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["scan", "--max-file-size", "0", str(clean)]) == 2


def test_a_key_only_in_an_ignored_file_does_not_fail_the_scan(
    tmp_path: Path, no_session_bus: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit({".gitignore": ".env\n*.key\n"}, "ignores")
    repo.write({".env": f"TWINEDGE_API_KEY={KEY}\n"})
    assert main(["scan", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "ignored by git: not committed" in out and "does not fail the scan" in out
    repo.write({"app.py": f"KEY = '{KEY}'\n"})
    assert main(["scan", str(repo.path)]) == 1


def test_scan_says_when_gitignore_misses_the_seed_patterns(
    tmp_path: Path, no_session_bus: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit({".gitignore": "*.key\n"}, "ignores")
    assert main(["scan", str(repo.path)]) == 0
    assert ".gitignore does not cover .env." in capsys.readouterr().out
    assert main(["scan", "--json", str(repo.path)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["gitignore"] == [{"repository": str(repo.path), "missing": [".env"]}]


def test_a_file_name_cannot_forge_output_lines(
    tmp_path: Path, no_session_bus: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "evil\nte_fake… ACTIVE.txt").write_text(KEY)
    assert main(["scan", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "evil\\nte_fake" in out
    assert not any(line.startswith("te_fake") for line in out.splitlines())


def test_a_key_the_server_sent_damaged_is_named_and_fails_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The account's key list holds the found key with an unreadable expiry: no traceback
    (match_findings raised ValueError), the key is named, treated as active, exit 1."""
    from twinedge_desktop.cli import scan as scan_cli

    damaged = ApiKey.from_json(
        {
            "id": "key_d",
            "name": "deploy",
            "prefix": KEY[:12],
            "created_at": "2025-01-01T00:00:00Z",
            "expires_at": "9999-12-31T23:59:59-23:59",
        }
    )

    async def account_keys(*_: object) -> tuple[list[ApiKey], None, str]:
        return [damaged], None, "sandbox"

    monkeypatch.setattr(scan_cli, "_account_keys", account_keys)
    (tmp_path / "deploy.sh").write_text(f"export TWINEDGE_API_KEY={KEY}\n")
    assert main(["scan", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{KEY[:12]}…  unknown (the server's record of this key is damaged)" in out
    assert "key “deploy”" in out and "Treat it as active" in out and "expires_at" in out
    assert f"twinedge-desktop keys revoke {KEY[:12]}" in out
    assert main(["scan", "--json", str(tmp_path)]) == 1
    (found,) = json.loads(capsys.readouterr().out)["findings"]
    assert (found["status"], found["fails_scan"], found["api_key"]["status"]) == (
        "unknown",
        True,
        "damaged",
    )
