"""The start-up permission checks (agent_app/core/permissions.py) at the decision level, with fake platform
probes: macOS Accessibility / Screen Recording and the Windows elevated-target (UIPI) case. No display."""

from __future__ import annotations

import pytest

from agent_app.core.desktop import permissions
from agent_app.core.desktop.permissions import MacProbes, Problem, WindowsProbes


class Calls:
    """Counts how often a request probe was called."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def mac(accessibility: bool | None, screen: bool | None, holder: str = "agent-app") -> MacProbes:
    return MacProbes(
        accessibility=lambda: accessibility, screen_recording=lambda: screen,
        request_accessibility=Calls(), request_screen_recording=Calls(), holder=holder,
    )


def test_mac_with_both_permissions_has_nothing_to_say():
    probes = mac(True, True)
    assert permissions.mac_problems(probes) == []
    assert permissions.startup_message(permissions.mac_problems(probes)) is None
    assert probes.request_accessibility.count == probes.request_screen_recording.count == 0


def test_mac_missing_accessibility_says_exactly_where_and_asks_macos_once():
    probes = mac(False, True)
    problems = permissions.mac_problems(probes)
    assert [p.key for p in problems] == ["accessibility"]
    text = problems[0].message
    assert "System Settings → Privacy & Security → Accessibility" in text
    assert "turn on agent-app" in text and "open it again" in text
    assert probes.request_accessibility.count == 1 and probes.request_screen_recording.count == 0


def test_mac_missing_screen_recording_names_the_pane_old_and_new():
    probes = mac(True, False)
    problems = permissions.mac_problems(probes)
    assert [p.key for p in problems] == ["screen-recording"]
    assert "System Settings → Privacy & Security → Screen Recording" in problems[0].message
    assert "Screen & System Audio Recording" in problems[0].message  # the macOS 15 name of the same pane
    assert probes.request_screen_recording.count == 1 and probes.request_accessibility.count == 0


def test_mac_missing_both_gives_two_paragraphs_in_order():
    problems = permissions.mac_problems(mac(False, False))
    assert [p.key for p in problems] == ["accessibility", "screen-recording"]
    message = permissions.startup_message(problems)
    assert message.split("\n\n") == [p.message for p in problems]


def test_mac_unknown_answers_never_warn_and_request_false_never_prompts():
    unknown = mac(None, None)  # e.g. macOS before 10.15 has no Screen Recording permission at all
    assert permissions.mac_problems(unknown) == []
    quiet = mac(False, False)
    assert len(permissions.mac_problems(quiet, request=False)) == 2
    assert quiet.request_accessibility.count == quiet.request_screen_recording.count == 0


def test_mac_names_the_terminal_when_not_running_as_the_app_bundle():
    assert permissions.mac_holder(frozen=True, term_program="Apple_Terminal") == "agent-app"
    assert permissions.mac_holder(frozen=False, term_program="iTerm.app") == "iTerm"
    assert "Terminal" in permissions.mac_holder(frozen=False, term_program="")  # unknown: a generic hint
    text = permissions.mac_problems(mac(False, True, holder="iTerm"))[0].message
    assert "given iTerm Accessibility access" in text and "turn on iTerm" in text


def test_real_mac_probes_elsewhere_answer_unknown_instead_of_raising():
    # On this (non-macOS) machine the frameworks do not load: every probe must say "cannot tell".
    probes = permissions.mac_probes()
    assert probes.accessibility() is None and probes.screen_recording() is None
    assert permissions.mac_problems(probes) == []


class FakeWindows:
    """A desktop of windows → (pid, title), processes → elevated?, and our own elevation."""

    def __init__(self, *, self_elevated: bool | None = False, foreground: int | None = 10) -> None:
        self.windows = {10: (1000, "Registry Editor"), 20: (2000, "Notepad"), 30: (4242, "agent-app"),
                        40: (3000, "")}
        self.elevated = {1000: True, 2000: False, 4242: False, 3000: True}
        self.self_elevated = self_elevated
        self.foreground = foreground
        self.asked: list[int] = []

    def process_elevated(self, pid: int) -> bool | None:
        self.asked.append(pid)
        return self.elevated.get(pid)

    def probes(self) -> WindowsProbes:
        return WindowsProbes(
            self_elevated=lambda: self.self_elevated,
            foreground_window=lambda: self.foreground,
            window_pid=lambda w: self.windows.get(w, (None, ""))[0],
            window_title=lambda w: self.windows.get(w, (None, ""))[1],
            process_elevated=self.process_elevated,
            window_at=lambda x, y: 20 if x < 100 else 10,
            own_pid=4242,
        )


def test_windows_elevated_foreground_window_is_a_warning_naming_it():
    problem = permissions.elevated_target_problem(FakeWindows().probes())
    assert isinstance(problem, Problem) and problem.key == "elevated-target"
    assert "“Registry Editor” runs as administrator" in problem.message
    assert "Run as administrator" in problem.message  # the way out


@pytest.mark.parametrize(
    ("fake", "expected"),
    [
        (FakeWindows(foreground=20), None),  # a normal window: input goes through
        (FakeWindows(foreground=30), None),  # our own window
        (FakeWindows(foreground=None), None),  # no foreground window
        (FakeWindows(foreground=99), None),  # a window that vanished: no pid
        (FakeWindows(self_elevated=True), None),  # elevated ourselves: UIPI lets us through
        (FakeWindows(self_elevated=None), None),  # cannot tell: do not nag
    ],
    ids=["normal", "own", "none", "vanished", "self-elevated", "self-unknown"],
)
def test_windows_no_warning_unless_the_target_is_elevated_and_we_are_not(fake, expected):
    assert permissions.elevated_target_problem(fake.probes()) is expected


def test_windows_elevated_self_does_not_even_look_at_the_target():
    fake = FakeWindows(self_elevated=True)
    permissions.elevated_target_problem(fake.probes())
    assert fake.asked == []


def test_windows_target_under_a_point_and_untitled_windows():
    fake = FakeWindows(foreground=20)
    assert permissions.elevated_target_problem(fake.probes(), point=(50, 50)) is None  # Notepad under it
    assert permissions.elevated_target_problem(fake.probes(), point=(500, 50)).key == "elevated-target"
    untitled = permissions.elevated_target_problem(fake.probes(), window=40)
    assert untitled.message.startswith("The window in front runs as administrator")


def test_check_dispatches_per_platform():
    assert permissions.check("linux", mac(False, False)) == []  # nothing to check on Linux
    assert [p.key for p in permissions.check("darwin", mac(False, True))] == ["accessibility"]
    assert [p.key for p in permissions.check("win32", FakeWindows().probes())] == ["elevated-target"]
    assert permissions.check("win32", FakeWindows(foreground=20).probes()) == []


def test_check_on_this_machine_finds_nothing_missing():
    assert permissions.check() == []  # Linux/X11: no OS permission gates input or capture
