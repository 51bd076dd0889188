#!/usr/bin/env bash
# Install the agent-app bundle for the current user, so it appears in the desktop's launcher.
#
#   install-linux.sh [--bundle DIR] [--prefix DIR]
#
# --bundle  the built one-folder bundle (default: the folder this script sits in when it is shipped inside the
#           bundle, else dist/agent-app of this checkout; build it with packaging/build.sh)
# --prefix  default ~/.local. Installs:
#             PREFIX/opt/agent-app/                 the bundle
#             PREFIX/bin/agent-app                  a link to it, for the command line
#             DATA/applications/agent-app.desktop   the launcher entry (DATA = $XDG_DATA_HOME or PREFIX/share)
#             DATA/icons/hicolor/*/apps/agent-app.* icons, 16..512 px and scalable SVG
#             DATA/metainfo/*.metainfo.xml          AppStream metadata for software centres
# Settings, runs and the API key are not touched; uninstall-linux.sh removes exactly what this installs.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PREFIX="$HOME/.local"
BUNDLE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) BUNDLE="$2"; shift 2 ;;
    --prefix) PREFIX="$2"; shift 2 ;;
    -h|--help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "install-linux.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$BUNDLE" ]; then
  if [ -x "$HERE/agent-app" ] && [ -d "$HERE/_internal" ]; then BUNDLE="$HERE"; else BUNDLE="$HERE/../dist/agent-app"; fi
fi
if [ ! -x "$BUNDLE/agent-app" ] || [ ! -d "$BUNDLE/_internal" ]; then
  echo "install-linux.sh: no bundle at $BUNDLE (build it with packaging/build.sh, or pass --bundle DIR)" >&2
  exit 2
fi
BUNDLE="$(cd "$BUNDLE" && pwd)"
ASSETS="$BUNDLE/_internal/agent_app/assets"
DATA="${XDG_DATA_HOME:-$PREFIX/share}"
APP="$PREFIX/opt/agent-app"
METAINFO="io.github.agent_app.agent_app.metainfo.xml"
SIZES="16 24 32 48 64 128 256 512"

version="$("$BUNDLE/agent-app" --version)"  # refuse a bundle that does not start

# The bundle: copied next to the old one, then swapped in, so a failed copy leaves the old install working.
mkdir -p "$PREFIX/opt" "$PREFIX/bin"
if [ "$BUNDLE" != "$APP" ]; then
  rm -rf "$APP.new"
  cp -a "$BUNDLE" "$APP.new"
  rm -rf "$APP.old"
  if [ -e "$APP" ]; then mv "$APP" "$APP.old"; fi
  mv "$APP.new" "$APP"
  rm -rf "$APP.old"
fi
cp "$HERE/uninstall-linux.sh" "$APP/uninstall-linux.sh" 2>/dev/null || true
ln -sfn "$APP/agent-app" "$PREFIX/bin/agent-app"

# Icons in the hicolor theme, then the launcher entry that names them.
for size in $SIZES; do
  install -D -m 644 "$ASSETS/agent-app-$size.png" "$DATA/icons/hicolor/${size}x${size}/apps/agent-app.png"
done
install -D -m 644 "$ASSETS/agent-app.svg" "$DATA/icons/hicolor/scalable/apps/agent-app.svg"
mkdir -p "$DATA/applications"
sed -e "s|^Exec=.*|Exec=\"$APP/agent-app\"|" -e "/^Exec=/a TryExec=$APP/agent-app" \
  "$ASSETS/agent-app.desktop" > "$DATA/applications/agent-app.desktop"
chmod 644 "$DATA/applications/agent-app.desktop"
install -D -m 644 "$ASSETS/$METAINFO" "$DATA/metainfo/$METAINFO"

# Refresh the desktop's caches where the tools exist (launchers also notice new files on their own).
if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$DATA/applications" || true; fi
if command -v gtk-update-icon-cache >/dev/null && [ -f "$DATA/icons/hicolor/index.theme" ]; then
  gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
fi

echo "installed $version to $APP"
echo "  launcher entry: $DATA/applications/agent-app.desktop"
case ":$PATH:" in
  *":$PREFIX/bin:"*) echo "  command line:   agent-app" ;;
  *) echo "  command line:   $PREFIX/bin/agent-app ($PREFIX/bin is not on your PATH)" ;;
esac
echo "  uninstall:      $APP/uninstall-linux.sh"
