"""``twinedge-desktop scan [PATH…] [--git] [--json]``: find TwinEdge keys in files and history.

Exit codes (so it can run as a pre-commit hook):
- 1 when a key is found that still works or may: signed in, an **active** key of
  yours or a key that is **not yours** (another person's key works for whoever finds
  it too); not signed in (or the list of keys could not be read), **any**
  checksum-valid key, since nobody could tell it is harmless;
- 0 otherwise: nothing found, or only revoked or expired keys of yours, or keys
  only in files git ignores (on disk, never committed: the seed's own advice is
  to keep a key in an ignored ``.env``);
- 2 bad usage (a path that does not exist, a bad option value).

Keys are only ever shown masked (``te_XXXXXXXXX…``, the public prefix), in the
human output, in ``--json`` and in the log. The account is asked about keys only
when some were found: a clean scan makes no request.

Only argparse is imported at module level: the parser is built at every start.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from twinedge_desktop.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_profile_option,
    say,
    terminal_safe,
)

if TYPE_CHECKING:
    from twinedge_desktop.api.models import ApiKey
    from twinedge_desktop.scan.match import MatchedFinding
    from twinedge_desktop.scan.model import Occurrence, ScanProgress, ScanReport

DEFAULT_MAX_FILE_MB = 50
# Human output lists this many places per key; --json lists every one.
SHOWN_OCCURRENCES = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders to scan (default: .)"
    )
    parser.add_argument(
        "--git",
        action="store_true",
        help="also scan every commit of the git history (all branches and tags)",
    )
    parser.add_argument(
        "--staged",
        action="store_true",
        help="scan what the next commit would hold (the staged versions, from git's index) "
        "instead of the files on disk: for a pre-commit hook",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--exclude",
        metavar="GLOB",
        action="append",
        default=[],
        help="leave out files or folders whose name or relative path matches (working tree "
        "only; repeatable), e.g. --exclude node_modules --exclude '.venv'. Always left out: .git",
    )
    parser.add_argument(
        "--max-file-size",
        type=int,
        default=DEFAULT_MAX_FILE_MB,
        metavar="MB",
        help=f"skip (and report) files larger than this (default {DEFAULT_MAX_FILE_MB} MB)",
    )
    add_profile_option(parser, "profile whose keys to match against")


def run(args: argparse.Namespace) -> int:
    from twinedge_desktop.cli.session import run_async_command

    return run_async_command(args, _scan)


def _request(args: argparse.Namespace) -> Any:
    from twinedge_desktop.scan import ScanRequest

    paths = tuple(args.paths) or (".",)
    for path in paths:
        if not os.path.lexists(path):
            raise UsageError(f"{path}: no such file or directory.")
    if not 1 <= args.max_file_size <= 1_000_000:
        raise UsageError("--max-file-size must be from 1 to 1000000 (MB).")
    return ScanRequest(
        paths=paths,
        history=bool(args.git),
        staged=bool(getattr(args, "staged", False)),
        exclude=tuple(args.exclude),
        max_file_size=int(args.max_file_size) * 1024 * 1024,
    )


class _ProgressLine:
    """A one-line progress display on a terminal's stderr (nothing when it is not a terminal)."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def __call__(self, update: ScanProgress) -> None:
        if not self.enabled:
            return
        what = "file versions" if update.phase == "history" else "files"
        text = f"Scanning: {update.files_scanned:,} {what}, {_megabytes(update.bytes_scanned)}"
        width = 78
        print("\r" + text[:width].ljust(width), end="", file=sys.stderr, flush=True)
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            print("\r" + " " * 78 + "\r", end="", file=sys.stderr, flush=True)


async def _scan(args: argparse.Namespace) -> int:
    from twinedge_desktop.scan import scan_async

    request = _request(args)
    progress = _ProgressLine()
    try:
        # In a worker thread; Ctrl+C cancels this task, which stops the scan (and its git).
        report = await scan_async(request, on_progress=progress)
    finally:
        progress.clear()
    for warning in report.warnings:
        say(f"Warning: {terminal_safe(warning)}")
    keys, account_note, profile_id = await _account_keys(args, report)
    from twinedge_desktop.scan.match import match_findings
    from twinedge_desktop.timefmt import utc_now

    matched = match_findings(report.findings, keys, utc_now())
    code = EXIT_FAILED if any(m.counts for m in matched) else EXIT_OK
    if args.json:
        import json

        document = _json_document(report, matched, keys is not None, profile_id, account_note)
        document["exit_code"] = code
        print(json.dumps(document, indent=2, ensure_ascii=False), flush=True)
    else:
        if account_note:
            say(account_note)
        _print_human(report, matched, args.profile)
    return code


async def _account_keys(
    args: argparse.Namespace, report: ScanReport
) -> tuple[list[ApiKey] | None, str | None, str | None]:
    """The signed-in person's keys, when there is anything to match (else no request at all)."""
    if not report.findings:
        return None, None, None
    from twinedge_desktop.api.errors import ApiError
    from twinedge_desktop.auth.errors import SignInError
    from twinedge_desktop.cli.session import NotSignedIn, signed_in
    from twinedge_desktop.vault import KeychainUnavailable

    try:
        async with signed_in(args.profile, purpose="API keys") as account:
            return await account.keys.list_all(), None, account.profile.id
    except NotSignedIn as exc:
        return None, f"Keys cannot be matched to yours: {exc}", None
    except (SignInError, ApiError, KeychainUnavailable) as exc:
        return None, f"Keys cannot be matched to yours: {exc.user_message}", None


# -- output -------------------------------------------------------------------------------------


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:,.1f} MB"


def revoke_command(prefix: str, profile: str | None) -> str:
    return "twinedge-desktop keys revoke " + prefix + (f" --profile {profile}" if profile else "")


def _occurrence_text(o: Occurrence) -> str:
    from twinedge_desktop.scan.model import Source

    if o.source is Source.STAGED:
        note = f"  ({o.encoding})" if o.encoding else ""
        return f"staged {terminal_safe(o.location)}{note}"
    if o.commit is None:
        text = terminal_safe(o.location)
        notes = []
        if o.git_ignored:
            notes.append("ignored by git: not committed")
        if o.encoding:
            notes.append(o.encoding)
        return text + (f"  ({'; '.join(notes)})" if notes else "")
    when = f"{o.author_date:%Y-%m-%d}" if o.author_date else "?"
    notes = ["file deleted since" if o.file_at_head is False else ""]
    if o.encoding:
        notes.append(o.encoding)
    note = "; ".join(n for n in notes if n)
    return f"history {o.commit[:10]} {when} {terminal_safe(o.location)}" + (
        f"  ({note})" if note else ""
    )


def _status_line(m: MatchedFinding, now: Any) -> str:
    from twinedge_desktop.scan.match import STATUS_TEXT, MatchStatus
    from twinedge_desktop.timefmt import relative_time

    key = m.key
    head = f"{m.finding.masked}  {STATUS_TEXT[m.status]}"
    if key is None:
        return head
    if m.status is MatchStatus.UNKNOWN:  # yours, but the server's record of it is damaged
        head = f"{m.finding.masked}  unknown (the server's record of this key is damaged)"
    details = [f"key “{terminal_safe(key.name)}”"]
    if key.created_by:
        details.append(f"created by {terminal_safe(key.created_by)}")
    if m.status is MatchStatus.REVOKED and key.revoked_at is not None:
        details.append(f"revoked {key.revoked_at:%Y-%m-%d}")
    elif m.status is MatchStatus.EXPIRED and key.expires_at is not None:
        details.append(f"expired {key.expires_at:%Y-%m-%d}")
    else:
        details.append(f"last used {relative_time(key.last_used_at, now)}")
    return f"{head} — {', '.join(details)}"


def _advice(m: MatchedFinding, profile: str | None) -> list[str]:
    from twinedge_desktop.scan.match import MatchStatus

    status = m.status
    lines: list[str] = []
    if status is MatchStatus.ACTIVE:
        lines.append("  It works: revoke it now, then give what uses it a new key (rotate):")
        lines.append(f"    {revoke_command(m.finding.prefix, profile)}")
    elif status is MatchStatus.UNKNOWN and m.key is not None:
        lines.append(
            "  Treat it as active: it is one of your keys, but whether it expired or was "
            f"revoked could not be read ({terminal_safe(m.key.problem or 'damaged')}). "
            "Revoke it:"
        )
        lines.append(f"    {revoke_command(m.finding.prefix, profile)}")
    elif status is MatchStatus.UNKNOWN:
        lines.append(
            "  Treat it as active. Sign in (twinedge-desktop login) to see whose it is; if it is "
            "yours, revoke it:"
        )
        lines.append(f"    {revoke_command(m.finding.prefix, profile)}")
    elif status is MatchStatus.NOT_YOURS:
        lines.append(
            "  Not among your keys, so it may well work: it is another person's or another "
            "organisation's. Do not commit it; tell its owner (or an admin of your "
            "organisation), who can revoke it."
        )
    else:
        lines.append("  It no longer works; remove it from these files when convenient.")
    if m.finding.only_in_ignored_files:
        lines.append("  Only in files git ignores: not committed (does not fail the scan).")
    from twinedge_desktop.scan.model import Source

    if any(o.source is Source.STAGED for o in m.finding.occurrences):
        lines.append(
            "  It is staged for the next commit: take it out of the file and stage the file "
            "again (git add), or unstage it (git restore --staged FILE)."
        )
    from twinedge_desktop.scan.engine import COMMIT_MESSAGE_PATH

    in_messages = [o for o in m.finding.occurrences if o.commit and o.path == COMMIT_MESSAGE_PATH]
    if in_messages:
        lines.append(
            "  It is in a commit message: only rewriting history removes it (and not from "
            "clones); revoking is what makes it harmless."
        )
    if any(o.commit and o.path != COMMIT_MESSAGE_PATH for o in m.finding.occurrences):
        where = "still in HEAD and in" if m.finding.in_head else "no longer in HEAD, but still in"
        lines.append(
            f"  It is {where} git history: deleting the file does not remove it from the "
            "repository's past (or from clones); revoking is what makes it harmless."
        )
    return lines


def _print_human(report: ScanReport, matched: list[MatchedFinding], profile: str | None) -> None:
    from collections import Counter

    from twinedge_desktop.timefmt import utc_now

    now = utc_now()
    out: list[str] = []
    if matched:
        counts = Counter(m.status.value for m in matched)
        summary = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items())
        out.append(f"TwinEdge API keys found: {len(matched)} ({summary})")
        for m in matched:
            out.append("")
            out.append(_status_line(m, now))
            occurrences = m.finding.occurrences
            for occurrence in occurrences[:SHOWN_OCCURRENCES]:
                out.append(f"  {_occurrence_text(occurrence)}")
            if len(occurrences) > SHOWN_OCCURRENCES:
                rest = len(occurrences) - SHOWN_OCCURRENCES
                out.append(f"  … and {rest} more places (--json lists every one)")
            out.extend(_advice(m, profile))
    else:
        out.append("No TwinEdge API keys found.")
    for advice in report.ignore_advice:
        out.append("")
        out.append(
            f"{terminal_safe(advice.repository)}: .gitignore does not cover "
            f"{', '.join(advice.missing)}. "
            "Never commit keys: add these lines to .gitignore and keep keys in environment "
            "variables (TWINEDGE_API_KEY)."
        )
    out.append("")
    out.append(_stats_line(report))
    listed_large = [s for s in report.skipped if s.reason.value == "too_large"]
    for skipped in listed_large[:20]:
        where = f" (history, {skipped.commit[:10]})" if skipped.commit else ""
        out.append(f"  skipped, too large: {terminal_safe(skipped.path)}{where}")
    print("\n".join(out), flush=True)


def _stats_line(report: ScanReport) -> str:
    stats = report.stats
    parts = [f"Scanned {_count(stats.files_scanned, 'file')} ({_megabytes(stats.bytes_scanned)})"]
    if report.history:
        parts.append(
            f"{_count(stats.commits, 'commit')} ({_count(stats.blobs_scanned, 'file version')}, "
            f"{_megabytes(stats.blob_bytes_scanned)})"
        )
    text = " and ".join(parts) + f" in {stats.seconds:.1f} s."
    names = {
        "too_large": "too large",
        "symlink": "symlinks (not followed)",
        "special": "special files",
        "unreadable": "unreadable",
        "vanished": "vanished while scanning",
    }
    skipped = [f"{n} {names.get(r, r)}" for r, n in sorted(report.stats.skipped.items())]
    if skipped:
        text += " Skipped: " + ", ".join(skipped) + "."
    return text


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _occurrence_json(o: Occurrence) -> dict[str, Any]:
    return {
        "source": o.source.value,
        "path": o.path,
        "line": o.line,
        "column": o.column,
        "offset": o.offset,
        "binary": o.binary,
        "encoding": o.encoding,
        "repository": o.repository,
        "commit": o.commit,
        "author_date": o.author_date.isoformat() if o.author_date else None,
        "file_at_head": o.file_at_head,
        "git_ignored": o.git_ignored,
    }


def _json_document(
    report: ScanReport,
    matched: list[MatchedFinding],
    signed_in: bool,
    profile: str | None,
    account_note: str | None,
) -> dict[str, Any]:
    from dataclasses import asdict

    from twinedge_desktop.cli.keys import key_json
    from twinedge_desktop.scan.match import MatchStatus
    from twinedge_desktop.timefmt import utc_now

    now = utc_now()
    findings = []
    for m in matched:
        needs_revoking = m.status in (MatchStatus.ACTIVE, MatchStatus.UNKNOWN)
        findings.append(
            {
                "key": m.finding.masked,
                "prefix": m.finding.prefix,
                "status": m.status.value,
                "fails_scan": m.counts,
                "only_in_ignored_files": m.finding.only_in_ignored_files,
                "in_head": m.finding.in_head,
                "api_key": key_json(m.key, now) if m.key is not None else None,
                "revoke_command": revoke_command(m.finding.prefix, profile)
                if needs_revoking
                else None,
                "occurrences": [_occurrence_json(o) for o in m.finding.occurrences],
            }
        )
    return {
        "version": 1,
        "roots": list(report.roots),
        "history": report.history,
        "signed_in": signed_in,
        "profile": profile,
        "account_note": account_note,
        "findings": findings,
        "gitignore": [
            {"repository": a.repository, "missing": list(a.missing)} for a in report.ignore_advice
        ],
        "skipped": [
            {
                "path": s.path,
                "reason": s.reason.value,
                "size": s.size,
                "repository": s.repository,
                "commit": s.commit,
            }
            for s in report.skipped
        ],
        "stats": asdict(report.stats),
        "warnings": list(report.warnings),
    }


__all__ = ["add_arguments", "revoke_command", "run"]
