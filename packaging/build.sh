#!/usr/bin/env bash
# Build the one-folder agent-app bundle with PyInstaller (Linux: dist/agent-app/, macOS: dist/agent-app.app).
#
#   packaging/build.sh [--python PY] [--dist DIR] [--work DIR]
#
# The Python used is --python, else $PYTHON, else the checkout's .venv/bin/python, else python3. If it lacks
# PyInstaller or the app's dependencies, a build venv is made in the work folder and `.[bundle]` installed there.
# The app's sources always come from this checkout (see stage_sources() in agent-app.spec).
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST="$SRC/dist"
WORK="$SRC/build/bundle"
PY="${PYTHON:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --python) PY="$2"; shift 2 ;;
    --dist) DIST="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    -h|--help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$PY" ]; then
  if [ -x "$SRC/.venv/bin/python" ]; then PY="$SRC/.venv/bin/python"; else PY="python3"; fi
fi
mkdir -p "$DIST" "$WORK"
DIST="$(cd "$DIST" && pwd)"
WORK="$(cd "$WORK" && pwd)"

# find_spec, not import: pyautogui wants a display when imported
NEEDED="PyInstaller PySide6 PIL mss pyautogui keyring openai anthropic platformdirs pyperclip"
if ! "$PY" -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in sys.argv[1:]))" \
    $NEEDED 2>/dev/null; then
  echo "build.sh: $PY lacks PyInstaller or the app's dependencies; installing them into $WORK/venv"
  "$PY" -m venv "$WORK/venv"
  "$WORK/venv/bin/python" -m pip install -q --upgrade pip
  "$WORK/venv/bin/python" -m pip install -q "$SRC[bundle]"
  PY="$WORK/venv/bin/python"
fi

start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK/pyinstaller" "$SRC/packaging/agent-app.spec"
elapsed=$(( $(date +%s) - start ))

case "$(uname -s)" in
  Darwin) OUT="$DIST/agent-app.app"; BIN="$OUT/Contents/MacOS/agent-app" ;;
  *) OUT="$DIST/agent-app"; BIN="$OUT/agent-app" ;;
esac
if [ "$(uname -s)" = Linux ]; then  # a shipped bundle installs itself: agent-app/install-linux.sh
  cp "$SRC/packaging/install-linux.sh" "$SRC/packaging/uninstall-linux.sh" "$OUT/"
fi
version="$("$BIN" --version)"  # the bundle starts and knows its version, or the build failed
size="$(du -sm "$OUT" | cut -f1)"
echo "build.sh: built $version in ${elapsed} s: $OUT (${size} MB)"
