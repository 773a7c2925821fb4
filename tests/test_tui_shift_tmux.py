"""The shift's features in a real terminal (tmux): a saved view, the query box, the grouped
queue, the events a group action leaves, and a short shift from a query to a closed incident."""

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


def _start(tmux: Tmux, session: str, tmp_path: Path, config: Path | str = "/dev/null") -> Path:
    """The app on the workspace in ``tmp_path``, as alice, at 80x24; the file its exit code goes to."""
    done = tmp_path / "exit-code"
    command = (
        f"unset COLUMNS LINES; TRIAGE_DB={tmp_path / 'ws.db'} TRIAGE_ANALYST=alice TRIAGE_CONFIG={config} "
        f"{sys.executable} -m triage tui; echo $? > {done}; sleep 30"
    )
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)
    return done


def _quit(tmux: Tmux, session: str, done: Path) -> None:
    """``q``, and the app ends with status 0."""
    tmux("send-keys", "-t", session, "q")
    deadline = time.monotonic() + 15
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done.exists() and done.read_text().strip() == "0"


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
    done = _start(tmux, "sq-shift", tmp_path, config)
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
    _quit(tmux, "sq-shift", done)


@pytest.fixture
def tmux_burst(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux(f"sq-burst-{os.getpid()}-{tmp_path.name}", "sq-burst")
    yield t
    t("kill-server")


def test_a_query_sent_in_one_burst_after_slash_filters_the_queue(
    tmux_burst: Tmux, tmp_path: Path, playbooks: PlaybookSet
) -> None:
    """The "/", the query and Enter in one send-keys (as a paste arrives): every key reaches the
    search box, none runs as a command of the table ("e" escalates, "s" sorts, "r" severity)."""
    tmux, session = tmux_burst, "sq-burst"
    build_workspace(tmp_path / "ws.db", playbooks).close()
    done = _start(tmux, session, tmp_path)
    tmux.wait_for("unassigned 13")
    time.sleep(1.5)  # past the app's first second (see the shift below)
    query = "src_ip:203.0.113.0/28 severity>=high"
    tmux("send-keys", "-t", session, f"/{query}", "Enter")
    screen = tmux.wait_for("unassigned 6")  # the query's matches, no dialog over them
    assert screen.splitlines()[1].rstrip().endswith("severity>=high")  # the box shows its end
    rows = [line for line in screen.splitlines() if line.strip()[:2].strip().isdigit()]
    assert sorted(int(line.split()[0]) for line in rows) == [1, 2, 6, 7, 11, 12]
    with Workspace.open(tmp_path / "ws.db") as ws:
        assert [e.action for e in ws.events() if e.action != "alert.ingested"] == []
    _quit(tmux, session, done)


@pytest.fixture
def tmux_incident(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux(f"bp-incident-{os.getpid()}-{tmp_path.name}", "bp-incident")
    yield t
    t("kill-server")


def test_a_short_shift_search_group_escalate_edit_and_close_the_incident(
    tmux_incident: Tmux, tmp_path: Path, playbooks: PlaybookSet
) -> None:
    """At 80x24: a query, the queue grouped, the group escalated to one new incident, the
    incident renamed and closed (warned that its alerts stay open); each step an event."""
    tmux, session = tmux_incident, "bp-incident"
    build_workspace(tmp_path / "ws.db", playbooks).close()
    done = _start(tmux, session, tmp_path)
    tmux.wait_for("unassigned 13")
    time.sleep(1.5)  # a query typed and entered at once in the app's first second can be lost

    def keys(*k: str) -> None:
        tmux("send-keys", "-t", session, *k)

    def typed(text: str) -> None:
        tmux("send-keys", "-t", session, "-l", text)

    def events(action: str) -> list[tuple[str, dict[str, object]]]:
        with Workspace.open(tmp_path / "ws.db") as ws:
            return [(e.target, e.payload) for e in ws.events() if e.action == action]

    keys("/")
    typed('rule:"Port*"')
    keys("Enter")
    tmux.wait_for("unassigned 3")
    keys("b")
    screen = tmux.wait_for("queue by rule")
    assert "1 groups, 3 alerts" in screen
    keys("e")
    tmux.wait_for("Escalate 3 alerts")
    keys("C-s")
    tmux.wait_for("Logged")
    escalated = events("alert.escalated")
    assert sorted(target for target, _ in escalated) == ["alert:12", "alert:4", "alert:8"]
    assert {payload["incident"] for _, payload in escalated} == {1}
    assert sum("new_incident" in payload for _, payload in escalated) == 1

    keys("Escape")
    tmux.wait_for("unassigned 3")
    keys("i")
    tmux.wait_for("incidents  open only")  # the list, not the queue's own "Port Scan" rows
    keys("Enter")
    tmux.wait_for("Incident 1 high open  Port Scan")
    keys("t")
    tmux.wait_for("Rename incident 1")
    keys("C-u", "Scan of the web tier")  # one burst: the field clears, then takes the new title
    tmux.wait_for("Scan of the web tier")
    keys("Enter")
    tmux.wait_for("Renamed")
    keys("c")
    screen = tmux.wait_for("still open")
    assert "#4" in screen and "#8" in screen and "#12" in screen
    typed("authorised scan, ticket SEC-9")
    tmux.wait_for("authorised scan, ticket SEC-9")  # in the dialog's field: not yet logged
    keys("Enter")
    tmux.wait_for("Closed incident 1")  # the notice comes once the event is in the log
    tmux.wait_for("Incident 1 high closed  Scan of the web tier")
    changes = [payload for target, payload in events("incident.updated") if target == "incident:1"]
    assert [c["changes"] for c in changes] == [{"title": "Scan of the web tier"}, {"status": "closed"}]
    assert changes[1]["reason"] == "authorised scan, ticket SEC-9"
    _quit(tmux, session, done)
