#!/usr/bin/env sh
# Add TwinEdge Desktop to the desktop's application menu (or remove it again).
#
#   packaging/linux/install-desktop-entry.sh                       # ~/.local, finds twinedge-desktop on PATH
#   packaging/linux/install-desktop-entry.sh --exec /opt/twinedge-desktop/twinedge-desktop
#   packaging/linux/install-desktop-entry.sh --prefix /usr/local   # system-wide (as root)
#   packaging/linux/install-desktop-entry.sh --uninstall
#
# For pipx and bundle installs, which put the program on disk but tell no desktop about it.
# Installs the .desktop file (Exec set to the program's absolute path), the AppStream
# metainfo and the hicolor icons under PREFIX/share, then refreshes the desktop caches
# when their tools are present.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
app_id=io.twinedge.Desktop
prefix="${XDG_DATA_HOME:+$(dirname "$XDG_DATA_HOME")}"
prefix="${prefix:-$HOME/.local}"
exec_path=""
uninstall=0

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --exec) exec_path="$2"; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

share="$prefix/share"
if [ "$uninstall" -eq 1 ]; then
  rm -f "$share/applications/$app_id.desktop" "$share/metainfo/$app_id.metainfo.xml"
  for icon in "$share"/icons/hicolor/*/apps/"$app_id".png "$share"/icons/hicolor/scalable/apps/"$app_id".svg; do
    rm -f "$icon"
  done
  echo "Removed TwinEdge Desktop's menu entry from $share"
else
  if [ -z "$exec_path" ]; then
    exec_path="$(command -v twinedge-desktop || true)"
  fi
  if [ -z "$exec_path" ] || [ ! -x "$exec_path" ]; then
    echo "twinedge-desktop not found: pass --exec /path/to/twinedge-desktop" >&2
    exit 1
  fi
  case "$exec_path" in /*) ;; *) exec_path="$(cd "$(dirname "$exec_path")" && pwd)/$(basename "$exec_path")" ;; esac
  case "$exec_path" in
    *[!A-Za-z0-9_./+-]*) echo "please use a path without spaces or special characters: $exec_path" >&2; exit 1 ;;
  esac

  mkdir -p "$share/applications" "$share/metainfo"
  sed -e "s|^Exec=twinedge-desktop|Exec=$exec_path|" -e "s|^TryExec=twinedge-desktop|TryExec=$exec_path|" \
    "$here/$app_id.desktop" >"$share/applications/$app_id.desktop"
  cp "$here/$app_id.metainfo.xml" "$share/metainfo/"
  (cd "$here/icons" && find hicolor -type f -name "$app_id.*") | while read -r icon; do
    mkdir -p "$share/icons/$(dirname "$icon")"
    cp "$here/icons/$icon" "$share/icons/$icon"
  done
  echo "Installed TwinEdge Desktop's menu entry in $share (runs $exec_path)"
fi

if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$share/applications" 2>/dev/null || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$share/icons/hicolor/index.theme" ]; then
  gtk-update-icon-cache -q -t "$share/icons/hicolor" 2>/dev/null || true
fi
