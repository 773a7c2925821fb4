"""The real `triage tui` in a real terminal (tmux): it starts, shows the queue, acts, quits."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace

from .tmux_helpers import Tmux, needs_tmux
from .tui_helpers import HOSTILE, build_workspace

pytestmark = needs_tmux


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux(f"triage-test-{os.getpid()}-{tmp_path.name}", "tui")
    yield t
    t("kill-server")


def test_triage_tui_in_a_real_terminal(tmux: Tmux, tmp_path: Path, playbooks: PlaybookSet) -> None:
    build_workspace(tmp_path / "ws.db", playbooks).close()
    done = tmp_path / "exit-code"
    command = (
        # COLUMNS and LINES from the test run would override the terminal's real size
        f"unset COLUMNS LINES; TRIAGE_DB={tmp_path / 'ws.db'} TRIAGE_ANALYST=alice TRIAGE_CONFIG= "
        f"XDG_CONFIG_HOME={tmp_path} "
        f"{sys.executable} -m triage tui; echo $? > {done}; sleep 30"
    )
    tmux("new-session", "-d", "-s", "tui", "-x", "120", "-y", "36", command)
    screen = tmux.wait_for("in view")
    assert "triage  queue  analyst: alice" in screen
    # the hostile alert is first: its text is on screen literally, and the terminal was not cleared
    assert HOSTILE["markup"] in screen and "\\x1b[31mred" in screen
    assert "13 in view" in screen

    tmux("send-keys", "-t", "tui", "down", "a")
    tmux.wait_for("Logged")
    with Workspace.open(tmp_path / "ws.db") as ws:
        acks = [e for e in ws.events() if e.action == "alert.acknowledged"]
    assert len(acks) == 1 and acks[0].actor == "alice" and acks[0].target == "alert:11"

    tmux("send-keys", "-t", "tui", "enter")
    screen = tmux.wait_for("Overview")
    assert "Alert 11" in screen and "Playbook:" in screen
    tmux("send-keys", "-t", "tui", "escape")  # alone: ESC then q at once would read as alt+q
    tmux.wait_for("in view")
    tmux("send-keys", "-t", "tui", "q")
    deadline = time.monotonic() + 15
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done.exists() and done.read_text().strip() == "0"


def test_tabletop_run_opens_the_exercise_in_a_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    done = tmp_path / "exit-code"
    exercise = tmp_path / "ex.db"
    command = (
        f"unset COLUMNS LINES; TRIAGE_DB={tmp_path / 'prod.db'} TRIAGE_ANALYST=alice TRIAGE_CONFIG= "
        f"XDG_CONFIG_HOME={tmp_path} "
        f"{sys.executable} -m triage tabletop run leaked-cloud-key --speed 1 --exercise-id tt-term"
        f" --workspace {exercise}; echo $? > {done}; sleep 30"
    )
    tmux("new-session", "-d", "-s", "tui", "-x", "120", "-y", "36", command)
    screen = tmux.wait_for("EXERCISE")
    assert "Leaked cloud access key" in screen and "1x" in screen
    tmux.wait_for("Inject T+0")  # the briefing, as a notification
    tmux("send-keys", "-t", "tui", "P")
    tmux.wait_for("paused")
    tmux("send-keys", "-t", "tui", "q")
    tmux.wait_for("Leave the exercise?")  # leaving asks first
    tmux("send-keys", "-t", "tui", "Enter")
    deadline = time.monotonic() + 20
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done.exists() and done.read_text().strip() == "0"
    assert "replay stopped" in tmux.wait_for("next: triage it")  # the app has left the screen
    with Workspace.open(exercise) as ws:
        assert ws.kind == "exercise" and ws.exercise == "tt-term"
        actions = [e.action for e in ws.events()]
    assert actions[0] == "exercise.started" and actions[-1] == "exercise.ended"
    assert "exercise.inject" in actions
