# Build the agent-app bundle on Windows with PyInstaller:
#   dist\agent-app\agent-app.exe      the desktop app (no console window; per-monitor DPI-aware manifest)
#   dist\agent-app\agent-app-cli.exe  the same program with a console, for `run`, `key`, `runs` ...
#
#   powershell -ExecutionPolicy Bypass -File packaging\build.ps1 [-Python PY] [-Dist DIR] [-Work DIR]
#
# The Python used is -Python, else the checkout's .venv, else `py`. If it lacks PyInstaller or the app's
# dependencies, a build venv is made in the work folder and `.[bundle]` installed there (as build.sh does).
param([string]$Python = "", [string]$Dist = "", [string]$Work = "")
$ErrorActionPreference = "Stop"
$Src = Split-Path -Parent $PSScriptRoot
if (-not $Dist) { $Dist = Join-Path $Src "dist" }
if (-not $Work) { $Work = Join-Path $Src "build\bundle" }
if (-not $Python) {
  $venv = Join-Path $Src ".venv\Scripts\python.exe"
  if (Test-Path $venv) { $Python = $venv } else { $Python = "py" }
}

$needed = "PyInstaller", "PySide6", "PIL", "mss", "pyautogui", "keyring", "openai", "platformdirs", "pyperclip"
& $Python -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in sys.argv[1:]))" @needed
if ($LASTEXITCODE -ne 0) {
  Write-Host "build.ps1: $Python lacks PyInstaller or the app's dependencies; installing them into $Work\venv"
  & $Python -m venv (Join-Path $Work "venv")
  if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
  $Python = Join-Path $Work "venv\Scripts\python.exe"
  & $Python -m pip install -q --upgrade pip
  & $Python -m pip install -q "$Src[bundle]"
  if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

$watch = [Diagnostics.Stopwatch]::StartNew()
& $Python -m PyInstaller --noconfirm --clean --log-level WARN --distpath $Dist `
  --workpath (Join-Path $Work "pyinstaller") (Join-Path $Src "packaging\agent-app.spec")
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }

$out = Join-Path $Dist "agent-app"
$version = & (Join-Path $out "agent-app-cli.exe") --version  # the bundle starts and knows its version
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
$size = [math]::Round((Get-ChildItem $out -Recurse -File | Measure-Object Length -Sum).Sum / 1MB)
Write-Host "build.ps1: built $version in $([math]::Round($watch.Elapsed.TotalSeconds)) s: $out ($size MB)"
