"""Operating-system permissions agent-app needs but cannot grant itself, checked at start-up (no Qt here).

macOS: posting mouse and keyboard events needs Accessibility access, and seeing other apps' windows needs
Screen Recording access; without them input is dropped silently and screenshots show only the wallpaper.
Windows: User Interface Privilege Isolation (UIPI) drops input that a normal process sends to a window of an
elevated ("Run as administrator") process, so the agent would click and type into nothing.

Each check is a decision over probes passed in (`MacProbes`, `WindowsProbes`), so the logic is tested on any
platform; `mac_probes()` and `windows_probes()` build the real ones with ctypes. A probe answers None when it
cannot tell, and an unknown never raises a warning.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

SETTINGS_PATH = "System Settings → Privacy & Security"
TERMINALS = {"Apple_Terminal": "Terminal", "iTerm.app": "iTerm", "vscode": "Visual Studio Code",
             "WezTerm": "WezTerm", "ghostty": "Ghostty", "WarpTerminal": "Warp"}


@dataclass(frozen=True)
class Problem:
    """One missing permission: `key` names it, `message` says what breaks and exactly where to fix it."""

    key: str  # "accessibility", "screen-recording" or "elevated-target"
    message: str


@dataclass
class MacProbes:
    accessibility: Callable[[], bool | None]  # AXIsProcessTrusted()
    screen_recording: Callable[[], bool | None]  # CGPreflightScreenCaptureAccess(); None before macOS 10.15
    request_accessibility: Callable[[], object] = lambda: None  # shows macOS's own prompt, lists the app
    request_screen_recording: Callable[[], object] = lambda: None
    holder: str = "agent-app"  # who macOS gives the permission to: the app, or the terminal it runs in


@dataclass
class WindowsProbes:
    self_elevated: Callable[[], bool | None]
    foreground_window: Callable[[], int | None]  # a window handle, or None
    window_pid: Callable[[int], int | None]
    window_title: Callable[[int], str]
    process_elevated: Callable[[int], bool | None]
    window_at: Callable[[int, int], int | None] = lambda x, y: None  # the top-level window under a screen point
    own_pid: int = field(default_factory=os.getpid)


def mac_problems(probes: MacProbes, *, request: bool = True) -> list[Problem]:
    """Accessibility and Screen Recording, each missing one with where to grant it. With `request`, macOS is
    also asked to show its own prompt, which adds the app to the list in System Settings."""
    who = probes.holder
    relaunch = "then quit agent-app and open it again (macOS applies the change on the next start)"
    problems = []
    if probes.accessibility() is False:
        if request:
            probes.request_accessibility()
        problems.append(Problem("accessibility", (
            f"agent-app cannot move the pointer or type: macOS has not given {who} Accessibility access. "
            f"Open {SETTINGS_PATH} → Accessibility, turn on {who} (add it with + if it is not listed), {relaunch}."
        )))
    if probes.screen_recording() is False:
        if request:
            probes.request_screen_recording()
        problems.append(Problem("screen-recording", (
            f"agent-app cannot see other apps' windows (screenshots show only the desktop): macOS has not given "
            f"{who} Screen Recording access. Open {SETTINGS_PATH} → Screen Recording (\"Screen & System Audio "
            f"Recording\" on macOS 15), turn on {who}, {relaunch}."
        )))
    return problems


def elevated_target_problem(probes: WindowsProbes, window: int | None = None,
                            point: tuple[int, int] | None = None) -> Problem | None:
    """A warning when the target window belongs to an elevated process while agent-app is not elevated:
    Windows would then block every click and key agent-app sends to it. The target is `window`, else the
    window under `point` (where an action is about to land), else the foreground window."""
    if probes.self_elevated() is not False:
        return None  # elevated ourselves (UIPI lets us through), or unknown
    if window is None:
        window = probes.window_at(*point) if point is not None else probes.foreground_window()
    if not window:
        return None
    pid = probes.window_pid(window)
    if pid is None or pid == probes.own_pid or probes.process_elevated(pid) is not True:
        return None
    title = (probes.window_title(window) or "").strip()
    name = f"“{title}”" if title else "The window in front"
    return Problem("elevated-target", (
        f"{name} runs as administrator and agent-app does not, so Windows blocks agent-app's clicks and typing "
        "in it (User Interface Privilege Isolation). Close it and start it normally, or start agent-app as "
        "administrator too (right-click agent-app → Run as administrator)."
    ))


def check(platform: str | None = None, probes: MacProbes | WindowsProbes | None = None, *,
          request: bool = True) -> list[Problem]:
    """What is missing on this platform (nothing to check on Linux/X11). `probes` default to the real ones."""
    platform = platform or sys.platform
    if platform == "darwin":
        return mac_problems(probes if isinstance(probes, MacProbes) else mac_probes(), request=request)
    if platform == "win32":
        problem = elevated_target_problem(probes if isinstance(probes, WindowsProbes) else windows_probes())
        return [problem] if problem else []
    return []


def startup_message(problems: list[Problem]) -> str | None:
    """One text for a message box, or None when nothing is missing."""
    if not problems:
        return None
    return "\n\n".join(problem.message for problem in problems)


# ---- the real probes (ctypes; each returns None rather than raise when the system cannot say) ----
def _safely(probe: Callable) -> Callable:
    def run(*args):
        try:
            return probe(*args)
        except (OSError, AttributeError, ValueError):
            return None

    return run


def mac_holder(frozen: bool | None = None, term_program: str | None = None) -> str:
    """macOS grants these permissions to the app the person started: agent-app.app itself, or, for a pipx or
    source install, the terminal or IDE that runs Python."""
    frozen = getattr(sys, "frozen", False) if frozen is None else frozen
    if frozen:
        return "agent-app"
    term = TERMINALS.get(term_program if term_program is not None else os.environ.get("TERM_PROGRAM", ""))
    return term or "the app you started agent-app from (Terminal, iTerm, your IDE)"


def mac_probes() -> MacProbes:  # pragma: no cover - needs macOS
    import ctypes

    def framework(name: str):
        return ctypes.cdll.LoadLibrary(f"/System/Library/Frameworks/{name}.framework/{name}")

    def accessibility() -> bool:
        trusted = framework("ApplicationServices").AXIsProcessTrusted
        trusted.restype, trusted.argtypes = ctypes.c_bool, []
        return bool(trusted())

    def screen_recording() -> bool | None:
        preflight = getattr(framework("CoreGraphics"), "CGPreflightScreenCaptureAccess", None)
        if preflight is None:
            return None  # before macOS 10.15 there is no such permission
        preflight.restype, preflight.argtypes = ctypes.c_bool, []
        return bool(preflight())

    def request_screen_recording() -> None:
        ask = getattr(framework("CoreGraphics"), "CGRequestScreenCaptureAccess", None)
        if ask is not None:
            ask.restype, ask.argtypes = ctypes.c_bool, []
            ask()

    def request_accessibility() -> None:
        ax, cf = framework("ApplicationServices"), framework("CoreFoundation")
        key = ctypes.c_void_p.in_dll(ax, "kAXTrustedCheckOptionPrompt")
        true = ctypes.c_void_p.in_dll(cf, "kCFBooleanTrue")
        keys, values = (ctypes.c_void_p * 1)(key.value), (ctypes.c_void_p * 1)(true.value)
        cf.CFDictionaryCreate.restype = ctypes.c_void_p
        cf.CFDictionaryCreate.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long,
                                          ctypes.c_void_p, ctypes.c_void_p]
        options = cf.CFDictionaryCreate(
            None, keys, values, 1, ctypes.addressof(ctypes.c_char.in_dll(cf, "kCFTypeDictionaryKeyCallBacks")),
            ctypes.addressof(ctypes.c_char.in_dll(cf, "kCFTypeDictionaryValueCallBacks")),
        )
        ax.AXIsProcessTrustedWithOptions.restype = ctypes.c_bool
        ax.AXIsProcessTrustedWithOptions.argtypes = [ctypes.c_void_p]
        ax.AXIsProcessTrustedWithOptions(options)
        cf.CFRelease.argtypes = [ctypes.c_void_p]
        cf.CFRelease(options)

    return MacProbes(
        accessibility=_safely(accessibility), screen_recording=_safely(screen_recording),
        request_accessibility=_safely(request_accessibility),
        request_screen_recording=_safely(request_screen_recording),
        holder=mac_holder(),
    )


def windows_probes() -> WindowsProbes:  # pragma: no cover - needs Windows
    import ctypes
    from ctypes import wintypes

    user32 = ctypes.WinDLL("user32", use_last_error=True)
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    token_query, query_limited, token_elevation, access_denied = 0x0008, 0x1000, 20, 5
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    advapi32.OpenProcessToken.argtypes = [wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE)]
    advapi32.GetTokenInformation.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD,
                                             ctypes.POINTER(wintypes.DWORD)]
    user32.GetForegroundWindow.restype = wintypes.HWND
    user32.GetWindowThreadProcessId.argtypes = [wintypes.HWND, ctypes.POINTER(wintypes.DWORD)]
    user32.GetWindowTextW.argtypes = [wintypes.HWND, wintypes.LPWSTR, ctypes.c_int]

    def elevated(process: int) -> bool | None:
        token = wintypes.HANDLE()
        if not advapi32.OpenProcessToken(process, token_query, ctypes.byref(token)):
            # A normal process may not even read the token of an elevated one: that refusal is the answer.
            return True if ctypes.get_last_error() == access_denied else None
        try:
            value, size = wintypes.DWORD(), wintypes.DWORD()
            ok = advapi32.GetTokenInformation(token, token_elevation, ctypes.byref(value), ctypes.sizeof(value),
                                              ctypes.byref(size))
            return bool(value.value) if ok else None
        finally:
            kernel32.CloseHandle(token)

    def process_elevated(pid: int) -> bool | None:
        handle = kernel32.OpenProcess(query_limited, False, pid)
        if not handle:
            return True if ctypes.get_last_error() == access_denied else None
        try:
            return elevated(handle)
        finally:
            kernel32.CloseHandle(handle)

    def window_pid(window: int) -> int | None:
        pid = wintypes.DWORD()
        user32.GetWindowThreadProcessId(window, ctypes.byref(pid))
        return pid.value or None

    def window_title(window: int) -> str:
        buffer = ctypes.create_unicode_buffer(256)
        user32.GetWindowTextW(window, buffer, len(buffer))
        return buffer.value

    def window_at(x: int, y: int) -> int | None:
        window = user32.WindowFromPoint(wintypes.POINT(x, y))
        if not window:
            return None
        return user32.GetAncestor(window, 2) or None  # 2 = GA_ROOT: the top-level window it belongs to

    user32.WindowFromPoint.restype = wintypes.HWND
    user32.WindowFromPoint.argtypes = [wintypes.POINT]
    user32.GetAncestor.restype = wintypes.HWND
    user32.GetAncestor.argtypes = [wintypes.HWND, wintypes.UINT]
    return WindowsProbes(
        self_elevated=_safely(lambda: elevated(kernel32.GetCurrentProcess())),
        foreground_window=_safely(lambda: user32.GetForegroundWindow() or None),
        window_pid=_safely(window_pid), window_title=_safely(window_title),
        process_elevated=_safely(process_elevated), window_at=_safely(window_at),
    )
