#!/usr/bin/env bash
# Build the sdist and wheel from a scratch copy of the tree, check what they carry, install
# the wheel with pipx into a throwaway PIPX_HOME and smoke-test the installed command.
#
#   packaging/check_dist.sh            # uses .venv/bin/python if present, else python3
#
# Needs `build` and `pipx` in that Python (pip install build pipx) and PyPI access for
# the wheel's dependencies. The working tree is never written to: setuptools leaves
# build/ and *.egg-info next to the sources, so the build runs in a copy.
# Leaves the built files in dist/ of the copy, and prints where.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  if [[ -x "$repo/.venv/bin/python" ]]; then python="$repo/.venv/bin/python"; else python=python3; fi
fi
python="$(command -v "$python")"
base_python="$("$python" -c 'import sys; print(sys._base_executable)')"

scratch="$(mktemp -d)"
echo "# scratch copy: $scratch"
tar -C "$repo" --exclude=./.venv --exclude=./.git --exclude=./dist --exclude=./build \
  --exclude='*.egg-info' --exclude=__pycache__ --exclude=.mypy_cache --exclude=.ruff_cache \
  --exclude=.pytest_cache --exclude=.hypothesis --exclude=./artifacts -cf - . |
  tar -C "$scratch" -xf -

(cd "$scratch" && "$python" -m build --outdir dist >build.log 2>&1) || {
  tail -n 30 "$scratch/build.log" >&2; echo "build failed: $scratch/build.log" >&2; exit 1; }
wheel="$(ls "$scratch"/dist/*.whl)"
sdist="$(ls "$scratch"/dist/*.tar.gz)"
echo "# wheel: $wheel ($(du -h "$wheel" | cut -f1))"
echo "# sdist: $sdist ($(du -h "$sdist" | cut -f1))"

missing=0
require() {  # require LISTING PATTERN DESCRIPTION
  if grep -Eq "$2" <<<"$1"; then echo "ok - $3"; else echo "not ok - $3"; missing=1; fi
}
wheel_files="$("$python" -m zipfile -l "$wheel")"
sdist_files="$(tar -tzf "$sdist")"
require "$wheel_files" 'twinedge_desktop/sandbox/templates/[a-z]+\.html' "wheel: sandbox templates"
require "$wheel_files" 'twinedge_desktop/sandbox/static/' "wheel: sandbox static files"
require "$wheel_files" 'twinedge_desktop/resources/icons/[a-z-]+\.svg' "wheel: UI icons"
require "$wheel_files" 'twinedge_desktop/resources/app/twinedge-desktop\.svg' "wheel: app icon"
require "$wheel_files" 'entry_points\.txt' "wheel: entry points"
require "$sdist_files" '/twinedge_desktop/sandbox/templates/' "sdist: sandbox templates"
require "$sdist_files" '/twinedge_desktop/resources/' "sdist: resources"
require "$sdist_files" '/packaging/linux/io\.twinedge\.Desktop\.desktop' \
  "sdist: desktop entry for distribution packagers (needs MANIFEST.in: graft packaging)"

export PIPX_HOME="$scratch/pipx-home" PIPX_BIN_DIR="$scratch/pipx-bin" PIPX_MAN_DIR="$scratch/pipx-man"
"$python" -m pipx install --python "$base_python" "$wheel" >"$scratch/pipx.log" 2>&1 || {
  tail -n 30 "$scratch/pipx.log" >&2; exit 1; }
echo "ok - pipx install $(basename "$wheel") (PIPX_HOME=$PIPX_HOME)"

status=0
"$repo/packaging/smoke_test.sh" "$PIPX_BIN_DIR/twinedge-desktop" || status=$?
if ((missing)); then
  echo "some distribution contents are missing (see 'not ok' above)" >&2
  status=1
fi
exit "$status"
