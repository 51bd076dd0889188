"""Packaging, for real: the PyInstaller bundle built from a clean copy of this checkout opens its window and
does a run on a real X display; install-linux.sh puts it in the launcher; `python -m build` makes a wheel and
sdist that pipx installs. Plus the generated icons, the desktop entry, AppStream data and the Windows manifest.

Everything built or installed goes to pytest's tmp dirs (PyInstaller's and pip's caches too)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from conftest import CLI, read_trajectory
from desktop import need

import agent_app

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
METAINFO = "io.github.agent_app.agent_app.metainfo.xml"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
BUNDLE_BUDGET_MB = 230  # measured 159 MB (Linux, PySide6 6.12): a jump past this means a big module crept in
MODEL_IMAGE_1080P = (1932, 1092)  # what UI-TARS-1.5 sees of a 1920x1080 screen (smart_resize)
FINISH = "Thought: All done.\nAction: finished(content='done')"


def clean_checkout(dest: Path) -> Path:
    """The files of a fresh clone of this checkout, with uncommitted and new (not git-ignored) files as they
    are now: never .venv, build output or caches. In CI, which runs on a fresh clone, it is that clone."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True,
        )
    except FileNotFoundError:  # no git at all
        listed = subprocess.CompletedProcess([], 1)
    if listed.returncode != 0:  # not a git checkout (an unpacked sdist): copy it, minus what git would ignore
        ignore = shutil.ignore_patterns(".git", ".venv", "build", "dist", "__pycache__", "*.pyc", "*.egg-info")
        shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
        return dest
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not there
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return clean_checkout(tmp_path_factory.mktemp("checkout") / "agent-app")


@pytest.fixture(scope="module")
def bundle(source, tmp_path_factory) -> Path:
    """dist/agent-app/ built by packaging/build.sh from the clean copy, with this test run's Python."""
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed; `bash .ci/run` installs the project with its [bundle] extra")
    out = tmp_path_factory.mktemp("bundle")
    env = {**os.environ, "PYINSTALLER_CONFIG_DIR": str(out / "pyinstaller-cache")}
    started = time.monotonic()
    proc = subprocess.run(
        ["bash", str(source / "packaging" / "build.sh"), "--python", sys.executable,
         "--dist", str(out / "dist"), "--work", str(out / "work")],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    print(f"\nbundle built in {time.monotonic() - started:.0f} s: {proc.stdout.strip().splitlines()[-1]}")
    return out / "dist" / "agent-app"


def asset_files(checkout: Path) -> list[str]:
    """The icon and desktop files in a checkout's assets/ (its __init__.py makes it a package)."""
    return sorted(p.name for p in (checkout / "assets").iterdir() if p.is_file() and p.suffix != ".py")


class BundleCLI(CLI):
    """The conftest CLI helper, running the bundled binary instead of `python -m agent_app`."""

    def __init__(self, binary: Path, *args) -> None:
        super().__init__(*args)
        self.binary = binary

    def command(self, *args: str) -> list[str]:
        return [str(self.binary), *args]


def windows_of(desktop, pid: int, name: str = "agent-app", timeout: float = 30) -> list[str]:
    """Ids of the visible windows titled `name` that process `pid` shows, waiting until there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = [w for w in desktop.xdotool("search", "--onlyvisible", "--name", name).split()
               if desktop.xdotool("getwindowpid", w) == str(pid)]
        if ids:
            return ids
        time.sleep(0.05)
    raise AssertionError(f"process {pid} showed no window titled {name!r} within {timeout} s")


def stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


# ---- the bundle ----
@pytest.mark.slow
@pytest.mark.x11
@pytest.mark.timeout(900)
def test_bundle_has_what_the_app_needs_and_only_the_qt_it_uses(bundle, source):
    internal = bundle / "_internal"
    assert os.access(bundle / "agent-app", os.X_OK)
    files = {str(p.relative_to(internal)) for p in internal.rglob("*")}
    names = {Path(f).name for f in files}
    # Qt: the xcb platform, the SVG icon engine; none of the big modules the app does not import.
    assert "PySide6/Qt/plugins/platforms/libqxcb.so" in files
    assert "PySide6/Qt/plugins/iconengines/libqsvgicon.so" in files
    for unused in ("WebEngine", "Qml", "Quick", "3DCore", "Multimedia", "Pdf", "Charts"):
        assert not [n for n in names if f"Qt6{unused}" in n or f"Qt{unused}." in n], unused
    assert not [f for f in files if "translations" in f]
    assert "libgtk-3.so.0" not in names  # the GTK platform theme is left out, and GTK with it
    # The icons, as the package data agent_app.assets.
    for asset in asset_files(source):
        assert f"agent_app/assets/{asset}" in files, asset
    # keyring finds its backends through entry points: the metadata must be there (SecretService via jeepney).
    assert any(re.fullmatch(r"keyring-[\d.]+\.dist-info/entry_points\.txt", f) for f in files)
    assert not [n for n in names if n.startswith(("tkinter", "_tkinter", "libtk", "libtcl"))]
    size_mb = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20
    print(f"\nbundle size: {size_mb:.0f} MB")
    assert size_mb < BUNDLE_BUDGET_MB
    out = subprocess.run([bundle / "agent-app", "--version"], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == f"agent-app {agent_app.__version__}"


@pytest.mark.slow
@pytest.mark.x11
@pytest.mark.timeout(900)
def test_bundled_app_opens_its_main_window(bundle, desktop, app_env):
    started = time.monotonic()
    proc = subprocess.Popen([bundle / "agent-app"], env=desktop.full_env(app_env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        ids = windows_of(desktop, proc.pid)
        print(f"\nbundled app: window after {time.monotonic() - started:.2f} s")
        assert proc.poll() is None
        wm_class = subprocess.run(["xprop", "-id", ids[0], "WM_CLASS"], capture_output=True, text=True,
                                  env=desktop.full_env()).stdout
        assert '"agent-app"' in wm_class  # what the desktop entry's StartupWMClass names
    finally:
        stop(proc.pid)
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err, err
    assert "unavailable here" not in err, err  # global hotkeys: pynput's X11 backend made it into the bundle


@pytest.mark.slow
@pytest.mark.x11
@pytest.mark.timeout(900)
def test_bundled_run_clicks_and_finishes_with_the_key_from_the_keychain(bundle, desktop, server, app_env,
                                                                         tmp_path):
    # xclip, which pastes non-ASCII text, behind a wrapper that notes the library path it was started with.
    wrappers = tmp_path / "bin"
    wrappers.mkdir()
    seen = tmp_path / "xclip-env.txt"
    (wrappers / "xclip").write_text(
        f'#!/bin/sh\necho "LD_LIBRARY_PATH=${{LD_LIBRARY_PATH-}}" >> {seen}\nexec {need("xclip")} "$@"\n'
    )
    (wrappers / "xclip").chmod(0o755)
    app_env = {**app_env, "PATH": f"{wrappers}:{os.environ['PATH']}"}
    cli = BundleCLI(bundle / "agent-app", desktop, app_env, tmp_path / "runs")
    key = "sk-bundle-test-0123456789"
    saved = cli.run("key", "set", input=key + "\n")
    assert saved.returncode == 0, saved.stderr  # keyring → SecretService (secretstorage, jeepney) from the bundle
    try:
        server.api_key = key  # the server refuses any other key: the run must read it from the keychain
        target = (640, 360)
        mx, my = (round(target[0] * MODEL_IMAGE_1080P[0] / 1920), round(target[1] * MODEL_IMAGE_1080P[1] / 1080))
        server.add(
            f"Thought: Click it.\nAction: click(start_box='<|box_start|>({mx},{my})<|box_end|>')",
            "Thought: Say hello.\nAction: type(content='héllo')",  # é goes through the clipboard (xclip)
            FINISH,
        )
        desktop.xdotool("mousemove", "1500", "900")
        proc, summary = cli.run_task(server, "click the middle")
        assert proc.returncode == 0, proc.stderr
        assert summary["status"] == "finished" and summary["steps"] == 3 and summary["error"] is None
        assert desktop.pointer() == target  # pyautogui (python-xlib) from the bundle moved the real pointer
        steps = [line for line in read_trajectory(summary["run_dir"]) if line["kind"] == "step"]
        assert len(steps) == 3
        # Programs the bundle starts get the person's library path, not the bundle's (launcher.py).
        started = seen.read_text().splitlines()
        assert started and all("_internal" not in line for line in started), started
        shot = Path(summary["run_dir"]) / steps[0]["screenshot"]
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # mss + Pillow captured and encoded the screen
        image_url = json.dumps(server.chat_requests()[0]["body"])
        assert "data:image/webp;base64," in image_url  # the bundle's Pillow encodes lossless WebP
    finally:
        cli.run("key", "delete")


# ---- desktop integration ----
@pytest.mark.slow
@pytest.mark.x11
@pytest.mark.timeout(900)
def test_install_linux_puts_the_app_in_the_launcher_and_uninstall_removes_it(bundle, desktop, app_env, tmp_path):
    for tool in ("desktop-file-validate", "appstreamcli", "gtk-launch"):
        need(tool)
    home = tmp_path / "home"
    share = home / ".local" / "share"
    (share / "applications").mkdir(parents=True)
    (share / "applications" / "other.desktop").write_text("[Desktop Entry]\nType=Application\nName=o\nExec=o\n")
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(share), "XDG_CONFIG_HOME": str(home / ".config")}
    proc = subprocess.run([bundle / "install-linux.sh"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    app = home / ".local" / "opt" / "agent-app"
    entry = share / "applications" / "agent-app.desktop"
    assert (home / ".local" / "bin" / "agent-app").resolve() == (app / "agent-app").resolve()
    lint = subprocess.run(["desktop-file-validate", entry], capture_output=True, text=True)
    assert lint.returncode == 0 and not lint.stdout.strip(), lint.stdout
    assert f'Exec="{app}/agent-app"' in entry.read_text()
    appstream = subprocess.run(["appstreamcli", "validate", "--no-net", share / "metainfo" / METAINFO],
                               capture_output=True, text=True)
    assert appstream.returncode == 0, appstream.stdout + appstream.stderr

    from PIL import Image

    for size in ICON_SIZES:
        with Image.open(share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "agent-app.png") as icon:
            assert icon.size == (size, size)
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "agent-app.svg").read_bytes().startswith(b"<svg")

    # Start it the way a launcher does: by desktop-file id, looked up in $XDG_DATA_HOME/applications.
    launch_env = desktop.full_env({**app_env, "HOME": str(home), "XDG_DATA_HOME": str(share)})
    subprocess.run(["gtk-launch", "agent-app"], env=launch_env, timeout=30, check=True)
    pid = None
    deadline = time.monotonic() + 30
    while pid is None and time.monotonic() < deadline:
        for window in desktop.xdotool("search", "--onlyvisible", "--name", "^agent-app$").split():
            owner = desktop.xdotool("getwindowpid", window)
            if owner.isdigit() and Path(f"/proc/{owner}/exe").resolve() == (app / "agent-app").resolve():
                pid = int(owner)  # the installed binary's main window
        time.sleep(0.05)
    assert pid is not None, "gtk-launch agent-app showed no window of the installed app"
    stop(pid)

    settings = home / ".config" / "agent-app" / "settings.json"  # the person's own data: kept unless --purge
    settings.parent.mkdir(parents=True)
    settings.write_text("{}")
    (share / "agent-app" / "runs").mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([app / "uninstall-linux.sh"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    cache = share / "applications" / "mimeinfo.cache"  # update-desktop-database's, where installed

    def left() -> list[str]:
        return sorted(str(p.relative_to(home)) for p in home.rglob("*")
                      if (p.is_file() or p.is_symlink()) and p != cache and "agent-app/logs" not in str(p))

    assert not cache.exists() or "agent-app" not in cache.read_text()
    # Ours gone; the neighbour's entry and the person's settings untouched.
    assert left() == [".config/agent-app/settings.json", ".local/share/applications/other.desktop"]
    assert (share / "agent-app" / "runs").is_dir()
    proc = subprocess.run([bundle / "uninstall-linux.sh", "--purge"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert left() == [".local/share/applications/other.desktop"]
    assert not (share / "agent-app").exists() and not settings.parent.exists()


# ---- Python distribution ----
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_build_makes_wheel_and_sdist_that_pipx_installs(source, tmp_path):
    if importlib.util.find_spec("build") is None:
        pytest.fail("`build` is not installed; `bash .ci/run` installs the [test] extra")
    out = tmp_path / "dist"
    env = {**os.environ, "PIP_CACHE_DIR": str(tmp_path / "pip-cache")}
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", out, source],  # wheel built from the sdist
                           capture_output=True, text=True, env=env, timeout=600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    version = agent_app.__version__
    wheel, sdist = out / f"agent_app-{version}-py3-none-any.whl", out / f"agent_app-{version}.tar.gz"
    assets = asset_files(source)
    with zipfile.ZipFile(wheel) as whl:
        in_wheel = whl.namelist()
    assert sorted(n.removeprefix("agent_app/assets/") for n in in_wheel
                  if n.startswith("agent_app/assets/") and not n.endswith(".py")) == assets
    assert not [n for n in in_wheel if n.startswith(("tests/", "packaging/"))]
    with tarfile.open(sdist) as tar:
        in_sdist = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in ("pyproject.toml", "README.md", "packaging/build.sh", "packaging/agent-app.spec",
                   "packaging/install-linux.sh", "tests/conftest.py", *(f"assets/{a}" for a in assets)):
        assert needed in in_sdist, needed

    home = tmp_path / "pipx"
    pipx_env = {**env, "PIPX_HOME": str(home), "PIPX_BIN_DIR": str(home / "bin"), "PIPX_MAN_DIR": str(home / "man")}
    if importlib.util.find_spec("pipx") is not None:
        installer = [sys.executable, "-m", "pipx", "install", str(wheel)]
        agent = home / "bin" / "agent-app"
        python = home / "venvs" / "agent-app" / "bin" / "python"
    else:  # a plain venv does the same job
        subprocess.run([sys.executable, "-m", "venv", home / "venv"], check=True, timeout=120)
        installer = [home / "venv" / "bin" / "python", "-m", "pip", "install", "-q", wheel]
        agent, python = home / "venv" / "bin" / "agent-app", home / "venv" / "bin" / "python"
    installed = subprocess.run(installer, capture_output=True, text=True, env=pipx_env, timeout=600)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    shown = subprocess.run([agent, "--version"], capture_output=True, text=True, timeout=60)
    assert shown.stdout.strip() == f"agent-app {version}", shown.stderr
    # The installed app finds its icons where the UI looks for them, next to a working Qt.
    probe = ("import PySide6.QtWidgets; from agent_app.ui.resources import asset_path; "
             "print(asset_path('agent-app.svg').is_file(), asset_path('agent-app.desktop').is_file())")
    found = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                           env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})  # cwd: not this checkout's copy
    assert found.stdout.split() == ["True", "True"], found.stderr


# ---- generated files (fast) ----
def make_icons(*args: str) -> subprocess.CompletedProcess:
    """packaging/make_icons.py in a process of its own: its offscreen QGuiApplication must not become this
    test session's Qt application."""
    return subprocess.run([sys.executable, ROOT / "packaging" / "make_icons.py", *args], capture_output=True,
                          text=True, timeout=120)


def test_icons_are_rendered_from_the_svg_in_every_size():
    check = make_icons("--check")  # each PNG exists, has its size and still looks like agent-app.svg
    assert check.returncode == 0, check.stderr

    from PIL import Image

    for size in ICON_SIZES:
        with Image.open(ASSETS / f"agent-app-{size}.png") as png:
            assert png.size == (size, size) and png.mode == "RGBA"
    with Image.open(ASSETS / "agent-app.ico") as ico:
        assert {size for size, _ in ico.info["sizes"]} == {16, 24, 32, 48, 64, 128, 256}
    with Image.open(ASSETS / "agent-app.icns") as icns:
        # (side, side, scale): 16..512 at 1x and 2x, i.e. up to 1024 px for Retina
        assert {(512, 512, 2), (256, 256, 1), (128, 128, 1), (32, 32, 2), (16, 16, 2)} <= set(icns.info["sizes"])


def test_make_icons_notices_a_changed_svg_and_regenerates(tmp_path):
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS, assets)
    svg = assets / "agent-app.svg"
    svg.write_text(svg.read_text().replace("#4f46e5", "#e11d48").replace("#0891b2", "#f59e0b"))
    stale = make_icons("--check", "--assets", str(assets))
    assert stale.returncode == 1
    assert len([line for line in stale.stderr.splitlines() if "differs from the SVG" in line]) == len(ICON_SIZES)
    assert make_icons("--assets", str(assets)).returncode == 0
    assert make_icons("--check", "--assets", str(assets)).returncode == 0
    assert (assets / "agent-app.ico").read_bytes() != (ASSETS / "agent-app.ico").read_bytes()


def test_desktop_entry_and_appstream_metadata_validate():
    need("desktop-file-validate")
    need("appstreamcli")
    lint = subprocess.run(["desktop-file-validate", ASSETS / "agent-app.desktop"], capture_output=True, text=True)
    assert lint.returncode == 0 and not lint.stdout.strip(), lint.stdout
    entry = (ASSETS / "agent-app.desktop").read_text()
    assert "Icon=agent-app\n" in entry and "StartupWMClass=agent-app\n" in entry  # = setDesktopFileName
    check = subprocess.run(["appstreamcli", "validate", "--no-net", ASSETS / METAINFO], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "<launchable type=\"desktop-id\">agent-app.desktop</launchable>" in (ASSETS / METAINFO).read_text()


def test_launcher_gives_child_processes_the_original_library_path(monkeypatch):
    spec = importlib.util.spec_from_file_location("launcher", ROOT / "packaging" / "launcher.py")
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/agent-app/_internal")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/usr/local/lib")
    launcher.restore_library_path()
    assert os.environ["LD_LIBRARY_PATH"] == "/usr/local/lib" and "LD_LIBRARY_PATH_ORIG" not in os.environ
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/agent-app/_internal")  # the person had none
    launcher.restore_library_path()
    assert "LD_LIBRARY_PATH" not in os.environ
    monkeypatch.setattr(sys, "frozen", False)
    monkeypatch.setenv("LD_LIBRARY_PATH", "/mine")  # not a bundle: leave it alone
    launcher.restore_library_path()
    assert os.environ["LD_LIBRARY_PATH"] == "/mine"


def test_windows_manifest_keeps_per_monitor_dpi_awareness_through_pyinstaller():
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed; `bash .ci/run` installs the project with its [bundle] extra")
    from xml.dom import minidom

    from PyInstaller.utils.win32 import winmanifest

    source = (ROOT / "packaging" / "windows" / "agent-app.manifest").read_bytes()
    embedded = minidom.parseString(winmanifest.create_application_manifest(source, False, False))

    def text(tag: str) -> str:
        (element,) = embedded.getElementsByTagName(tag)
        return element.firstChild.data.strip()

    assert text("dpiAwareness") == "PerMonitorV2, PerMonitor"
    assert text("dpiAware") == "true/pm"
    (level,) = embedded.getElementsByTagName("requestedExecutionLevel")
    assert level.getAttribute("level") == "asInvoker"  # never a UAC prompt at start
