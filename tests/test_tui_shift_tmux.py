"""The shift's features in a real terminal (tmux): a saved view, the query box, the grouped
queue, and the events a group action leaves."""

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
from .tui_helpers import build_workspace

pytestmark = needs_tmux


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux(f"sq-shift-{os.getpid()}-{tmp_path.name}", "sq-shift")
    yield t
    t("kill-server")


def test_views_query_and_groups_in_a_real_terminal(
    tmux: Tmux, tmp_path: Path, playbooks: PlaybookSet
) -> None:
    build_workspace(tmp_path / "ws.db", playbooks).close()
    config = tmp_path / "config.toml"
    config.write_text('[[views]]\nname = "port scans"\nquery = \'rule:"Port*"\'\nsort = "id asc"\n')
    done = tmp_path / "exit-code"
    command = (
        f"unset COLUMNS LINES; TRIAGE_DB={tmp_path / 'ws.db'} TRIAGE_ANALYST=alice TRIAGE_CONFIG={config} "
        f"{sys.executable} -m triage tui; echo $? > {done}; sleep 30"
    )
    tmux("new-session", "-d", "-s", "sq-shift", "-x", "80", "-y", "24", command)
    tmux.wait_for("unassigned 13")  # 80 columns: the counts line is cut after it
    tmux("send-keys", "-t", "sq-shift", "v")
    tmux.wait_for("Saved views")
    tmux("send-keys", "-t", "sq-shift", "enter")  # the first line: the saved view
    tmux.wait_for("unassigned 3")
    screen = tmux.wait_for('rule:"Port*"')
    rows = [line for line in screen.splitlines() if line.strip()[:2].strip().isdigit()]
    assert [line.split()[0] for line in rows] == ["4", "8", "12"]  # the view's sort: id asc
    tmux("send-keys", "-t", "sq-shift", "b")
    screen = tmux.wait_for("queue by rule")
    assert "1 groups, 3 alerts" in screen and "Port Scan" in screen
    tmux("send-keys", "-t", "sq-shift", "m")
    tmux.wait_for("Logged")
    with Workspace.open(tmp_path / "ws.db") as ws:
        taken = sorted(int(e.target.split(":")[1]) for e in ws.events() if e.action == "alert.assigned")
    assert taken == [4, 8, 12]
    tmux("send-keys", "-t", "sq-shift", "escape")
    tmux.wait_for("mine 3")
    tmux("send-keys", "-t", "sq-shift", "q")
    deadline = time.monotonic() + 15
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done.exists() and done.read_text().strip() == "0"
