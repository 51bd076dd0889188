"""What a step costs next to the model, and whether the model sees a fresh screen (issue 13).

Side by side in one run, on a realistic desktop (an editor full of mixed Latin/CJK text with a dialog in front,
see desktop_scene.py) on its own Xvfb at each size, against the scripted OpenAI-compatible server:

* overhead — the server answers at once; every step clicks the dialog's message text, where nothing reacts.
  - reference: the minimal loop of reference_loop.py (grab → PNG 6 native → POST with 5 screenshots → regex →
    click; no settle, no recording);
  - cli: agent-app's loop exactly as `agent-app run` drives it (run_task: capture, encode, streamed request,
    parse, execute, settle, record);
  - app: the same loop as the desktop app drives it, on its worker thread, with the control strip on screen
    and the real ScreenGuard taking it out of the picture ("guard"); on a copy of the scene of its own (its
    strip, shown and hidden every step, would be a change on the screen the other loops watch).
  Printed: per-phase median and p95 (every wait the person sits through included: guard, settle), the step
  time (interval between consecutive requests as the server receives them — the same clock for every loop),
  the ratio to the reference, bytes per request, RSS after 10 and after the last step.
* freshness — a window (reacting_window.py) turns a new colour D ms after each click; the scripted model
  answers in --model-ms (500) and clicks it. For each D: how often the screenshot the model answered to (the
  newest image of the last request before the next click) shows the reaction to the previous click; and how
  many requests were cancelled per step (trajectory lines of kind "cancelled"; extra requests per step).

    .venv/bin/python benchmarks/step_overhead.py [--steps 300] [--sizes 1920x1080,3840x2160]
        [--only overhead|freshness] [--loops reference,cli,app] [--delays 0,60,150,300,600] [--fresh-steps 8]
        [--json results.json]

Benchmarks print figures; they never pass or fail. Each loop runs in a process of its own (pyautogui binds one
display per process, and RSS must be the loop's own).
"""

from __future__ import annotations

import argparse
import base64
import io
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

AGENT_PHASES = ("guard", "capture", "encode", "request", "parse", "execute", "settle", "record")
REFERENCE_PHASES = ("capture", "encode", "request", "parse", "execute")
LOOPS = ("reference", "cli", "app")
FAMILY = "uitars-1.5"


# ---------------------------------------------------------------- small helpers
def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> str:
    """1/5/15-minute load: figures measured on a busy machine say so."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3]) + f" on {os.cpu_count()} CPUs"
    except OSError:
        return "unknown"


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def model_size(width: int, height: int) -> tuple[int, int]:
    from agent_app.core.families.registry import get_family

    return get_family(FAMILY).model_image_size(width, height)


def click_reply(point: tuple[int, int], size: tuple[int, int], mw_mh: tuple[int, int], n: int) -> str:
    """A UI-TARS-1.5 reply clicking screen `point`, in the pixels of the image the model saw."""
    mx, my = round(point[0] * mw_mh[0] / size[0]), round(point[1] * mw_mh[1] / size[1])
    return f"Thought: Step {n}: click the message.\nAction: click(start_box='({mx},{my})')"


def newest_image_colour(body: dict[str, Any], target: tuple[int, int, int, int], screen: tuple[int, int]):
    """The RGB at the centre of `target` (x, y, w, h on the screen) in the request's newest screenshot."""
    from PIL import Image

    urls = [part["image_url"]["url"] for m in body.get("messages", []) if isinstance(m.get("content"), list)
            for part in m["content"] if isinstance(part, dict) and part.get("type") == "image_url"]
    if not urls:
        return None
    image = Image.open(io.BytesIO(base64.b64decode(urls[-1].split(",", 1)[1]))).convert("RGB")
    x, y, w, h = target
    cx, cy = (x + w / 2) * image.width / screen[0], (y + h / 2) * image.height / screen[1]
    return list(image.getpixel((int(cx), int(cy))))


def scripted_server(reply_for, model_ms: int, target, screen, keep_colours: list | None):
    """The scripted server; with `keep_colours` it notes (arrival time, colour at the target) per request."""
    from agent_app.testing.scripted_server import ScriptedServer

    count = iter(range(1, 10**9))

    def item(body: dict[str, Any]):
        n = next(count)
        if keep_colours is not None:
            keep_colours.append([time.monotonic(), newest_image_colour(body, target, screen)])
        text = reply_for(n)
        return {"text": text, "delay": model_ms / 1000} if model_ms else text

    return ScriptedServer(default=item, keep_bodies=False).start()


def cycles_ms(server) -> list[float]:
    """Step time as the server sees it: the interval between consecutive chat requests' arrivals."""
    times = [r["time"] for r in server.chat_requests()]
    return [(b - a) * 1000 for a, b in itertools.pairwise(times)]


# ---------------------------------------------------------------- children: one loop in one process
def child(args: argparse.Namespace) -> dict[str, Any]:
    size = tuple(int(v) for v in args.size.split("x"))
    points = [tuple(p) for p in json.loads(args.points)]
    target = json.loads(args.target) if args.target else None
    mw_mh = model_size(*size)
    fresh = target is not None
    colours: list | None = [] if fresh else None
    steps = args.steps
    total = steps + 1 if fresh else steps  # freshness: one more request, to see the last click's reaction

    gated: list[int] = []

    def reply_for(n: int) -> str:
        if args.block and (n - 1) % args.block == 0 and n <= total:  # our turn ends: wait for the next one
            gated.append(n)
            print("block", flush=True)
            if not sys.stdin.readline():
                raise SystemExit("the benchmark went away")
        if fresh and n > steps:  # (overhead runs end at their step budget: a dropped request is no step)
            return "Thought: Done.\nAction: finished(content='done')"
        return click_reply(points[n % len(points)], size, mw_mh, n)

    server = scripted_server(reply_for, args.model_ms, target, size, colours)
    out: dict[str, Any] = {"loop": args.child, "size": args.size}
    rss: dict[int, float] = {}
    try:
        if args.child == "reference":
            from reference_loop import run_reference

            def on_step(step: int, _t: dict[str, float]) -> None:
                if step in (10, steps):
                    rss[step] = rss_mib()

            timings = run_reference(server.base_url, server.model, total, mw_mh, on_step=on_step)
            out["cancelled"] = 0
        else:
            timings, run_dir = run_agent(args.child, server, total, size, rss)
            out["cancelled"] = sum(1 for line in (Path(run_dir) / "trajectory.jsonl").read_text().splitlines()
                                   if json.loads(line).get("kind") == "cancelled")
            out["run_folder_mib"] = sum(f.stat().st_size for f in Path(run_dir).iterdir()) / 2**20
            out["effort"] = encoder_effort(Path(run_dir))
            shutil.rmtree(Path(run_dir).parent, ignore_errors=True)  # the benchmark's own temporary runs folder
        requests = server.chat_requests()
        out.update(
            timings=timings, cycles=cycles_ms(server), bytes=[r["bytes"] for r in requests],
            requests=len(requests), rss={str(k): v for k, v in rss.items()}, colours=colours, gated=gated,
        )
    finally:
        server.stop()
    return out


def encoder_effort(run_dir: Path) -> dict[str, Any]:
    """The last request's five screenshots (the pictures the model saw, from the run folder) encoded as agent-app
    encodes for a near endpoint (this machine, the LAN: time matters) and for a remote one (bytes matter): the
    request's bytes and the median encode time per screenshot. The loop ran against 127.0.0.1, so it sent the
    near encoding; this is what the same request weighs across the internet."""
    from PIL import Image

    from agent_app.core import images

    pictures = [Image.open(f).convert("RGB") for f in sorted(run_dir.glob("step-*.png"))[-5:]]
    out: dict[str, Any] = {}
    for name, encoding in (("near", images.WEBP_FAST), ("remote", images.WEBP_SMALL)):
        sizes, ms = [], []
        for picture in pictures:
            t0 = time.perf_counter()
            sizes.append(len(base64.b64encode(encoding.encode(picture))))  # as the request carries it
            ms.append((time.perf_counter() - t0) * 1000)
        out[name] = {"bytes": sum(sizes), "encode_ms": statistics.median(ms)}
    return out


def run_agent(kind: str, server, steps: int, size: tuple[int, int], rss: dict[int, float]):
    """agent-app's loop as the CLI (`cli`) or the desktop app (`app`) drives it. Returns (timings, run folder)."""
    from agent_app.core.heap import limit_arenas

    limit_arenas()  # as agent-app's entry point does
    from agent_app.core.control import RunControl
    from agent_app.core.settings.config import RunConfig, Settings

    runs = tempfile.mkdtemp(prefix="agent-app-bench-runs-")
    config = RunConfig.from_settings("benchmark", Settings(), base_url=server.base_url, model=server.model,
                                     runs_dir=runs, max_steps=steps, stuck_repeats=10**9, model_family=FAMILY)
    timings: list[dict[str, float]] = []
    ended: dict[str, Any] = {}

    def observer(event) -> None:
        if event.kind == "recorded":
            t = dict(event.data["record"].timings_ms)
            t["request"] = t.pop("model", 0.0)
            timings.append(t)
            if len(timings) in (10, steps):
                rss[len(timings)] = rss_mib()
        elif event.kind == "ended":
            ended["result"] = event.data["result"]

    if kind == "cli":
        from agent_app.core.runner import run_task

        result = run_task(config, RunControl(), [observer])
    else:
        os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
        from PySide6.QtCore import QObject, QRect, Slot

        from agent_app.ui.app import create_app
        from agent_app.ui.control_strip import ControlStrip
        from agent_app.ui.worker import RunThread, RunWorker, ScreenGuard

        class Window(QObject):  # stands in for the main window: the worker's signals reach it on the GUI thread
            @Slot(object)
            def on_event(self, event) -> None:
                observer(event)

            @Slot(object)
            def on_ended(self, result) -> None:
                ended["result"] = result
                app.quit()

            @Slot(str)
            def on_failed(self, message: str) -> None:
                ended["error"] = message
                app.quit()

        app = create_app(["agent-app-benchmark"])
        monitor = QRect(0, 0, *size)
        strip = ControlStrip()
        strip.set_detail("benchmark")
        strip.place(monitor)
        strip.show()
        window = Window()
        worker = RunWorker(config, RunControl(), ScreenGuard(monitor))
        worker.event.connect(window.on_event)
        worker.ended.connect(window.on_ended)
        worker.failed.connect(window.on_failed)
        thread = RunThread(worker)
        thread.start()
        app.exec()
        thread.thread.quit()  # its own queued quit may not have been delivered before the event loop ended
        thread.thread.wait(10000)
        if "error" in ended:
            raise SystemExit(ended["error"])
        result = ended["result"]
        strip.close()
    if result.status not in ("max_steps", "finished"):
        raise SystemExit(f"the {kind} run ended {result.status}: {result.error}")
    return timings, result.run_dir


# ---------------------------------------------------------------- the parent: desktops, children, figures
def run_child(scene, kind: str, steps: int, points, model_ms: int = 0, target=None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, "--size", f"{scene.width}x{scene.height}",
           "--steps", str(steps), "--points", json.dumps(points), "--model-ms", str(model_ms), "--block", "0"]
    if target:
        cmd += ["--target", json.dumps(target)]
    env = {**os.environ, **scene.env, "QT_QPA_PLATFORM": "xcb"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"the {kind} loop failed at {scene.width}x{scene.height}:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def overhead(scenes: dict[str, Any], loops: list[str], steps: int, block: int) -> dict[str, Any]:
    """The loops take turns, `block` steps each (the order rotating every round), so a machine that gets busier
    or quieter meanwhile weighs on all of them alike. A loop waits for its turn inside the scripted server's
    answer; the steps whose request held that wait are left out of the figures. `scenes`: each loop's desktop
    (the app's strip comes and goes with every step: on a shared screen, a waiting loop's watch would see it)."""
    procs: dict[str, tuple[subprocess.Popen, Any]] = {}
    for kind in loops:
        scene = scenes[kind]
        env = {**os.environ, **scene.env, "QT_QPA_PLATFORM": "xcb"}
        err = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in the finally below
        cmd = [sys.executable, __file__, "--child", kind, "--size", f"{scene.width}x{scene.height}", "--steps",
               str(steps), "--points", json.dumps(scene.quiet_points), "--model-ms", "0", "--block", str(block)]
        procs[kind] = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                                       env=env), err
    results: dict[str, Any] = {}
    try:
        for kind, (proc, err) in procs.items():  # every loop starts up, then holds before its first request
            _until_block(kind, proc, err, scenes[kind], results)
        active, rnd = list(loops), 0
        while active:
            done = set()
            for kind in active[rnd % len(active):] + active[: rnd % len(active)]:  # who goes first rotates
                proc, err = procs[kind]
                scene = scenes[kind]
                try:
                    proc.stdin.write("go\n")
                    proc.stdin.flush()
                except BrokenPipeError:  # it ended between turns
                    # exit 0: a cancelled request let it run past its turn's gate, to its end
                    if proc.wait() == 0 and not _until_block(kind, proc, err, scene, results):
                        done.add(kind)
                        continue
                    err.seek(0)
                    raise SystemExit(f"the {kind} loop died at {scene.width}x{scene.height} "
                                     f"(exit {proc.wait()}):\n{err.read()[-3000:]}") from None
                if not _until_block(kind, proc, err, scene, results):
                    done.add(kind)
            active, rnd = [k for k in active if k not in done], rnd + 1
    finally:
        for proc, err in procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            err.close()
    return {kind: results[kind] for kind in loops}


def _until_block(kind: str, proc: subprocess.Popen, err, scene, results: dict[str, Any]) -> bool:
    """Read the loop's output until it holds for its next turn (True) or has finished (False)."""
    while True:
        line = proc.stdout.readline()
        if line.startswith("{"):
            results[kind] = json.loads(line)
        elif line.strip() == "block":
            return True
        elif not line:
            if proc.wait() != 0 or kind not in results:
                err.seek(0)
                raise SystemExit(f"the {kind} loop failed at {scene.width}x{scene.height}:\n{err.read()[-3000:]}")
            return False


def freshness(scene, loops: list[str], delays: list[int], steps: int, model_ms: int) -> dict[str, Any]:
    from desktop_scene import xdotool
    from reacting_window import colour_after

    out: dict[str, Any] = {}
    for delay in delays:
        for kind in loops:
            window = scene.spawn([sys.executable, str(HERE / "reacting_window.py"), str(delay)],
                                 stdout=subprocess.PIPE, text=True)
            ready = window.stdout.readline().split()
            if not ready or ready[0] != "ready":
                raise SystemExit("the reacting window did not start (is tkinter installed?)")
            target = [int(v) for v in ready[1:5]]
            centre = (target[0] + target[2] // 2, target[1] + target[3] // 2)
            xdotool(scene.env, "mousemove", "--sync", "5", str(scene.height // 2))  # not on the target yet
            time.sleep(0.3)
            result = run_child(scene, kind, steps, [centre], model_ms, target)
            window.terminate()
            clicks = [float(line.split()[2]) for line in window.stdout.read().splitlines() if line.startswith("click")]
            window.wait(5)
            scene.procs.remove(window)
            out[f"{kind}/{delay}"] = judge(result, clicks, colour_after)
    return out


def judge(result: dict[str, Any], clicks: list[float], colour_after) -> dict[str, Any]:
    """For click k: the request the model answered next is the last one that arrived before click k+1 (or the
    last of all); fresh if its newest screenshot shows colour_after(k), stale if colour_after(k-1)."""
    requests = result["colours"]
    verdicts = []
    for k, at in enumerate(clicks, start=1):
        until = clicks[k] if k < len(clicks) else float("inf")
        answered = [r for r in requests if at < r[0] < until]
        colour = tuple(answered[-1][1]) if answered and answered[-1][1] else None
        verdicts.append("fresh" if colour == colour_after(k) else "stale" if colour == colour_after(k - 1)
                        else "other")
    steps = max(1, len(clicks))
    return {"fresh": verdicts.count("fresh"), "stale": verdicts.count("stale"), "other": verdicts.count("other"),
            "verdicts": verdicts,
            "clicks": len(clicks), "cancelled_per_step": result["cancelled"] / steps,
            "extra_requests_per_step": max(0, result["requests"] - (len(clicks) + 1)) / steps,
            "step_ms": statistics.median(result["cycles"]) if result["cycles"] else float("nan")}


def summarise(r: dict[str, Any]) -> dict[str, Any]:
    phases = REFERENCE_PHASES if r["loop"] == "reference" else AGENT_PHASES
    # Step n's request (and the interval from its arrival to the next) held the wait for the loop's turn.
    skip = {n - 1 for n in r.get("gated", [])} | {0}  # and the first interval holds the client's warm-up
    t = [s for i, s in enumerate(r["timings"]) if i not in skip]
    cycles = [c for i, c in enumerate(r["cycles"]) if i not in skip]
    between = [c - s.get("request", 0.0) for i, (c, s) in enumerate(zip(r["cycles"], r["timings"], strict=False))
               if i not in skip]
    blocks = [t[i : i + 50] for i in range(0, len(t), 50)]
    return {
        "phases": {p: (statistics.median(s.get(p, 0.0) for s in t), pct([s.get(p, 0.0) for s in t], 0.95))
                   for p in phases},
        "step": (statistics.median(cycles), pct(cycles, 0.95)),
        "between": (statistics.median(between), pct(between, 0.95)) if between else (float("nan"),) * 2,
        "bytes": (statistics.median(r["bytes"]), max(r["bytes"])), "rss": r["rss"], "steps": len(t),
        "run_steps": len(r["timings"]),
        "trend": {p: [round(statistics.median(s.get(p, 0.0) for s in b), 1) for b in blocks]
                  for p in ("request", "record")},
        "run_folder_mib": r.get("run_folder_mib"), "effort": r.get("effort"),
    }


def report(over: dict[str, Any], fresh: dict[str, Any], delays: list[int], model_ms: int = 0) -> None:
    if over:
        sums = {k: summarise(v) for k, v in over.items()}
        ref = sums.get("reference")
        for kind, s in sums.items():
            print(f"  {kind} ({s['steps']} of {s['run_steps']} steps counted) — median / p95 ms:")
            print("    " + "  ".join(f"{p} {m:.1f}/{q:.1f}" for p, (m, q) in s["phases"].items()))
            ratio = f", {s['step'][0] / ref['step'][0]:.2f}× the reference" if ref and kind != "reference" else ""
            print(f"    step {s['step'][0]:.1f}/{s['step'][1]:.1f}{ratio}; reply → next request "
                  f"{s['between'][0]:.1f}/{s['between'][1]:.1f}")
            kb = s["bytes"][0] / 1000
            ratio = f" ({s['bytes'][0] / ref['bytes'][0]:.2f}× the reference)" if ref and kind != "reference" else ""
            print(f"    bytes per request (5 screenshots): median {kb:.0f} KB{ratio}, largest "
                  f"{s['bytes'][1] / 1000:.0f} KB")
            if (effort := s["effort"]) and ref:
                near, remote = effort["near"], effort["remote"]
                print(f"    the last request's screenshots re-encoded: near endpoint {near['bytes'] / 1000:.0f} KB "
                      f"({near['bytes'] / ref['bytes'][0]:.2f}×, {near['encode_ms']:.0f} ms a screenshot), remote "
                      f"endpoint {remote['bytes'] / 1000:.0f} KB ({remote['bytes'] / ref['bytes'][0]:.2f}× the "
                      f"reference, {remote['encode_ms']:.0f} ms a screenshot)")
            rss = s["rss"]
            print("    RSS: " + ", ".join(f"{v:.0f} MiB after {k} steps" for k, v in sorted(rss.items(),
                                                                                      key=lambda kv: int(kv[0]))))
            if s["run_folder_mib"] is not None:
                print(f"    run folder {s['run_folder_mib']:.1f} MiB; median per 50 steps: "
                      + "; ".join(f"{k} {v}" for k, v in s["trend"].items()))
    if fresh:
        loops = sorted({k.split("/")[0] for k in fresh}, key=LOOPS.index)
        print("  freshness: does the screenshot the model answered show the reaction to the previous click?")
        for d in delays:
            cells = []
            for loop in loops:
                f = fresh[f"{loop}/{d}"]
                other = f", {f['other']} neither" if f["other"] else ""
                cells.append(f"{loop} {f['fresh']}/{f['clicks']} fresh{other}, "
                             f"{f['cancelled_per_step']:.2f} cancelled/step")
            print(f"    reaction after {d:>3} ms: " + " · ".join(cells))
        for loop in loops:
            steps = [fresh[f"{loop}/{d}"]["step_ms"] for d in delays]
            extra = "/".join(f"{fresh[f'{loop}/{d}']['extra_requests_per_step']:.2f}" for d in delays)
            print(f"    {loop}: step {'/'.join(f'{v:.0f}' for v in steps)} ms with D = {'/'.join(map(str, delays))} "
                  f"(the model answers in {model_ms} ms); extra requests per step {extra}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=300, help="steps per loop for the overhead figures (300)")
    p.add_argument("--sizes", default="1920x1080,3840x2160")
    p.add_argument("--only", choices=("overhead", "freshness"))
    p.add_argument("--loops", default=",".join(LOOPS), help="any of reference, cli, app")
    p.add_argument("--delays", default="0,60,150,300,600", help="reaction delays D in ms")
    p.add_argument("--fresh-steps", type=int, default=8, help="clicks per delay and loop (8)")
    p.add_argument("--model-ms", type=int, default=500, help="the scripted model's answer time for freshness")
    p.add_argument("--block", type=int, default=10, help="steps per turn when the loops take turns (10)")
    p.add_argument("--json", help="also write every figure here")
    # one loop in this process:
    p.add_argument("--child", choices=LOOPS, help=argparse.SUPPRESS)
    p.add_argument("--size", help=argparse.SUPPRESS)
    p.add_argument("--points", help=argparse.SUPPRESS)
    p.add_argument("--target", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args)), flush=True)
        return
    from desktop_scene import start_scene

    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are measured
    loops = [loop for loop in args.loops.split(",") if loop]
    delays = [int(d) for d in args.delays.split(",") if d]
    results: dict[str, Any] = {}
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        scene = start_scene(w, h)
        # the app's own desktop when it takes turns with others (its strip would disturb their watch)
        own = start_scene(w, h) if "app" in loops and len(loops) > 1 and args.only != "freshness" else None
        print(f"\n== {size} (load average before: {load_average()})", flush=True)
        try:
            scenes = {kind: own if kind == "app" and own else scene for kind in loops}
            over = overhead(scenes, loops, args.steps, args.block) if args.only != "freshness" else {}
            if own:
                own.stop()
                own = None
            report(over, {}, delays)
            fresh = freshness(scene, loops, delays, args.fresh_steps, args.model_ms) if args.only != "overhead" else {}
            report({}, fresh, delays, args.model_ms)
            print(f"  (load average after: {load_average()})")
        finally:
            scene.stop()
            if own:
                own.stop()
        results[size] = {"overhead": {k: summarise(v) for k, v in over.items()}, "freshness": fresh}
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
