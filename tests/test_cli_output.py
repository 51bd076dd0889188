"""What the command line prints: `--json` is exactly one JSON object on stdout in every environment (no X auth
cookie, stray prints by libraries, C code or child processes, usage errors); `runs list` columns line up;
`runs show` takes a unique prefix of a run id and says plainly when a prefix is ambiguous."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from records import make_run

FINISH = "Thought: done\nAction: finished(content='ok')"


def _only_json(stdout: str) -> dict:
    """stdout must be one JSON object and nothing else."""
    assert stdout.count("\n") == 1 and stdout.endswith("\n"), repr(stdout)
    value = json.loads(stdout)
    assert isinstance(value, dict)
    return value


def _env_without_cookie(cli, home: Path, cookie: str) -> dict[str, str]:
    env = cli.full_env({"HOME": str(home)})
    env.pop("XAUTHORITY", None)
    if cookie == "XAUTHORITY=/dev/null":
        env["XAUTHORITY"] = "/dev/null"
    elif cookie == "an empty ~/.Xauthority":
        (home / ".Xauthority").write_bytes(b"")
    elif cookie == "a cut ~/.Xauthority":
        (home / ".Xauthority").write_bytes(b"\x01\x00\x00\x05ab")
    return env


@pytest.mark.x11
@pytest.mark.parametrize("cookie", ["no cookie file", "XAUTHORITY=/dev/null", "an empty ~/.Xauthority",
                                    "a cut ~/.Xauthority"])
def test_json_is_alone_on_stdout_without_an_x_auth_cookie(desktop, cli, server, tmp_path, cookie):
    """python-xlib prints its xauth warnings on stdout; the run clicks, so pyautogui (and python-xlib) load."""
    home = tmp_path / "home"
    home.mkdir()
    server.add(f"Thought: c\nAction: click(start_box='({round(640 * 1932 / 1920)},{round(480 * 1092 / 1080)})')",
               FINISH)
    proc = subprocess.run(cli.command("run", "click once", "--base-url", server.base_url, "--runs-dir",
                                      str(cli.runs_dir), "--json"),
                          env=_env_without_cookie(cli, home, cookie), capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr
    summary = _only_json(proc.stdout)
    assert summary["status"] == "finished" and summary["steps"] == 2
    assert desktop.pointer() == (640, 480)  # the click really went through python-xlib's connection


NOISY = """
import ctypes, os, subprocess, sys
import agent_app.core.runner as runner
real = runner.run_task

def noisy(*args, **kwargs):
    print("stray print")
    os.write(1, b"stray write to fd 1\\n")
    ctypes.CDLL(None).puts(b"stray puts from C")
    subprocess.run(["echo", "stray child process"])
    return real(*args, **kwargs)

runner.run_task = noisy
from agent_app.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.x11
def test_json_is_alone_on_stdout_whatever_else_writes_there(desktop, cli, server):
    server.add(FINISH)
    proc = subprocess.run([sys.executable, "-c", NOISY, "run", "noisy", "--base-url", server.base_url,
                           "--runs-dir", str(cli.runs_dir), "--json"],
                          env=cli.full_env(), capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr
    assert _only_json(proc.stdout)["status"] == "finished"
    for stray in ("stray print", "stray write to fd 1", "stray puts from C", "stray child process"):
        assert stray in proc.stderr  # moved, not lost


@pytest.mark.parametrize("args, message", [
    (["run", "x", "--json"], "no model endpoint configured"),
    (["run", "x", "--json", "--base-url", "http://127.0.0.1:9/v1", "--max-steps", "0"], "--max-steps must be"),
    (["run", "x", "--json", "--base-url", "http://127.0.0.1:9/v1", "--max-steps", "abc"], "invalid int value"),
    (["run", "x", "--json", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["run", "--json"], "say what to do"),
    (["run", "x", "--json", "--preset", "nope"], "no saved task named 'nope'"),
    (["run", "x", "--js", "--max-steps", "abc"], "invalid int value"),  # argparse takes --js for --json
])
def test_usage_errors_with_json_print_one_json_object(cli_nodisplay, args, message):
    proc = cli_nodisplay.run(*args)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    summary = _only_json(proc.stdout)
    assert summary == {"status": "error", "steps": 0, "run_dir": "", "final_answer": None,
                       "error": summary["error"]} and message in summary["error"]


SIGNAL_EARLY = """
import os, signal, sys
import agent_app.cli as cli
real, sig = cli.build_parser, getattr(signal, sys.argv.pop(1))

def parser_then_signal():
    os.kill(os.getpid(), sig)  # arrives while the command line is being read
    return real()

cli.build_parser = parser_then_signal
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_stop_signal_before_the_run_starts_still_prints_one_json_object(cli_nodisplay, sig):
    """Before the run can stop itself, Ctrl+C was a traceback and SIGTERM/SIGHUP ended the process silently."""
    proc = subprocess.run([sys.executable, "-c", SIGNAL_EARLY, sig, "run", "x", "--json", "--base-url",
                           "http://127.0.0.1:9/v1", "--runs-dir", str(cli_nodisplay.runs_dir)],
                          env=cli_nodisplay.full_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == f"agent-app: stopped: stopped by {sig}\n"
    assert _only_json(proc.stdout) == {"status": "stopped", "steps": 0, "run_dir": "", "final_answer": None,
                                       "error": f"stopped by {sig}"}
    assert not cli_nodisplay.runs_dir.exists()


# ---------------------------------------------------------------- runs list / runs show
def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_runs_list_columns_line_up(cli_nodisplay, tmp_path):
    runs_dir = tmp_path / "runs"
    make_run(runs_dir, "short", steps=1)
    make_run(runs_dir, "a much longer task name that makes a long run id and goes on and on and on", steps=12,
             status="max_steps")
    make_run(runs_dir, "写一首关于秋天的诗，然后保存到桌面上的文件里面去", steps=105, status="call_user")
    make_run(runs_dir, "killed", steps=3, status=None)
    (make_run(runs_dir, "cut", steps=2) / "trajectory.jsonl").write_text("{")
    (runs_dir / "旧的运行").mkdir()  # a folder of someone else's naming, with nothing in it
    proc = cli_nodisplay.run("runs", "list", "--runs-dir", str(runs_dir))
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.splitlines()
    assert len(rows) == 7 and rows[0].split() == ["RUN", "STARTED", "STATUS", "STEPS", "TASK"]
    header = rows[0]
    starts = [header.index(word) for word in ("STARTED", "STATUS", "TASK")]
    steps_end = header.index("STEPS") + len("STEPS")
    statuses = set()
    for row in rows[1:]:
        run_id = row.split("  ")[0]
        shift = _display_width(run_id) - len(run_id)  # wide characters in a folder name take two columns
        cells = [row[start - shift:] for start in starts]
        assert row[starts[0] - shift - 2: starts[0] - shift] == "  ", row
        assert cells[0][:16].strip() == "-" or cells[0][:16].count(":") == 1, row
        statuses.add(cells[1].split()[0])
        assert row[steps_end - shift - 1].isdigit() and row[steps_end - shift] == " ", row
        assert row[starts[2] - shift - 2: starts[2] - shift] == "  " and row[starts[2] - shift] != " ", row
    assert statuses == {"finished", "max_steps", "call_user", "incomplete", "damaged"}
    assert "写一首关于秋天的诗" in proc.stdout and "(task unknown)  [no trajectory.jsonl]" in proc.stdout


def test_runs_list_into_a_closed_pipe_is_no_error(cli_nodisplay, tmp_path):
    """`agent-app runs list | head -1`: the reader may be gone before the table is written."""
    import os

    runs_dir = tmp_path / "runs"
    make_run(runs_dir, "one")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        proc = subprocess.run(cli_nodisplay.command("runs", "list", "--runs-dir", str(runs_dir)), stdout=write_end,
                              stderr=subprocess.PIPE, text=True, env=cli_nodisplay.full_env(), timeout=60)
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (0, "")


def test_runs_show_takes_a_unique_prefix_and_names_the_matches_of_an_ambiguous_one(cli_nodisplay, tmp_path):
    runs_dir = tmp_path / "runs"
    ids = {"alpha": "20260101-120000-alpha", "alpha again": "20260101-120000-alpha-1",
           "alpine": "20260101-120000-alpine", "beta": "20260102-090000-beta"}
    for task, run_id in ids.items():
        make_run(runs_dir, task, steps=1).rename(runs_dir / run_id)

    def show(ref: str):
        return cli_nodisplay.run("runs", "show", ref, "--runs-dir", str(runs_dir))

    for ref, task in [("20260101-120000-alpi", "alpine"), ("20260102", "beta"), (ids["alpha"], "alpha"),
                      ("20260101-120000-alpha-", "alpha again"), (str(runs_dir / ids["beta"]), "beta")]:
        shown = show(ref)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith(f"{task}\nfinished, 1 step(s)"), (ref, shown.stdout)
    for ref, matches in [("20260101-120000-alp", ["alpha", "alpha again", "alpine"]),
                         ("2026", ["alpha", "alpha again", "alpine", "beta"])]:
        ambiguous = show(ref)
        assert ambiguous.returncode == 2 and len(ambiguous.stderr.strip().splitlines()) == 1
        listed = ", ".join(ids[t] for t in matches)
        assert f"{ref!r} matches {len(matches)} runs ({listed}); give more of the run id" in ambiguous.stderr
    missing = show("nope")
    assert missing.returncode == 2 and "no run 'nope'" in missing.stderr and "Traceback" not in missing.stderr
