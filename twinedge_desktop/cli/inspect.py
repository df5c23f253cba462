"""``twinedge-desktop inspect``: the token inspector's findings on a terminal.

Exit status: 0 valid (or a well-formed API key), 1 invalid, unverified or
unreadable, 2 bad usage. An unverified token counts as 1: a script asking
"is this token good?" must not get yes when nobody checked the signature. A
``--jwks`` source that cannot be used (missing, unreadable, a device, not a key set,
no keys, unreachable, too slow or too large) is bad usage: exit 2 with the reason,
and no verdict. "Verified against" names only keys that were used.

"Valid" means the signature verified against the keys given and nothing that was
checked failed. Without an expected issuer or audience (no ``--issuer``,
``--audience`` or ``--profile``) those two checks are not made: the exit status is
still 0, as it has always been for ``--jwks`` alone, but the verdict says so ("…
but the issuer and the audience were not checked"), a "Not checked:" section says
how to make them, and ``--json`` has ``verdict.all_checks_made: false`` and
``verdict.unchecked``. A script that needs them checked passes them, or tests
``all_checks_made``.

Where the keys come from:
- ``--jwks URL|FILE`` (a JWKS URL, JWKS file or PEM file) and/or ``--issuer ISS``;
- ``--profile P``: that profile's issuer and audience (``--issuer``/``--audience`` override);
- none of these: the stored profile whose issuer is the token's ``iss`` (the current
  profile first). Keys are only ever fetched from an issuer the person configured or
  named, never from one the token names for itself; a token from an unknown issuer is
  decoded and explained, and reported as not verified with how to verify it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any, TextIO

from twinedge_desktop.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from twinedge_desktop.tokens.decode import MAX_INPUT_CHARS
from twinedge_desktop.tokens.model import Finding, InspectionReport, Severity, VerdictStatus

EXIT_VALID = EXIT_OK
EXIT_INVALID = EXIT_FAILED

_MARKS = {
    Severity.OK: "ok  ",
    Severity.INFO: "info",
    Severity.WARNING: "warn",
    Severity.ERROR: "FAIL",
}
_STDIN = "-"
MAX_LEEWAY_SECONDS = 86_400


def exit_code(report: InspectionReport) -> int:
    if report.verdict.status in (VerdictStatus.VALID, VerdictStatus.API_KEY):
        return EXIT_VALID
    return EXIT_INVALID


def _read_input(args: argparse.Namespace, stdin: Any) -> tuple[str, list[Finding]]:
    """The token text, from the argument or stdin; undecodable bytes become a finding."""
    token = args.token
    if token is not None and token != _STDIN:
        return token, []
    if token is None and stdin.isatty():
        raise UsageError("Give a token, or - to read one from standard input.")
    # Read one character more than the limit so oversized input is recognised without
    # reading gigabytes into memory.
    limit = MAX_INPUT_CHARS * 4  # UTF-8 needs at most 4 bytes per character
    raw = stdin.buffer.read(limit + 1)
    if len(raw) > limit:
        return "", [
            Finding(
                "input",
                Severity.ERROR,
                f"The input is more than {limit:,} bytes long; the inspector reads at "
                f"most {MAX_INPUT_CHARS:,} characters. Access tokens are a few "
                "thousand characters at most.",
            )
        ]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return "", [
            Finding(
                "input",
                Severity.ERROR,
                f"The input is not UTF-8 text (byte {exc.start + 1} is not), so it "
                "cannot be a token.",
            )
        ]


def _settings(args: argparse.Namespace, token_text: str) -> dict[str, Any]:
    """issuer, audience, jwks_source and a description of where they came from."""
    from twinedge_desktop.config import AppPaths, ConfigError, ProfileStore

    issuer: str | None = args.issuer
    audience: str | None = args.audience
    source = None
    if args.profile:
        try:
            store = ProfileStore.load(AppPaths.default().profiles_file)
            profile = store.get(args.profile)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        issuer = issuer or profile.issuer
        audience = audience or profile.audience
        source = f"profile {profile.name!r}"
    elif issuer is None and args.jwks is None:
        profile = _profile_for_token_issuer(token_text)
        if profile is not None:
            issuer, audience = profile.issuer, audience or profile.audience
            source = f"profile {profile.name!r} (matches the token's issuer)"
    return {"issuer": issuer, "audience": audience, "jwks_source": args.jwks, "from": source}


def _shown_source(source: str | None) -> str | None:
    """The key source as output may show it: never key text, never credentials in a URL.

    ``--jwks`` also accepts the key itself (PEM or JWKS text, for scripts); echoing that
    back would print a private key someone pasted by mistake.
    """
    from twinedge_desktop.api.errors import clean_server_text
    from twinedge_desktop.api.urls import display_url

    if source is None:
        return None
    text = source.strip()
    if text.startswith(("https://", "http://")):
        return display_url(text)
    if text.startswith(("-----BEGIN", "{")):
        return "the key given on the command line (PEM or JWKS text)"
    return clean_server_text(text, 200)


def _profile_for_token_issuer(token_text: str) -> Any:
    """The configured profile whose issuer is the token's ``iss`` (current profile preferred)."""
    from twinedge_desktop.config import AppPaths, ConfigError, ProfileStore
    from twinedge_desktop.tokens.decode import decode

    decoded = decode(token_text)
    iss = (decoded.claims or {}).get("iss")
    if not isinstance(iss, str):
        return None
    try:
        store = ProfileStore.load(AppPaths.default().profiles_file)
    except ConfigError:
        return None
    profiles = [store.current, *store.profiles.values()]
    return next((p for p in profiles if p.issuer.rstrip("/") == iss.rstrip("/")), None)


async def _inspect(text: str, settings: dict[str, Any], leeway: int) -> InspectionReport:
    # The app's one client recipe: the system trust store, no proxy for loopback (the
    # sandbox), plain HTTP refused except on loopback, no redirects.
    from twinedge_desktop.api.http import build_http_client
    from twinedge_desktop.tokens.service import TokenInspector

    async with build_http_client() as http:
        inspector = TokenInspector(http)
        return await inspector.inspect(
            text,
            issuer=settings["issuer"],
            audience=settings["audience"],
            jwks_source=settings["jwks_source"],
            leeway=leeway,
        )


def run(
    args: argparse.Namespace,
    *,
    stdin: Any = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Inspect one token and print the findings (or one JSON document with ``--json``)."""
    stdin = stdin if stdin is not None else sys.stdin
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    for stream in (out, err):
        # A claim in any language must not crash printing on a terminal that is not UTF-8.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        if not 0 <= args.leeway <= MAX_LEEWAY_SECONDS:
            # A day is far beyond any real clock skew; more would accept long-expired tokens
            # (and a huge number overflowed the time arithmetic).
            raise UsageError(f"--leeway must be from 0 to {MAX_LEEWAY_SECONDS} seconds.")
        text, input_findings = _read_input(args, stdin)
        settings = _settings(args, text)
        if args.token not in (None, _STDIN):
            print(
                "Note: a token given as an argument stays in your shell history; "
                "pipe it in with - instead.",
                file=err,
            )
    except UsageError as exc:
        print(f"twinedge-desktop inspect: {exc}", file=err)
        return EXIT_USAGE
    if input_findings:
        from twinedge_desktop.tokens.model import TokenKind, Verdict

        report = InspectionReport(
            kind=TokenKind.UNREADABLE,
            findings=tuple(input_findings),
            verdict=Verdict(
                VerdictStatus.UNREADABLE, f"Unreadable: {input_findings[0].message}", ("input",)
            ),
        )
    else:
        report = asyncio.run(_inspect(text, settings, args.leeway))
    if settings["jwks_source"] is not None and report.key_source_problem is not None:
        # Keys the person named and that cannot be used (unreadable, not a key set, empty,
        # endless like /dev/zero, unreachable): the command was asked something it cannot
        # do, so it is bad usage, and no verdict is printed as if it had been checked.
        shown = _shown_source(settings["jwks_source"])
        print(f"twinedge-desktop inspect: --jwks {shown}: {report.key_source_problem}", file=err)
        return EXIT_USAGE
    try:
        if args.json:
            document = report.to_json()
            document["verified_against"] = {
                "issuer": settings["issuer"],
                "audience": settings["audience"],
                # Only a source whose keys were used: never one that could not be read.
                "jwks": _shown_source(settings["jwks_source"]) if report.key_source else None,
                "from": settings["from"],
                "keys_used": _shown_source(report.key_source),
            }
            json.dump(document, out, indent=2, ensure_ascii=False, default=str)
            out.write("\n")
        else:
            _print_human(report, settings, out)
        out.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) left early: not an error of the token, and no traceback.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
    return exit_code(report)


def _print_human(report: InspectionReport, settings: dict[str, Any], out: TextIO) -> None:
    verdict = report.verdict
    print(f"Verdict: {verdict.status.value.upper()} - {verdict.headline}", file=out)
    if verdict.failed_checks:
        print(f"Failed checks: {', '.join(verdict.failed_checks)}", file=out)
    if verdict.unchecked:
        print("Not checked:", file=out)
        for skipped in verdict.unchecked:
            print(f"  {skipped.what}: {skipped.how}", file=out)
    # Only keys that were used are named: "verified against" a source that could not be
    # read (or was never reached) would claim a check that did not happen.
    if report.key_source is not None:
        where = _shown_source(settings["jwks_source"]) or _shown_source(report.key_source)
        origin = f" ({settings['from']})" if settings["from"] else ""
        label = "Verified against" if report.verified else "Checked against (did not verify)"
        print(f"{label}: {where}{origin}", file=out)
    if report.leeway_seconds is not None:
        skew = report.clock_skew_seconds
        skew_text = f"; issuer clock skew {skew:+.0f} s" if skew is not None else ""
        print(f"Leeway: {report.leeway_seconds} s{skew_text}", file=out)
    if report.header_explanations:
        print("\nHeader:", file=out)
        _print_rows(out, [(e.name, e.value, e.meaning) for e in report.header_explanations])
    if report.claim_explanations:
        print("\nClaims:", file=out)
        _print_rows(
            out, [(e.name, e.value, e.detail or e.meaning) for e in report.claim_explanations]
        )
    if report.payload_text is not None:
        shown = (
            report.payload_text
            if len(report.payload_text) < 400
            else (report.payload_text[:400] + "…")
        )
        print(f"\nPayload (not JSON claims):\n  {shown}", file=out)
    if report.scopes:
        print("\nScopes:", file=out)
        for scope in report.scopes:
            meaning = scope.description or "UNKNOWN: TwinEdge does not define this scope"
            print(f"  {scope.name:<18} {meaning}", file=out)
    print("\nFindings:", file=out)
    for finding in report.findings:
        print(f"  [{_MARKS[finding.severity]}] {finding.check:<9} {finding.message}", file=out)


def _print_rows(out: TextIO, rows: list[tuple[str, str, str]]) -> None:
    name_width = min(max((len(r[0]) for r in rows), default=0), 20)
    value_width = min(max((len(r[1]) for r in rows), default=0), 44)
    for name, value, meaning in rows:
        shown = value if len(value) <= 44 else value[:43] + "…"
        print(f"  {name:<{name_width}}  {shown:<{value_width}}  {meaning}", file=out)
