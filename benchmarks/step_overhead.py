"""Per-step overhead of the agent loop, model time excluded.

Runs the real loop (mss capture, PNG encode, HTTP to a local zero-latency OpenAI-compatible server, parse,
pyautogui click, settle, record) on its own Xvfb at 1920x1080 and 3840x2160, and prints per-phase medians,
bytes per request and resident memory at start and after the run.

    .venv/bin/python benchmarks/step_overhead.py [--steps 300] [--sizes 1920x1080,3840x2160]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PHASES = ("capture", "encode", "request", "parse", "execute", "settle", "record")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench(width: int, height: int, steps: int) -> dict:
    from agent_app.testing.xserver import start_window_manager, start_xvfb

    xvfb, display = start_xvfb(width, height)
    wm = start_window_manager(display)
    os.environ["DISPLAY"] = display
    # A realistic desktop: a window full of text to capture, not a flat colour.
    target = subprocess.Popen(
        ["mousepad", "/usr/share/common-licenses/GPL-3"], env={**os.environ, "NO_AT_BRIDGE": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(2)
    try:
        from agent_app.core.desktop.capture import MSSCapture
        from agent_app.core.desktop.executor import PyAutoGUIExecutor
        from agent_app.core.loop import Agent
        from agent_app.core.settings.config import RunConfig
        from agent_app.testing.scripted_server import ScriptedServer

        n = iter(range(10**9))

        def reply(body):
            i = next(n)
            return f"Thought: step {i}\nAction: click(start_box='({200 + (i % 7) * 40},{300 + (i % 5) * 30})')"

        server = ScriptedServer(default=reply, keep_bodies=False).start()
        timings: list[dict[str, float]] = []
        rss: list[float] = []

        def observer(event):
            if event.kind == "recorded":
                timings.append(dict(event.data["record"].timings_ms))
                rss.append(rss_mib())

        with tempfile.TemporaryDirectory() as runs:
            config = RunConfig(task="benchmark", base_url=server.base_url, model=server.model, runs_dir=runs,
                               max_steps=steps, stuck_repeats=10**9, stream=True)
            screen = MSSCapture(1)
            executor = PyAutoGUIExecutor(screen.monitor)
            agent = Agent(config, screen=screen, executor=executor, observers=[observer])
            started = time.perf_counter()
            result = agent.run()
            wall = time.perf_counter() - started
            run_bytes = sum(p.stat().st_size for p in Path(result.run_dir).iterdir())
        requests = server.chat_requests()
        server.stop()
        for t in timings:
            t["request"] = t.pop("model", 0.0)
        med = {p: statistics.median(t.get(p, 0.0) for t in timings) for p in PHASES}
        blocks = [timings[i : i + 50] for i in range(0, len(timings), 50)]
        trend = {
            p: [round(statistics.median(t.get(p, 0.0) for t in b), 1) for b in blocks] for p in ("request", "record")
        }
        overhead = [sum(t.get(p, 0.0) for p in PHASES if p != "settle") for t in timings]
        return {
            "size": f"{width}x{height}", "steps": result.steps, "status": result.status, "median": med,
            "overhead_median": statistics.median(overhead), "overhead_p95": sorted(overhead)[int(len(overhead) * 0.95)],
            "bytes_median": statistics.median(r["bytes"] for r in requests),
            "bytes_first": requests[0]["bytes"], "rss_start": rss[0], "rss_end": rss[-1],
            "rss_at_10": rss[min(9, len(rss) - 1)], "wall_per_step": wall / max(1, result.steps) * 1000,
            "run_folder_mib": run_bytes / 2**20, "trend": trend,
        }
    finally:
        target.terminate()
        wm.terminate()
        xvfb.terminate()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--sizes", default="1920x1080,3840x2160")
    p.add_argument("--one", help=argparse.SUPPRESS)  # one size in this process (pyautogui binds one display)
    args = p.parse_args()
    if not args.one:
        for size in args.sizes.split(","):
            subprocess.run([sys.executable, __file__, "--steps", str(args.steps), "--one", size], check=True)
        return
    for size in [args.one]:
        w, h = (int(v) for v in size.split("x"))
        r = bench(w, h, args.steps)
        m = r["median"]
        print(f"\n== {r['size']}: {r['steps']} steps ({r['status']}), {r['wall_per_step']:.1f} ms wall per step")
        print("  median ms: " + "  ".join(f"{p} {m[p]:.1f}" for p in PHASES))
        print(f"  overhead excl. model & settle: median {r['overhead_median']:.1f} ms, p95 {r['overhead_p95']:.1f} ms")
        kib = r["bytes_first"] / 1024, r["bytes_median"] / 1024
        print(f"  bytes per request: first {kib[0]:.0f} KiB, median {kib[1]:.0f} KiB")
        print(f"  RSS: {r['rss_start']:.0f} MiB after step 1, {r['rss_at_10']:.0f} MiB after step 10, "
              f"{r['rss_end']:.0f} MiB after step {r['steps']}")
        print(f"  run folder: {r['run_folder_mib']:.1f} MiB")
        print("  median per 50 steps: " + "; ".join(f"{k} {v}" for k, v in r["trend"].items()))


if __name__ == "__main__":
    main()
