"""Run folders survive damage: every kind of damaged or partial run is listed as damaged with its reason by
`runs list`, `runs show` and the History window while every other run still lists, shows and exports; a full
disk or an I/O error mid-run ends the run cleanly; an unwritable runs folder is a usage error before any request."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import read_trajectory
from records import Picture, can_mount, fill_disk, limit_file_size, make_run, mounted_tmpfs, png

from agent_app.core.errors import RecordingError
from agent_app.core.runs import reading
from agent_app.core.runs.export import export_runs, run_samples
from agent_app.core.runs.recorder import Recorder
from agent_app.core.runs.report import render_report


def _lines(run: Path) -> list[bytes]:
    return (run / "trajectory.jsonl").read_bytes().splitlines(keepends=True)


def _edit_line(number: int, change):
    def damage(run: Path) -> None:
        lines = _lines(run)
        obj = json.loads(lines[number - 1])
        change(obj)
        lines[number - 1] = json.dumps(obj).encode() + b"\n"
        (run / "trajectory.jsonl").write_bytes(b"".join(lines))
    return damage


def _cut_inside_multibyte(run: Path) -> None:
    data = (run / "trajectory.jsonl").read_bytes()
    cut = data.rindex("世".encode()) + 1  # one byte into a three-byte character, in the last (end) line
    (run / "trajectory.jsonl").write_bytes(data[:cut])


def _write(content: bytes):
    return lambda run: (run / "trajectory.jsonl").write_bytes(content)


def _replace_line(number: int, content: bytes):
    def damage(run: Path) -> None:
        lines = _lines(run)
        lines[number - 1] = content + b"\n"
        (run / "trajectory.jsonl").write_bytes(b"".join(lines))
    return damage


def _insert_line(number: int, content: bytes):
    def damage(run: Path) -> None:
        lines = _lines(run)
        lines.insert(number - 1, content + b"\n")
        (run / "trajectory.jsonl").write_bytes(b"".join(lines))
    return damage


def _non_utf8(run: Path) -> None:
    lines = _lines(run)
    lines[1] = lines[1].replace(b"step 1", b"step \xff1")
    (run / "trajectory.jsonl").write_bytes(b"".join(lines))


DAMAGE = {  # name: (damage, the reason a listing gives, step lines still readable)
    "last line cut inside a multi-byte character": (_cut_inside_multibyte, "line 4 is cut off", 2),
    "header with wrong types": (_edit_line(1, lambda h: h.update(started="yesterday", task=5)),
                                "line 1 (header line): 'task' is not text", 2),
    # a start no date can show: `runs list` and the History window failed on it, for every run
    "header with a start time out of range": (_edit_line(1, lambda h: h.update(started=1e20)),
                                               "line 1 (header line): 'started' is not a time", 2),
    "header with a start time before 1970": (_edit_line(1, lambda h: h.update(started=-1e15)),
                                             "line 1 (header line): 'started' is not a time", 2),
    "header setting of the wrong type": (_edit_line(1, lambda h: h["settings"].update(history_images="abc")),
                                         "line 1 (header line): setting 'history_images' is not a whole number", 2),
    "no header": (lambda run: (run / "trajectory.jsonl").write_bytes(b"".join(_lines(run)[1:])),
                  "no header line", 2),
    "a line that is not an object": (_insert_line(3, b"[1, 2]"), "line 3 is a list, not an object", 2),
    "a line that is not JSON": (_insert_line(2, b'{"kind": "step", "step": 1'), "line 2 is not valid JSON", 2),
    "a byte that is not UTF-8": (_non_utf8, "line 2 is not UTF-8", 1),
    "an empty file": (_write(b""), "trajectory.jsonl is empty", 0),
    "step line with wrong types": (_edit_line(3, lambda s: s.update(actions="click")),
                                   "line 3 (step line): 'actions' is not a list of objects", 1),
    "step line with a bad action": (_edit_line(2, lambda s: s.update(actions=[{"type": "click", "x": "ten"}])),
                                    "line 2 (step line): an action: 'x' is not a finite number or null", 1),
    "step line with an action's keys null": (
        _edit_line(2, lambda s: s.update(actions=[{"type": "hotkey", "keys": None}])),
        "line 2 (step line): an action: 'keys' is not a list of text", 1),
    "step line with a screenshot outside the folder": (
        _edit_line(2, lambda s: s.update(screenshot="../../etc/passwd")),
        "line 2 (step line): 'screenshot' is not a file name in the run folder", 1),
    "step line with a zero monitor": (_edit_line(2, lambda s: s["monitor"].update(width=0)),
                                      "line 2 (step line): 'monitor' is not a monitor rectangle", 1),
    "a line nested too deep": (_insert_line(3, b"[" * 100_000 + b"]" * 100_000), "line 3 is not valid JSON", 2),
    "a number too long to read": (_replace_line(2, b'{"kind": "step", "step": ' + b"9" * 5000 + b"}"),
                                  "line 2 is not valid JSON", 1),
    # a number Qt cannot carry: replaying the run broke the viewer's step list and detail pane
    "a step numbered beyond 64 bits": (_edit_line(2, lambda s: s.update(step=10**30)),
                                       "line 2 (step line): a whole number beyond 64 bits", 1),
    "a usage count beyond 64 bits": (_edit_line(3, lambda s: s["usage"].update(prompt_tokens=-(10**20))),
                                     "line 3 (step line): a whole number beyond 64 bits", 1),
    "no trajectory.jsonl": (lambda run: (run / "trajectory.jsonl").unlink(), "no trajectory.jsonl", 0),
}


@pytest.fixture
def damaged_runs(tmp_path):
    """One good run and one damaged run per kind of damage, in one runs folder."""
    runs_dir = tmp_path / "runs"
    good = make_run(runs_dir, "the good run", answer="Grüße, 世界")
    damaged: dict[str, Path] = {}
    for i, (name, (damage, _reason, _steps)) in enumerate(DAMAGE.items()):
        run = make_run(runs_dir, f"damaged {i}", answer="Grüße, 世界")
        damage(run)
        damaged[name] = run
    return runs_dir, good, damaged


@pytest.mark.parametrize("name", list(DAMAGE))
def test_each_damage_is_read_with_its_reason_and_what_can_be_read(damaged_runs, name):
    _runs_dir, _good, damaged = damaged_runs
    _damage, reason, steps = DAMAGE[name]
    log = reading.read_run(damaged[name])
    info = reading.run_info(damaged[name])
    assert info.status == "damaged"
    assert info.damage.startswith(reason), info.damage
    assert "\n" not in info.damage
    assert info.steps == steps
    assert all(reading.line_problem(line) is None for line in log.lines)
    render_report(log.lines)  # the report renders whatever could be read


def test_damaged_runs_do_not_hide_the_others(damaged_runs, tmp_path):
    runs_dir, good, damaged = damaged_runs
    listed = {i.run_id: i for i in reading.list_runs(runs_dir)}
    assert set(listed) == {good.name, *(p.name for p in damaged.values())}
    assert listed[good.name].status == "finished" and listed[good.name].damage is None
    assert listed[good.name].final_answer == "Grüße, 世界"
    for path in damaged.values():
        assert listed[path.name].status == "damaged"
    # Export: the good run by default; every run with --status any, the damaged ones with what can be read.
    summary = export_runs([], runs_dir, tmp_path / "out")
    assert [r["run_id"] for r in summary.runs] == [good.name] and summary.samples == 2
    summary = export_runs([], runs_dir, tmp_path / "out-any", status="any")
    assert len(summary.runs) == len(damaged) + 1
    summary = export_runs([], runs_dir, tmp_path / "out-damaged", status="damaged")  # only what is left of them
    assert sorted(r["run_id"] for r in summary.runs) == sorted(p.name for p in damaged.values())
    # (each damaged run's share, exactly as the model got it: test_a_damaged_run_exports_only_samples_exactly…)
    assert summary.samples == sum(len(run_samples(p, "images/r")[0]) for p in damaged.values()) > 0


@pytest.mark.parametrize("name", list(DAMAGE))
def test_a_damaged_run_exports_only_samples_exactly_as_the_model_got_them(tmp_path, name):
    """Export rebuilds each request by replaying the run: after a lost line (or without the header) it would
    rebuild requests the model never got (an earlier step missing from the context, an empty task). So a damaged
    run gives exactly its twin's samples up to the first damage, and a run whose header is lost gives none."""
    damage, _reason, _steps = DAMAGE[name]
    twin, run = (make_run(tmp_path / folder, "same task", answer="Grüße, 世界") for folder in ("twin", "runs"))
    damage(run)
    expected, _ = run_samples(twin, "images/r")
    got, facts = run_samples(run, "images/r")
    assert [s.record for s in got] == [s.record for s in expected[: len(got)]]
    log = reading.read_run(run)
    if not log.lines or log.lines[0].get("kind") != "header" or log.intact == 0:
        assert got == [] and facts["left_out"].startswith("the task and settings the model was given cannot be read (")
    elif name == "last line cut inside a multi-byte character":  # only the end line was lost: every step exports
        assert len(got) == 2 and "after_damage" not in facts
    else:
        steps_before = sum(1 for x in log.lines[: log.intact] if x["kind"] == "step")
        assert len(got) == steps_before
        assert facts.get("after_damage", 0) == reading.run_info(run).steps - steps_before


def test_the_cli_lists_shows_and_exports_around_damage(damaged_runs, cli_nodisplay, tmp_path):
    runs_dir, good, damaged = damaged_runs
    listed = cli_nodisplay.run("runs", "list", "--runs-dir", str(runs_dir))
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:]}
    assert "finished" in rows[good.name] and "the good run" in rows[good.name]
    for name, path in damaged.items():
        assert " damaged " in rows[path.name] and DAMAGE[name][1] in rows[path.name]
    as_json = json.loads(cli_nodisplay.run("runs", "list", "--json", "--runs-dir", str(runs_dir)).stdout)
    assert {r["run_id"]: r["damage"] for r in as_json}[damaged["no header"].name].startswith("no header line")

    for name, path in [*damaged.items(), ("good", good)]:
        shown = cli_nodisplay.run("runs", "show", path.name, "--runs-dir", str(runs_dir))
        assert shown.returncode == 0, (name, shown.stderr)
        assert "Traceback" not in shown.stderr
        if name == "good":
            assert "finished, 2 step(s)" in shown.stdout and "damaged" not in shown.stdout
        else:
            assert f"damaged: {DAMAGE[name][1]}" in shown.stdout
            assert len(re.findall(r"^  step \d+: click", shown.stdout, re.M)) == DAMAGE[name][2]
        as_json = json.loads(cli_nodisplay.run("runs", "show", path.name, "--json", "--runs-dir", str(runs_dir)).stdout)
        assert (as_json["damage"] is None) == (name == "good")

    exported = cli_nodisplay.run("runs", "export", "--out", str(tmp_path / "x"), "--runs-dir", str(runs_dir))
    assert exported.returncode == 0, exported.stderr
    assert "exported 2 sample(s) from 1 run(s)" in exported.stderr
    exported = cli_nodisplay.run("runs", "export", "--status", "damaged", "--out", str(tmp_path / "d"),
                                 "--runs-dir", str(runs_dir))
    assert exported.returncode == 0 and "Traceback" not in exported.stderr, exported.stderr
    assert f"from {len(damaged)} run(s)" in exported.stderr


def test_a_damaged_run_folder_can_be_deleted_but_nothing_else(tmp_path):
    run = make_run(tmp_path / "runs", "gone")
    (run / "trajectory.jsonl").unlink()
    (tmp_path / "runs" / "not-a-run").mkdir()
    (tmp_path / "runs" / "not-a-run" / "notes.txt").write_text("mine")
    reading.delete_run(run)
    assert not run.exists()
    with pytest.raises(ValueError, match="not a run folder"):
        reading.delete_run(tmp_path / "runs" / "not-a-run")
    assert (tmp_path / "runs" / "not-a-run" / "notes.txt").exists()


# ---------------------------------------------------------------- the recorder on a real full disk
needs_root = pytest.mark.skipif(not can_mount(), reason="mounting a small tmpfs needs root")


@needs_root
def test_a_line_cut_by_a_full_disk_is_taken_back(tmp_path):
    with mounted_tmpfs(tmp_path / "disk", "size=512k") as disk:
        rec = Recorder(disk / "runs", "fill me", {"settings": {}})
        rec.append({"kind": "note", "note": "before"})
        assert rec.flush() is None  # written on the recorder's thread: wait for it
        before = (rec.run_dir / "trajectory.jsonl").read_bytes()
        filler = fill_disk(disk, leave=4096)
        rec.append({"kind": "note", "note": "x" * 20_000})  # a 20 kB line where 4 kB are left: written in part
        failed = rec.flush()  # the writer's failure, one line
        assert "No space left on device" in str(failed) and "\n" not in str(failed)
        assert (rec.run_dir / "trajectory.jsonl").read_bytes() == before  # cut back: no partial line
        with pytest.raises(RecordingError):  # the next hand-over learns of it
            rec.save_image("step-001.png", Picture(png(1920, 1080) * 4))
        assert sorted(p.name for p in rec.run_dir.iterdir()) == ["report.html", "trajectory.jsonl"]
        assert rec.steps_written == 0
        filler.unlink()
        assert rec.finish({"kind": "end", "status": "error", "steps": 0}) is None  # room again for the end line
        rec.close()  # closing twice is harmless
        assert [x["kind"] for x in read_trajectory(rec.run_dir)] == ["header", "note", "end"]


@needs_root
def test_a_recorder_that_cannot_start_leaves_no_folder(tmp_path):
    with mounted_tmpfs(tmp_path / "disk", "size=256k") as disk:
        (disk / "runs").mkdir()
        fill_disk(disk, leave=0)
        with pytest.raises(RecordingError, match="cannot create a run folder"):
            Recorder(disk / "runs", "no room", {"settings": {}})
        assert list((disk / "runs").iterdir()) == []


# ---------------------------------------------------------------- end to end: the real CLI on a real display
def _click(desktop, x: int, y: int) -> str:
    mx, my = round(x * 1932 / desktop.width), round(y * 1092 / desktop.height)  # UI-TARS-1.5's image of 1920x1080
    return f"Thought: c\nAction: click(start_box='({mx},{my})')"


@pytest.mark.x11
@pytest.mark.parametrize("how", ["disk full (tmpfs)", "file size limit (EFBIG)"])
def test_disk_full_mid_run_ends_cleanly(desktop, cli, server, tmp_path, how):
    """Step 3's writes fail for real; the run ends as an error with one line, the JSON summary is printed, steps
    1 and 2 are intact, the end line counts the step lines on disk, and no temporary file is left."""
    if how.startswith("disk") and not can_mount():
        pytest.skip("mounting a small tmpfs needs root")
    with mounted_tmpfs(tmp_path / "disk", "size=8m") if how.startswith("disk") else _no_mount(tmp_path) as disk:
        runs_dir = disk / "runs"
        holder: dict[str, subprocess.Popen] = {}

        def fail_from_now(body):
            if how.startswith("disk"):
                fill_disk(disk, leave=4096)
            else:  # the trajectory may grow by a few lines; a screenshot (>27 kB) no longer fits
                size = next(runs_dir.iterdir()).joinpath("trajectory.jsonl").stat().st_size
                limit_file_size(holder["proc"].pid, size + 4096)
            return _click(desktop, 500, 500)

        server.add(_click(desktop, 300, 300), _click(desktop, 400, 300), fail_from_now, _click(desktop, 600, 600),
                   "Thought: done\nAction: finished(content='ok')")
        proc = cli.popen("run", "fill the disk", "--base-url", server.base_url, "--runs-dir", str(runs_dir), "--json")
        holder["proc"] = proc
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 1, err
        summary = json.loads(out)
        assert summary["status"] == "error" and summary["steps"] == 2
        message = "No space left on device" if how.startswith("disk") else "File too large"
        assert message in summary["error"] and "\n" not in summary["error"]
        assert "Traceback" not in err and f"error: {summary['error']}" in err
        run_dir = Path(summary["run_dir"])
        lines = read_trajectory(run_dir)  # every line complete
        assert [x["kind"] for x in lines] == ["header", "step", "step", "end"]
        assert lines[-1]["steps"] == 2 and lines[-1]["status"] == "error"
        assert sorted(p.name for p in run_dir.iterdir()) == ["report.html", "step-001.png", "step-002.png",
                                                             "trajectory.jsonl"]
        # The failed write is learnt on the recorder's thread: step 4 may have been asked for, never acted on.
        assert len(server.chat_requests()) in (3, 4) and desktop.pointer() != (600, 600)
        info = reading.run_info(run_dir)
        assert (info.status, info.steps, info.damage) == ("error", 2, None)


class _no_mount:  # noqa: N801 - a context manager used like mounted_tmpfs
    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "disk"

    def __enter__(self) -> Path:
        self.path.mkdir()
        return self.path

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize("how", ["a file in its place", "read-only", "under a file"])
def test_an_unusable_runs_dir_is_a_usage_error_before_any_request(cli_nodisplay, server, tmp_path, how):
    if how == "a file in its place":
        runs_dir = tmp_path / "runs"
        runs_dir.write_text("not a folder")
        context = _no_mount(tmp_path)
    elif how == "under a file":
        (tmp_path / "file").write_text("x")
        runs_dir = tmp_path / "file" / "runs"
        context = _no_mount(tmp_path)
    elif can_mount():  # root writes anywhere whatever the permissions: make it truly read-only
        runs_dir = tmp_path / "disk"
        context = mounted_tmpfs(runs_dir, "ro,size=64k")
    else:
        runs_dir = tmp_path / "ro"
        runs_dir.mkdir(mode=0o555)
        context = _no_mount(tmp_path)
    with context:
        for json_flag in ((), ("--json",)):
            proc = cli_nodisplay.run("run", "anything", "--base-url", server.base_url, "--runs-dir", str(runs_dir),
                                     *json_flag)
            assert proc.returncode == 2, proc.stderr
            assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
            assert str(runs_dir) in proc.stderr and "--runs-dir" in proc.stderr
            if json_flag:
                summary = json.loads(proc.stdout)
                assert summary["status"] == "error" and summary["steps"] == 0
            else:
                assert proc.stdout == ""
        assert server.requests == []  # not even the model list was asked for
        if runs_dir.is_dir():
            assert list(runs_dir.iterdir()) == []


# ---------------------------------------------------------------- the History window
@pytest.mark.x11
def test_the_history_window_lists_damaged_runs_with_their_reason(qtbot, qapp, app_dirs, damaged_runs):
    from PySide6.QtCore import Qt

    from agent_app.core.settings.config import Settings
    from agent_app.ui.main_window import MainWindow

    runs_dir, good, damaged = damaged_runs
    window = MainWindow(Settings(runs_dir=str(runs_dir)))
    qtbot.addWidget(window)
    dialog = window.open_history()
    qtbot.addWidget(dialog)
    model = dialog.model
    rows = {model.runs[r].run_id: r for r in range(model.rowCount())}
    assert set(rows) == {good.name, *(p.name for p in damaged.values())}
    for name, path in [*damaged.items(), ("good", good)]:
        dialog.table.selectRow(rows[path.name])
        status = model.data(model.index(rows[path.name], 2))
        if name == "good":
            assert status == "finished" and not dialog.detail.text().startswith("This run is damaged")
            assert dialog.buttons["open"].isEnabled() and dialog.buttons["rerun"].isEnabled()
            continue
        assert status == "damaged"
        assert dialog.detail.isVisibleTo(dialog) and DAMAGE[name][1] in dialog.detail.text()
        readable = model.runs[rows[path.name]].readable_lines > 0
        assert dialog.buttons["open"].isEnabled() == readable
        assert dialog.buttons["delete"].isEnabled()
    # A damaged run whose steps can still be read opens in the viewer, saying it is damaged.
    dialog.table.selectRow(rows[damaged["step line with wrong types"].name])
    qtbot.mouseClick(dialog.buttons["open"], Qt.MouseButton.LeftButton)
    assert window.state == "replay" and window.steps.rowCount() == 1
    assert "Damaged: line 3 (step line)" in window.banner.text.text()
    window.strip.close()


def test_report_regeneration_leaves_no_temporary_file_when_it_cannot_write(tmp_path):
    if can_mount():  # root writes anywhere whatever the permissions: a read-only mount
        with mounted_tmpfs(tmp_path / "disk", "size=1m") as disk:
            run = make_run(disk / "runs", "read only")
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            with pytest.raises(RecordingError, match=r"cannot write the report .*Read-only file system"):
                reading.ensure_report(run)
            assert sorted(p.name for p in run.iterdir()) == ["report.html", "step-001.png", "step-002.png",
                                                             "trajectory.jsonl"]
    else:
        run = make_run(tmp_path / "runs", "read only")
        os.chmod(run, 0o555)
        with pytest.raises(RecordingError, match="cannot write the report"):
            reading.ensure_report(run)
        assert not (run / "report.html.tmp").exists()


@pytest.mark.x11
def test_a_run_with_a_number_beyond_64_bits_replays_what_can_be_read(qtbot, qapp, app_dirs, tmp_path):
    """Each step goes to the viewer through Qt, which cannot carry such a number: the step list and detail pane
    raised OverflowError on every paint. The line is left out as damaged; the other step replays."""
    from agent_app.core.settings.config import Settings
    from agent_app.ui.main_window import MainWindow
    from agent_app.ui.models import LineRole

    run = make_run(tmp_path / "runs", "huge step number")
    _edit_line(2, lambda s: s.update(step=10**30))(run)
    window = MainWindow(Settings(runs_dir=str(tmp_path / "runs")))
    qtbot.addWidget(window)
    assert window.open_run(run)
    lines = [window.steps.index(r, 0).data(LineRole) for r in range(window.steps.rowCount())]
    assert [line["step"] for line in lines] == [2]
    assert "Damaged: line 2 (step line): a whole number beyond 64 bits" in window.banner.text.text()
    window.strip.close()
