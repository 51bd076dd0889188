"""Screenshots of the app for the README and for design review, taken on the current X display.

    DISPLAY=:99 .venv/bin/python tools/screenshots.py 1920 1080 [OUT_DIR]

Needs a display of that size with a window manager and, for a realistic desktop, a window to act on:
    cp /usr/share/common-licenses/GPL-3 /tmp/sample.txt; mousepad --disable-server /tmp/sample.txt &
A scripted model drives a short run with a hand-over; the pictures are written as OUT_DIR/<name>-<W>x<H>.png
(default OUT_DIR: docs).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def main() -> None:
    width, height = int(sys.argv[1]), int(sys.argv[2])
    out = Path(sys.argv[3] if len(sys.argv) > 3 else "docs")
    out.mkdir(parents=True, exist_ok=True)
    home = tempfile.mkdtemp(prefix="agent-app-shots-")
    os.environ["AGENT_APP_CONFIG_DIR"] = f"{home}/config"
    os.environ["AGENT_APP_DATA_DIR"] = f"{home}/data"

    import mss
    from PIL import Image
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QWidget

    from agent_app.core.families.registry import FAMILIES
    from agent_app.core.settings.config import Settings
    from agent_app.core.settings.presets import Preset, save_presets
    from agent_app.testing.scripted_server import ScriptedServer
    from agent_app.ui.app import create_app
    from agent_app.ui.hotkeys import HotkeyBridge
    from agent_app.ui.main_window import MainWindow
    from agent_app.ui.settings_dialog import SettingsDialog

    mw, mh = FAMILIES["uitars-1.5"].model_image_size(width, height)
    x, y = round((width // 2 - 150) * mw / width), round((height // 2 - 80) * mh / height)
    replies = [
        f"Thought: The editor is open with the licence text. I will click at the start of the document to put "
        f"the cursor there.\nAction: click(start_box='({x},{y})')",
        "Thought: Now I type the greeting, with a newline at the end so the text starts on its own line.\n"
        "Action: type(content='Hello from agent-app (ünïcode ✓)\\n')",
        "Thought: I should save, but I do not know which folder the user wants. I will ask.\nAction: call_user()",
        "Thought: Save with the keyboard.\nAction: hotkey(key='ctrl s')",
        "Thought: The greeting is typed and saved. The task is complete.\n"
        "Action: finished(content='Typed the greeting at the top of the document and saved it.')",
    ]
    server = ScriptedServer([{"text": r, "delay": 0.6} for r in replies], model="UI-TARS-1.5-7B").start()
    # settle: the scripted replies go one per step (watching would drop a request when the editor repaints)
    Settings(base_url=server.base_url, model="UI-TARS-1.5-7B", freshness="settle").save()
    save_presets([Preset("Morning report", "Open the mail app and summarise unread mail", hotkey="<ctrl>+<alt>+1"),
                  Preset("Weather", "Check today's weather", max_steps=10)])

    app = create_app()
    window = MainWindow(Settings.load(), hotkeys=HotkeyBridge())
    window.show()

    def shot(name: str, widget: QWidget | None = None) -> None:
        with mss.MSS() as m:
            raw = m.grab(m.monitors[1])
        image = Image.frombytes("RGB", raw.size, raw.bgra, "raw", "BGRX")
        if widget is not None:
            g = widget.frameGeometry()
            image = image.crop((max(0, g.x() - 8), max(0, g.y() - 8), min(width, g.right() + 8),
                                min(height, g.bottom() + 8)))
        image.save(out / f"{name}-{width}x{height}.png")

    scenario: list[tuple[Callable[[], bool], Callable[[], None]]] = []

    def step(when: Callable[[], bool], do: Callable[[], None]) -> None:
        scenario.append((when, do))

    def advance() -> None:
        """Run the next scenario step once its condition holds; poll every 250 ms."""
        if not scenario:
            app.quit()
            return
        when, do = scenario[0]
        if when():
            scenario.pop(0)
            do()
            QTimer.singleShot(700, advance)
        else:
            QTimer.singleShot(250, advance)

    dialogs: dict[str, QWidget] = {}

    def open_settings() -> None:
        dialogs["settings"] = SettingsDialog(window.settings, window)
        dialogs["settings"].show()

    def run() -> None:
        window.task.setPlainText("Write a greeting at the top of the open document and save it")
        window.start_run()

    def show_strip(mode: str, title: str, detail: str) -> None:
        window.strip.set_mode(mode, title)
        window.strip.set_detail(detail)
        window.strip.show()
        window.strip.place(window.screen().geometry())

    always = lambda: True  # noqa: E731 - a tiny local predicate
    step(always, lambda: shot("main-idle"))
    step(always, open_settings)
    step(always, lambda: (shot("settings", dialogs["settings"]), dialogs["settings"].reject()))
    step(always, lambda: dialogs.update(presets=window.open_presets()))
    step(always, lambda: (shot("saved-tasks", dialogs["presets"]), dialogs["presets"].reject()))
    step(always, run)
    def strip_and_model_view() -> None:
        """What the person sees (the strip on top) beside what the model saw at the next step (no strip)."""
        shot("control-strip")
        seen = window.steps_done
        strip = window.strip.frameGeometry()
        assert window.run_dir is not None

        def compose() -> None:
            saved = window.run_dir / f"step-{seen + 1:03d}.png"  # the run folder is written on its own thread
            if window.steps_done <= seen or not saved.exists():
                QTimer.singleShot(100, compose)
                return
            person = Image.open(out / f"control-strip-{width}x{height}.png")
            model = Image.open(saved).convert("RGB").resize(person.size)
            box = (max(0, strip.x() - 40), 0, min(width, strip.right() + 40), strip.bottom() + 60)
            top, bottom = person.crop(box), model.crop(box)
            pair = Image.new("RGB", (top.width, top.height * 2 + 6), "white")
            pair.paste(top, (0, 0))
            pair.paste(bottom, (0, top.height + 6))
            pair.save(out / f"strip-vs-model-{width}x{height}.png")

        compose()

    step(lambda: window.steps_done >= 1 and window.strip.isVisible(), strip_and_model_view)
    step(lambda: window.state == "call_user", lambda: None)  # then one beat for the window to paint
    step(always, lambda: shot("main-hand-over"))
    step(always, lambda: window.resume_with_note("Save it in ~/Documents"))
    step(lambda: not window.running and window.last_result is not None,
         lambda: window.list.setCurrentIndex(window.steps.index(0, 0)))
    step(always, lambda: shot("main-finished"))
    step(always, lambda: dialogs.update(history=window.open_history()))
    step(always, lambda: (shot("history", dialogs["history"]), dialogs["history"].reject()))
    step(always, lambda: show_strip("takeover", "You have control", "The agent waits. Resume when you are done."))
    step(always, lambda: shot("strip-takeover", window.strip))
    step(always, lambda: window.strip.hide())

    def careful_run() -> None:
        """Ask-before-acting: the proposed click marked where it will land, the thought in full."""
        window.settings.confirm = "always"
        sx, sy = round((width // 2 + 40) * mw / width), round((height // 3) * mh / height)
        server.add({"text": "Thought: The document is saved. To close the editor I click the window's close "
                            "button in its title bar; unsaved changes would be lost, but everything is saved."
                            f"\nAction: click(start_box='({sx},{sy})')", "delay": 0.6},
                   {"text": "Thought: Done.\nAction: finished(content='Closed the editor.')", "delay": 0.6})
        window.task.setPlainText("Close the editor")
        window.start_run()

    step(always, careful_run)
    step(lambda: window.state == "confirm", lambda: None)
    step(always, lambda: shot("main-confirm"))
    step(always, lambda: window.answer_confirmation(allow=False, note="Leave it open"))
    step(lambda: not window.running and window.last_result is not None, lambda: None)
    step(always, lambda: shot("main-ended"))
    QTimer.singleShot(800, advance)
    app.exec()
    server.stop()
    print(f"{window.last_result}; pictures in {out}")


if __name__ == "__main__":
    main()
