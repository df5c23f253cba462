#!/usr/bin/env bash
# Smoke-test a built TwinEdge Desktop: the PyInstaller bundle by default, or any command
# that behaves like `twinedge-desktop` (e.g. a pipx-installed one).
#
#   packaging/smoke_test.sh                                  # dist/twinedge-desktop/twinedge-desktop
#   packaging/smoke_test.sh /tmp/pipx-bin/twinedge-desktop
#
# Checks, each printed as "ok - …" or "not ok - …", then one "N passed, N failed" line:
#   1. --version prints the version of the source tree next to this script
#   2. `sandbox --port 0` starts, prints its URL, answers discovery and JWKS
#   3. a client-credentials token from that sandbox: `inspect -` verifies it (exit 0), and
#      rejects the same token with a damaged signature (exit 1)
#   4. the window under QT_QPA_PLATFORM=offscreen stays up for a few seconds, writes its
#      log, and exits cleanly on SIGTERM (no traceback, no crash)
#   5. the window with --sandbox: the embedded sandbox answers on its discovery URL
#   6. `status` finds the Secret Service in a private D-Bus session (gnome-keyring)
#   7. (when Playwright, Chromium and gnome-keyring are there) browser sign-in with `login`,
#      then `status`, `token` (its token verified by `inspect`) and `logout`
# Needs curl. Runs with its own TWINEDGE_DESKTOP_HOME: a person's profiles and keychain are
# never touched (the keychain is whatever D-Bus session the caller has, or none).
set -uo pipefail
if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 3))); then
  echo "bash 4.3 or newer is needed (coproc, {fd} redirections); on macOS: brew install bash" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
bin="${1:-$repo/dist/twinedge-desktop/twinedge-desktop}"
WINDOW_SECONDS="${WINDOW_SECONDS:-4}"
START_TIMEOUT="${START_TIMEOUT:-30}"
# The sandbox mints tokens for the real API's audience, as the seed's validation example
# expects (jwt.decode(..., audience="https://api.twinedgeai.com")); only the issuer is local.
api_audience="https://api.twinedgeai.com"

if [[ ! -x "$bin" ]]; then
  echo "not an executable: $bin (build it with scripts/build_bundle.sh)" >&2
  exit 2
fi
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }

work="$(mktemp -d)"
export TWINEDGE_DESKTOP_HOME="$work/home"
export QT_QPA_PLATFORM=offscreen
# The sign-in flow is not exercised here; make sure nothing opens a real browser.
export BROWSER=true
passed=0
failed=0
children=()

cleanup() {
  for pid in "${children[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
show() { sed 's/^/    # /' "$@" 2>/dev/null | tail -n 20; }

# wait_for_exit PID SECONDS: the exit status of a child, killing it after SECONDS.
wait_for_exit() {
  local pid=$1 seconds=$2 watchdog status
  ( sleep "$seconds"; kill -KILL "$pid" 2>/dev/null ) &
  watchdog=$!
  wait "$pid"
  status=$?
  kill "$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  return "$status"
}

# clean_exit STATUS STDERR-FILE: exited by itself or by the SIGTERM it was sent, and no
# traceback, crash or missing Qt plugin in what it printed.
clean_exit() {
  [[ "$1" == 0 || "$1" == 143 ]] || return 1
  ! grep -Eq "Traceback|Fatal Python error|Segmentation fault|Could not load the Qt platform" "$2"
}

# read_banner FD: copy the sandbox's start-up banner (up to its "Press Ctrl+C" line) into
# $work/banner.txt, reading line by line as it arrives (no polling); give up after
# START_TIMEOUT seconds. Succeeds when the banner named a URL.
read_banner() {
  local fd=$1 line deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    IFS= read -r -t "$((deadline - SECONDS))" -u "$fd" line || break
    echo "$line" >>"$work/banner.txt"
    [[ "$line" == *"Press Ctrl+C"* ]] && break
  done
  grep -qE 'http://(127\.0\.0\.1|\[::1\]|localhost):[0-9]+' "$work/banner.txt" 2>/dev/null
}

# ----------------------------------------- 7. browser sign-in into a real keychain
# `login` through the scripted Chromium of tests/helpers/browser_signin.py as $BROWSER,
# inside a private D-Bus session with an unlocked gnome-keyring; then `status --json`,
# `token` (verified by `inspect`) and `logout`. Proves the frozen app's loopback listener,
# keychain writes and refresh path. Runs when the helper, the repository's virtualenv
# (Playwright), Chromium and gnome-keyring are all present; otherwise says it skipped.
signin_with_browser() {
  local helper="$repo/tests/helpers/browser_signin.py" venv_python="$repo/.venv/bin/python"
  if [[ ! -f "$helper" || ! -x "$venv_python" || ! -x "${TWINEDGE_TEST_CHROMIUM:-/usr/bin/chromium}" ]] ||
     ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null ||
     ! "$venv_python" -c "import playwright" 2>/dev/null; then
    echo "# skip browser sign-in: needs $helper, .venv with playwright, chromium, gnome-keyring"
    return 0
  fi
  local session="$work/signin" status
  mkdir -p "$session/home"
  # shellcheck disable=SC2016 # expanded by the inner shell
  HOME="$session/home" BROWSER="$venv_python $helper %s" \
    TWINEDGE_TEST_BROWSER_LOG="$session/browser.log" DISPLAY="" \
    timeout 180 dbus-run-session -- sh -c '
      bin=$1 issuer=$2 out=$3
      printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 90
      "$bin" login --issuer "$issuer" --client-id twinedge-desktop --timeout 90 \
        >"$out/login.out" 2>"$out/login.err" || exit 91
      "$bin" status --json >"$out/status.json" 2>"$out/status.err" || exit 92
      "$bin" token >"$out/token.txt" 2>"$out/token.err" || exit 93
      "$bin" logout >"$out/logout.out" 2>&1 || exit 94
      "$bin" status >"$out/after.out" 2>&1
      [ $? -eq 1 ] || exit 95
    ' sh "$bin" "$base" "$session" 2>"$session/dbus.err"
  status=$?
  case $status in
    0) ;;
    90) not_ok "sign-in: gnome-keyring did not start"; show "$session/dbus.err"; return ;;
    91) not_ok "sign-in: login failed"; show "$session/login.err" "$session/browser.log"; return ;;
    92) not_ok "sign-in: status failed after login"; show "$session/status.err"; return ;;
    93) not_ok "sign-in: token failed"; show "$session/token.err"; return ;;
    94) not_ok "sign-in: logout failed"; show "$session/logout.out"; return ;;
    95) not_ok "sign-in: still signed in after logout"; show "$session/after.out"; return ;;
    *) not_ok "sign-in: exited $status"; show "$session/dbus.err" "$session/login.err"; return ;;
  esac
  if grep -q '"signed_in": *true' "$session/status.json" &&
     grep -qi '"keychain": *"[^"]*secret service' "$session/status.json"; then
    ok "browser sign-in (Chromium as \$BROWSER) stores the session in the Secret Service"
  else
    not_ok "status after sign-in does not show a keychain-backed session"; show "$session/status.json"
  fi
  if "$bin" inspect - --jwks "$base/.well-known/jwks.json" --issuer "$base" --audience "$api_audience" \
       <"$session/token.txt" >/dev/null 2>&1; then
    ok "token prints a valid access token; logout signs out"
  else
    not_ok "the token printed by 'token' does not verify"
  fi
}

# ---------------------------------------------------------------------------- 1. --version
expected_version="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$repo/twinedge_desktop/__init__.py" 2>/dev/null)"
if version_out="$("$bin" --version 2>"$work/version.err")"; then
  if [[ -n "$expected_version" && "$version_out" == "twinedge-desktop $expected_version" ]] ||
     [[ -z "$expected_version" && "$version_out" =~ ^twinedge-desktop\ [0-9] ]]; then
    ok "--version prints '$version_out'"
  else
    not_ok "--version printed '$version_out', expected 'twinedge-desktop $expected_version'"
  fi
else
  not_ok "--version failed"; show "$work/version.err"
fi

# ---------------------------------------------------------------- 2. the sandbox subcommand
coproc SANDBOX { exec "$bin" sandbox --port 0 2>"$work/sandbox.err"; }
sandbox_pid=$SANDBOX_PID
children+=("$sandbox_pid")
# Coprocess descriptors are not inherited by subshells: take a copy that is.
exec {sandbox_fd}<&"${SANDBOX[0]}"
if read_banner "$sandbox_fd"; then
  base="$(grep -oE 'http://(127\.0\.0\.1|\[::1\]|localhost):[0-9]+' "$work/banner.txt" | head -n1)"
  # Keep draining its stdout so it never blocks on a full pipe.
  cat <&"$sandbox_fd" >>"$work/banner.txt" &
  discovery="$(curl -fsS --max-time 10 "$base/.well-known/oauth-authorization-server" 2>&1)"
  if [[ "$discovery" == *"\"issuer\":\"$base\""* || "$discovery" == *"\"issuer\": \"$base\""* ]] &&
     [[ "$discovery" == *S256* ]]; then
    ok "sandbox answers discovery at $base/.well-known/oauth-authorization-server"
  else
    not_ok "sandbox discovery at $base: $discovery"
  fi
  if curl -fsS --max-time 10 "$base/.well-known/jwks.json" | grep -q '"kid"'; then
    ok "sandbox publishes its JWKS"
  else
    not_ok "sandbox JWKS missing"
  fi
else
  base=""
  not_ok "sandbox did not print its URL within ${START_TIMEOUT} s"
  show "$work/banner.txt" "$work/sandbox.err"
fi

# ------------------------------------------------------------ 3. inspect a real token
if [[ -n "$base" ]]; then
  client_id="$(sed -n 's/^ *service client  *\([^ ]*\).*/\1/p' "$work/banner.txt" | head -n1)"
  secret="$(sed -n 's/^ *service secret  *\([^ ]*\).*/\1/p' "$work/banner.txt" | head -n1)"
  response="$(curl -fsS --max-time 10 -u "${client_id:-twinedge-service}:$secret" \
    -d grant_type=client_credentials -d scope=read:assets "$base/oauth/token" 2>&1)"
  token="$(printf '%s' "$response" | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')"
  if [[ -z "$token" ]]; then
    not_ok "no client-credentials token from the sandbox (response withheld: may hold secrets)"
  else
    verify=(inspect - --jwks "$base/.well-known/jwks.json" --issuer "$base" --audience "$api_audience")
    printf '%s' "$token" | "$bin" "${verify[@]}" >"$work/inspect.out" 2>"$work/inspect.err"
    status=$?
    if ((status == 0)); then
      ok "inspect verifies a sandbox-issued token (exit 0)"
    else
      not_ok "inspect exited $status on a valid token"; show "$work/inspect.out" "$work/inspect.err"
    fi
    # Replace the signature's first character: a different, wrong signature.
    header_payload="${token%.*}"
    signature="${token##*.}"
    first="${signature:0:1}"
    if [[ "$first" == "A" ]]; then swap="B"; else swap="A"; fi
    printf '%s' "$header_payload.$swap${signature:1}" |
      "$bin" "${verify[@]}" >"$work/inspect-bad.out" 2>"$work/inspect-bad.err"
    status=$?
    if ((status == 1)); then
      ok "inspect rejects a token with a damaged signature (exit 1)"
    else
      not_ok "inspect exited $status on a damaged token, expected 1"; show "$work/inspect-bad.out"
    fi
    if printf 'not a token' | "$bin" inspect - >/dev/null 2>&1; then
      not_ok "inspect accepted 'not a token'"
    else
      ok "inspect refuses text that is not a token"
    fi
  fi
  signin_with_browser
  kill -TERM "$sandbox_pid" 2>/dev/null
  wait_for_exit "$sandbox_pid" 15
  status=$?
  # uvicorn shuts down gracefully on SIGTERM, then re-raises it: 143 is a clean exit.
  if clean_exit "$status" "$work/sandbox.err" && grep -q "Finished server process" "$work/sandbox.err"; then
    ok "sandbox shuts down cleanly on SIGTERM (status $status)"
  else
    not_ok "sandbox exited $status after SIGTERM"; show "$work/sandbox.err"
  fi
fi

# ------------------------------------------------------------------ 4. the window
"$bin" >"$work/window.out" 2>"$work/window.err" &
window_pid=$!
children+=("$window_pid")
sleep "$WINDOW_SECONDS"  # the check is "still running after a few seconds": nothing to await
if kill -0 "$window_pid" 2>/dev/null; then
  ok "window runs offscreen for ${WINDOW_SECONDS} s"
  kill -TERM "$window_pid"
  wait_for_exit "$window_pid" 15
  status=$?
  if clean_exit "$status" "$work/window.err"; then
    ok "window exits cleanly on SIGTERM (status $status)"
  else
    not_ok "window exit status $status after SIGTERM"; show "$work/window.err"
  fi
else
  wait "$window_pid"
  not_ok "window exited early with status $?"; show "$work/window.err"
fi
if [[ -s "$TWINEDGE_DESKTOP_HOME/logs/twinedge-desktop.log" ]]; then
  ok "window writes its log under TWINEDGE_DESKTOP_HOME/logs"
else
  not_ok "no log file at $TWINEDGE_DESKTOP_HOME/logs/twinedge-desktop.log"
fi

# ---------------------------------------------------- 5. the window's embedded sandbox
# The app logs "Embedded sandbox listening at URL"; with --debug that reaches stderr, which
# is read line by line as it arrives (no polling) until the URL shows up.
coproc EMBEDDED { exec "$bin" --sandbox --debug 2>&1 >"$work/embedded.out"; }
embedded_pid=$EMBEDDED_PID
children+=("$embedded_pid")
exec {embedded_fd}<&"${EMBEDDED[0]}"
embedded_url=""
deadline=$((SECONDS + START_TIMEOUT))
while ((SECONDS < deadline)); do
  IFS= read -r -t "$((deadline - SECONDS))" -u "$embedded_fd" line || break
  echo "$line" >>"$work/embedded.err"
  if [[ "$line" == *andbox* && "$line" =~ (http://(127\.0\.0\.1|\[::1\]):[0-9]+) ]]; then
    embedded_url="${BASH_REMATCH[1]}"
    break
  fi
done
# Keep draining its output so it never blocks on a full pipe.
cat <&"$embedded_fd" >>"$work/embedded.err" &
embedded_drain=$!
if [[ -n "$embedded_url" ]] &&
   curl -fsS --max-time 10 "$embedded_url/.well-known/oauth-authorization-server" |
     grep -q "\"issuer\": *\"$embedded_url\""; then
  ok "window --sandbox: embedded sandbox answers at $embedded_url"
else
  not_ok "window --sandbox: no answering embedded sandbox within ${START_TIMEOUT} s"
  show "$work/embedded.err"
fi
if kill -0 "$embedded_pid" 2>/dev/null; then
  kill -TERM "$embedded_pid"
  wait_for_exit "$embedded_pid" 15
  status=$?
  wait "$embedded_drain" 2>/dev/null  # all of its output is in the file now
  if clean_exit "$status" "$work/embedded.err"; then
    ok "window --sandbox exits cleanly on SIGTERM (status $status)"
  else
    not_ok "window --sandbox exit status $status after SIGTERM"; show "$work/embedded.err"
  fi
else
  wait "$embedded_pid"
  not_ok "window --sandbox exited early with status $?"; show "$work/embedded.err"
fi

# ------------------------------------------------- 6. the keychain inside the bundle
# keyring finds its backends through package metadata and entry points, which a bundle
# must carry; a private D-Bus session with an unlocked gnome-keyring is a real Secret
# Service. Skipped (and said so) where those tools are not installed.
if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  mkdir -p "$work/keyring-home"
  HOME="$work/keyring-home" timeout 60 dbus-run-session -- sh -c \
    'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$0" status' \
    "$bin" >"$work/status.out" 2>"$work/status.err"
  status=$?
  if ((status == 1)) && cat "$work/status.out" "$work/status.err" | grep -q "Not signed in" &&
     ! grep -qi "keychain is unavailable\|no keychain" "$work/status.out" "$work/status.err"; then
    ok "status finds the Secret Service keychain (private D-Bus session)"
  else
    not_ok "status under a private Secret Service exited $status"
    show "$work/status.out" "$work/status.err"
  fi
else
  echo "# skip keychain check: dbus-run-session / gnome-keyring-daemon not installed"
fi

echo "$passed passed, $failed failed"
((failed == 0))
