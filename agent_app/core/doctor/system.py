"""The desktop around the agent: which display session, OS permissions, the keychain, global input."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from agent_app.core.doctor.report import Check, failed, passed, skipped

# Pressed through the executor to prove the global listener hears the keyboard. No Alt: Ctrl+Alt+F-keys switch
# virtual terminals on Linux. It lands in the calibration window, which has focus.
PROBE_HOTKEY = "<ctrl>+<shift>+<f10>"
PROBE_KEYS = ("ctrl", "shift", "f10")
HEARD_WITHIN_S = 1.5
PRESSES = 3


def session_check(env: Mapping[str, str], platform: str) -> Check:
    """X11 works; a Wayland session lets agent-app see and drive only XWayland apps."""
    if platform == "darwin":
        return passed("display", "macOS desktop", session="quartz")
    if platform == "win32":
        return passed("display", "Windows desktop", session="windows")
    display = env.get("DISPLAY", "")
    wayland = bool(env.get("WAYLAND_DISPLAY")) or env.get("XDG_SESSION_TYPE", "").lower() == "wayland"
    figures = {"session": "wayland" if wayland else "x11" if display else None, "display": display or None}
    if wayland:
        return failed("display", "Wayland session" + (f" (XWayland on {display})" if display else ""), (
            "Log out and choose an X11 (Xorg) session on the login screen: under Wayland agent-app sees and controls "
            "only XWayland apps, and global hotkeys do not work."), **figures)
    if not display:
        return failed("display", "no display (DISPLAY is not set)",
                      "Run agent-app inside a desktop session, where DISPLAY is set.", **figures)
    return passed("display", f"X11 session on {display}", **figures)


def permissions_check(platform: str, probes=None) -> Check:
    """macOS Accessibility and Screen Recording, Windows' elevated windows (the probes in desktop/permissions)."""
    from agent_app.core.desktop.permissions import check

    if platform not in ("darwin", "win32"):
        return skipped("permissions", "none needed on Linux")
    problems = check(platform, probes, request=False)
    if not problems:
        what = "Accessibility and Screen Recording granted" if platform == "darwin" else "nothing elevated in front"
        return passed("permissions", what)
    keys = [p.key for p in problems]
    return failed("permissions", f"missing: {', '.join(keys)}", " ".join(p.message for p in problems), missing=keys)


_FRIENDLY = {
    "SecretService": "Secret Service (GNOME Keyring / KWallet)", "kwallet": "KWallet",
    "macOS": "macOS Keychain", "Windows": "Windows Credential Manager",
}


def keychain_check(env: Mapping[str, str], backend: object | None = None) -> Check:
    """Which keyring backend would hold the API key (never touching a stored key: that may prompt to unlock)."""
    from agent_app.core.settings.keychain import NO_BACKEND

    if backend is None:
        try:
            import keyring

            backend = keyring.get_keyring()
        except Exception as e:  # noqa: BLE001 - any keyring failure means no keychain
            return failed("keychain", f"keyring failed to load ({type(e).__name__})", NO_BACKEND)
    chain = getattr(backend, "backends", None)  # keyring's chainer: the first of its backends answers
    first = chain[0] if chain else backend
    module, name = type(first).__module__, type(first).__name__
    figures = {"backend": f"{module}.{name}"}
    if module.startswith("keyring.backends.fail") or module.startswith("keyring.backends.null"):
        if env.get("AGENT_APP_API_KEY"):
            return passed("keychain", "no OS keychain; the key comes from AGENT_APP_API_KEY", **figures)
        return failed("keychain", "no OS keychain", NO_BACKEND[0].upper() + NO_BACKEND[1:] + ".", **figures)
    if module.startswith("keyrings.alt") or "plaintext" in name.lower():
        return failed("keychain", f"keys would be stored unencrypted ({name})", (
            "Uninstall keyrings.alt (pip uninstall keyrings.alt) so keys go to the OS keychain."), **figures)
    friendly = next((v for k, v in _FRIENDLY.items() if k in module or k in name), name)
    return passed("keychain", friendly, **figures)


def hotkeys_check(executor, move_to: tuple[int, int], platform: str) -> Check:
    """Start the global listener as the app does, press a hotkey and move the pointer through the executor:
    the hotkey must fire and the move must count as the person taking over (the executor does not announce
    itself here). `move_to` is a point inside our own window."""
    from agent_app.core.actions import Action
    from agent_app.core.control import RunControl
    from agent_app.core.desktop.input_listener import GlobalInput

    listener = GlobalInput()
    error = listener.start()
    if error:
        return failed("hotkeys", "global input is unavailable", _hotkey_advice(platform), error=error)
    try:
        fired = threading.Event()
        listener.set_hotkeys({"doctor": PROBE_HOTKEY}, {"doctor": fired.set})
        heard, hotkey_ms = False, None
        for _ in range(PRESSES):  # pynput says it is ready a moment before X delivers events to it
            t0 = time.perf_counter()
            executor.press_keys(PROBE_KEYS)
            if fired.wait(HEARD_WITHIN_S / PRESSES):
                heard, hotkey_ms = True, (time.perf_counter() - t0) * 1000
                break
        control = RunControl()
        listener.watch(control, threshold_px=12)
        executor.execute(Action("move", x=move_to[0], y=move_to[1]))
        deadline = time.monotonic() + HEARD_WITHIN_S
        while control.paused_by != "takeover" and time.monotonic() < deadline:
            time.sleep(0.01)
        takeover = control.paused_by == "takeover"
    finally:
        threads = listener.stop()
        # pynput's X11 listeners end at their next event: give each one, harmlessly, inside our own window.
        executor.execute(Action("move", x=move_to[0] + 1, y=move_to[1]))
        executor.press_keys(("shift",))
        for thread in threads:
            thread.join(0.5)
    figures = {"hotkey_heard": heard, "hotkey_ms": None if hotkey_ms is None else round(hotkey_ms, 1),
               "pointer_heard": takeover}
    if heard and takeover:
        return passed("hotkeys", f"global hotkey heard in {hotkey_ms:.0f} ms; pointer moves seen (takeover works)",
                      **figures)
    lost = [what for what, ok in (("the hotkey", heard), ("the pointer move", takeover)) if not ok]
    return failed("hotkeys", f"the global listener did not hear {' or '.join(lost)}", _hotkey_advice(platform),
                  **figures)


def _hotkey_advice(platform: str) -> str:
    if platform == "darwin":
        return ("Give agent-app Input Monitoring and Accessibility access (System Settings → Privacy & Security), "
                "reopen it and run the check again.")
    if platform == "win32":
        return "Start agent-app normally (not from a remote or sandboxed session) and run the check again."
    return ("Use an X11 session (global hotkeys cannot work under Wayland); the Stop button and the tray still "
            "work meanwhile.")
