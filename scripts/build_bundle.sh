#!/usr/bin/env bash
# Build the one-folder PyInstaller bundle into dist/ and print its size.
#
#   scripts/build_bundle.sh            # uses .venv/bin/python if present, else python3
#   PYTHON=/path/to/python scripts/build_bundle.sh
#   scripts/build_bundle.sh --archive  # Linux: also dist/twinedge-desktop-VERSION-linux-ARCH.tar.gz
#
# Needs PyInstaller in that Python (pip install pyinstaller). Output on Linux:
# dist/twinedge-desktop/twinedge-desktop (run packaging/smoke_test.sh on it);
# on macOS also "dist/TwinEdge Desktop.app". The build log goes to build/pyinstaller.log.
set -euo pipefail

archive=0
case "${1:-}" in
  --archive) archive=1 ;;
  "") ;;
  *) echo "usage: $0 [--archive]" >&2; exit 2 ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  if [[ -x .venv/bin/python ]]; then python=.venv/bin/python
  elif [[ -x .venv/Scripts/python.exe ]]; then python=.venv/Scripts/python.exe  # Git Bash on Windows
  else python=python3; fi
fi
if ! "$python" -c "import PyInstaller" 2>/dev/null; then
  echo "PyInstaller is not installed in $python: $python -m pip install pyinstaller" >&2
  exit 2
fi

mkdir -p build
log=build/pyinstaller.log
start=$(date +%s)
if ! "$python" -m PyInstaller --noconfirm --clean \
    --distpath dist --workpath build/pyinstaller \
    packaging/twinedge-desktop.spec >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "PyInstaller failed; full log: $log" >&2
  exit 1
fi
end=$(date +%s)

bundle=dist/twinedge-desktop
grep -E "^\[twinedge spec\] (binaries|datas):" "$log" || true
echo "Built $bundle in $((end - start)) s"
# Counted in Python: `du -b` is GNU-only (macOS, Git Bash differ).
"$python" - "$bundle" <<'PY'
import sys
from pathlib import Path

files = [p for p in Path(sys.argv[1]).rglob("*") if p.is_file() and not p.is_symlink()]
total = sum(p.stat().st_size for p in files)
print(f"Bundle size: {total / 2**20:.0f} MiB ({total} bytes, {len(files)} files)")
PY
if [[ -d "dist/TwinEdge Desktop.app" ]]; then
  echo "App bundle: dist/TwinEdge Desktop.app ($(du -sh "dist/TwinEdge Desktop.app" | cut -f1))"
fi

if ((archive)) && [[ "$(uname -s)" == Linux ]]; then
  # The bundle plus what puts it in the desktop's menu (desktop/install-desktop-entry.sh).
  version="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' twinedge_desktop/__init__.py)"
  name="twinedge-desktop-$version-linux-$(uname -m)"
  staging=build/archive
  rm -rf "$staging"
  mkdir -p "$staging"
  cp -a "$bundle" "$staging/twinedge-desktop"
  cp -a packaging/linux "$staging/twinedge-desktop/desktop"
  tar -C "$staging" -czf "dist/$name.tar.gz" twinedge-desktop
  rm -rf "$staging"
  echo "Archive: dist/$name.tar.gz ($(du -h "dist/$name.tar.gz" | cut -f1))"
fi
