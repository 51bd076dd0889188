"""How fast the person's input reaches a running agent: the emergency-stop hotkey and a takeover by mouse.

Starts its own Xvfb + openbox, the app's global input listener (pynput) and, per trial, a RunControl; `xdotool`
plays the person. Prints the median and worst latency from just before xdotool starts to the moment the control
reports it (stop requested / paused by takeover); xdotool's own start-up (a few ms) is included.

    .venv/bin/python benchmarks/input_latency.py [--trials 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def wait_for(condition, timeout: float = 2.0) -> float:  # condition: a predicate
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return float("nan")
        time.sleep(0.0005)
    return time.perf_counter()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", type=int, default=30)
    args = p.parse_args()
    from agent_app.testing.xserver import start_window_manager, start_xvfb

    xvfb, display = start_xvfb(1920, 1080)
    procs = [start_window_manager(display), xvfb]
    os.environ["DISPLAY"] = display
    try:
        from agent_app.core.control import RunControl
        from agent_app.core.desktop.input_listener import GlobalInput

        gi = GlobalInput()
        error = gi.start()
        if error:
            raise SystemExit(error)
        control: RunControl | None = None
        gi.set_hotkeys({"stop": "<ctrl>+<alt>+x"}, {"stop": lambda: control and control.stop("hotkey")})
        stops, takeovers = [], []
        for i in range(args.trials):
            control = RunControl()
            sent = time.perf_counter()
            subprocess.run(["xdotool", "key", "--delay", "0", "ctrl+alt+x"], check=True)
            stops.append((wait_for(lambda c=control: c.stop_requested) - sent) * 1000)

            control = RunControl()
            subprocess.run(["xdotool", "mousemove", "--sync", "500", "500"], check=True)
            time.sleep(0.3)
            gi.watch(control, threshold_px=12)
            sent = time.perf_counter()
            subprocess.run(["xdotool", "mousemove", str(600 + i), "560"], check=True)
            takeovers.append((wait_for(lambda c=control: c.paused_by == "takeover") - sent) * 1000)
            gi.unwatch()
        gi.stop()
        for name, values in (("emergency stop hotkey", stops), ("takeover by mouse", takeovers)):
            ok = [v for v in values if v == v]
            print(f"{name}: median {statistics.median(ok):.1f} ms, worst {max(ok):.1f} ms, "
                  f"{len(values) - len(ok)} missed of {len(values)}")
    finally:
        for proc in procs:
            proc.terminate()


if __name__ == "__main__":
    main()
