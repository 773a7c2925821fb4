"""Building workspaces and driving the terminal app in tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.strip import Strip

from triage import clock
from triage.clock import Clock
from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.store.workspace import Event, Workspace
from triage.tabletop.exercise import Exercise
from triage.tabletop.scenario import load as load_scenario
from triage.tui import TriageApp
from triage.tui.exercise import ExerciseControl

from .conftest import make_alert

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=20)  # what the app's clock says

HOSTILE = {
    "markup": "[bold red]x[/]",
    "click": "[@click=app.quit]q[/]",
    "csi": "\x1b[31mred",
    "osc52": "\x1b]52;c;aGVsbG8=\x07",
    "c1": "\x9b2J",
    "clear": "\x1b[2J\x1b[H",
}
HOSTILE_TITLE = " ".join(HOSTILE.values())


class frozen_clock:
    """Events written inside get fixed, increasing timestamps (deterministic screens)."""

    def __init__(self, start: datetime = T0) -> None:
        self.t = start

    def __enter__(self) -> frozen_clock:
        def tick() -> datetime:
            self.t += timedelta(seconds=1)
            return self.t

        clock.set_clock(tick)
        return self

    def __exit__(self, *exc: object) -> None:
        clock.set_clock(None)


def build_workspace(path: Path, playbooks: PlaybookSet) -> Workspace:
    """A small, fixed queue: every severity, a few hosts and users, one hostile alert."""
    ws = Workspace.create(path)
    cmds = Commands(ws, playbooks, "poller")
    sev = ["critical", "high", "medium", "low", "informational"]
    alerts = [
        make_alert(
            doc_id=f"fixed-{i}",
            title=["SSH Brute Force", "Malware Detected", "IAM Access Key Created", "Port Scan"][i % 4],
            rule_name=["SSH Brute Force", "Malware Detected", "IAM Access Key Created", "Port Scan"][i % 4],
            rule_id=f"r-{i % 4}",
            severity=sev[i % 5],
            host=f"web-{i % 3:02d}",
            user=["root", "bob", "carol"][i % 3],
            src_ip=f"203.0.113.{i}",
            fired_at=T0 - timedelta(minutes=i * 7),
            raw={"n": i, "event": {"kind": "alert"}, "host": {"name": f"web-{i % 3:02d}"}},
        )
        for i in range(12)
    ]
    alerts.append(
        make_alert(
            doc_id="hostile",
            title=HOSTILE_TITLE,
            rule_name=HOSTILE["markup"],
            severity="critical",
            host=HOSTILE["csi"],
            user=HOSTILE["click"],
            src_ip=HOSTILE["c1"],
            fired_at=T0 - timedelta(minutes=1),
            raw={"message": HOSTILE_TITLE, HOSTILE["click"]: {"nested": HOSTILE["osc52"]}},
        )
    )
    with frozen_clock(T0 - timedelta(minutes=5)):
        cmds.ingest(alerts)
    return ws


def make_app(ws: Workspace, playbooks: PlaybookSet, *, analyst: str = "alice", poll: float = 0) -> TriageApp:
    commands = Commands(ws, playbooks, analyst)
    return TriageApp(ws, commands, playbooks, analyst, lambda: NOW, poll_interval=poll, cursor_blink=False)


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and their messages be handled."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


KEYS = {
    " ": "space",
    "\n": "enter",
    "-": "minus",
    ".": "full_stop",
    ",": "comma",
    "/": "slash",
    "#": "number_sign",
    ":": "colon",
    "*": "asterisk",
    ">": "greater_than_sign",
    "<": "less_than_sign",
    "=": "equals_sign",
    '"': "quotation_mark",
    "(": "left_parenthesis",
    ")": "right_parenthesis",
}


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*[KEYS.get(ch, ch) for ch in text])


def alert_events(ws: Workspace, alert_id: int) -> list[Event]:
    return list(ws.events(ref=f"alert:{alert_id}"))


def last_action(ws: Workspace, alert_id: int) -> Event:
    return alert_events(ws, alert_id)[-1]


def screen_strips(app: TriageApp) -> list[Strip]:
    """What the top screen shows, line by line, as the compositor renders it."""
    return app.screen._compositor.render_strips()


def screen_text(app: TriageApp) -> str:
    return "\n".join(strip.text for strip in screen_strips(app))


class StillClock:
    """A replay clock that stands still: scenario time moves only by skipping ahead (or at
    unlimited speed). Like the real clock, its sleep ends as soon as a control wakes it."""

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        wake.wait(min(max(seconds, 0.0), 1.0))


async def wait_until(pilot: Pilot[Any], ready: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until ``ready()`` (the replay's worker thread posts as it plays)."""
    for _ in range(int(timeout / 0.02)):
        if ready():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("the app did not get there in time")


SCENARIO = """\
id: drill
title: Phishing drill
objectives: [Find the malware]
roles:
  - role: analyst
alerts: [alerts.ndjson]
injects:
  - "T+0: Briefing. The helpdesk forwards a phishing report."
  - at: T+4m
    text: %s
"""
HOSTILE_INJECT = f"{HOSTILE['markup']} {HOSTILE['click']} {HOSTILE['csi']}"
OFFSETS_MIN = (0, 1, 5, 5, 20)  # alerts at T+0, T+1m, T+5m (two), T+20m


def write_scenario(folder: Path) -> Path:
    folder.mkdir()
    (folder / "scenario.yaml").write_text(SCENARIO % json.dumps("The CFO calls: " + HOSTILE_INJECT))
    lines = []
    for n, minutes in enumerate(OFFSETS_MIN, start=1):
        t = datetime(2026, 10, 5, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)
        doc = {
            "@timestamp": t.isoformat().replace("+00:00", "Z"),
            "event": {"kind": "alert", "id": f"e-{n}", "severity": 73},
            "rule": {"name": f"Drill rule {n}", "id": f"r-{n}"},
            "host": {"name": f"lt-{n}"},
        }
        lines.append(json.dumps(doc) + "\n")
    (folder / "alerts.ndjson").write_text("".join(lines))
    return folder


def exercise_app(
    tmp_path: Path, playbooks: PlaybookSet, *, speed: float, clock: Clock
) -> tuple[TriageApp, ExerciseControl, Workspace]:
    """As `triage tabletop run` builds it: the exercise created and closed here, the app on
    its own connection to the exercise workspace, the replay reopening it in its worker."""
    scenario = load_scenario(write_scenario(tmp_path / "drill"))
    exercise = Exercise.create(
        scenario, tmp_path / "ex.db", exercise_id="tt-drill", playbooks=playbooks, speed=speed, clock=clock
    )
    exercise.close()
    control = ExerciseControl(exercise)
    ws = Workspace.open(tmp_path / "ex.db")
    app = TriageApp(
        ws,
        Commands(ws, playbooks, "alice"),
        playbooks,
        "alice",
        lambda: NOW,
        poll_interval=0,
        cursor_blink=False,
        exercise=control,
    )
    return app, control, ws
