#!/usr/bin/env bash
# Remove what install-linux.sh installed for the current user.
#
#   uninstall-linux.sh [--prefix DIR] [--purge]
#
# --prefix  the prefix given to install-linux.sh (default ~/.local)
# --purge   also delete settings (~/.config/agent-app), runs (~/.local/share/agent-app) and the API key saved in
#           the OS keychain (service "agent-app"); without it they stay, for a later reinstall
set -euo pipefail

PREFIX="$HOME/.local"
PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="$2"; shift 2 ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "uninstall-linux.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
DATA="${XDG_DATA_HOME:-$PREFIX/share}"
APP="$PREFIX/opt/agent-app"
METAINFO="io.github.agent_app.agent_app.metainfo.xml"

if [ "$PURGE" = 1 ]; then
  if [ -x "$APP/agent-app" ]; then "$APP/agent-app" key delete >/dev/null 2>&1 || true; fi
  rm -rf "${XDG_CONFIG_HOME:-$HOME/.config}/agent-app" "${XDG_DATA_HOME:-$HOME/.local/share}/agent-app"
fi

# Only our own files: the link if it points into the bundle, the bundle if it is one.
if [ -L "$PREFIX/bin/agent-app" ] && [ "$(readlink "$PREFIX/bin/agent-app")" = "$APP/agent-app" ]; then
  rm -f "$PREFIX/bin/agent-app"
fi
if [ -x "$APP/agent-app" ] && [ -d "$APP/_internal" ]; then
  rm -rf "$APP"
fi
rm -f "$DATA/applications/agent-app.desktop" "$DATA/metainfo/$METAINFO" \
  "$DATA/icons/hicolor/scalable/apps/agent-app.svg"
for size in 16 24 32 48 64 128 256 512; do
  rm -f "$DATA/icons/hicolor/${size}x${size}/apps/agent-app.png"
done

if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$DATA/applications" || true; fi
if command -v gtk-update-icon-cache >/dev/null && [ -f "$DATA/icons/hicolor/index.theme" ]; then
  gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
fi
echo "agent-app is uninstalled$([ "$PURGE" = 1 ] && echo ", with its settings, runs and saved key" || true)"
