"""An exercise: its own workspace (kind ``exercise``, every event tagged with its id), the
scenario's start, injects and end in that workspace's log, and the replay that feeds it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from triage.clock import Clock, ScenarioTime, parse_time, utc_now
from triage.commands import Commands
from triage.errors import CommandRejected, WorkspaceError
from triage.playbooks import PlaybookSet
from triage.store.workspace import KIND_EXERCISE, Workspace
from triage.tabletop.replay import InjectDue, Listener, Replay, ReplayEvent, ReplayFinished, Sink
from triage.tabletop.scenario import Scenario
from triage.tabletop.sinks import WorkspaceSink

REPLAY_ACTOR = "tabletop"  # who the replay's own events are by; never a participant
_EXERCISE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def default_exercise_id(scenario: Scenario, when: datetime | None = None) -> str:
    when = when or utc_now()
    return f"tt-{scenario.spec.id}-{when:%Y%m%d-%H%M}"


class Exercise:
    """One running exercise. ``replay`` is the engine a UI drives (pause, resume, skip,
    speed); ``run``/``events`` play it and record its end in the exercise log."""

    def __init__(self, ws: Workspace, commands: Commands, scenario: Scenario, replay: Replay) -> None:
        self.ws = ws
        self.commands = commands
        self.scenario = scenario
        self.replay = replay
        self.ended: ReplayFinished | None = None
        self.started_at = utc_now()  # create() sets the logged start

    @property
    def clock(self) -> ScenarioTime:
        """Scenario time as a wall clock: the exercise's start plus the replay's position."""
        return ScenarioTime(self.started_at, lambda: self.replay.position_s)

    @classmethod
    def create(
        cls,
        scenario: Scenario,
        path: str | Path,
        *,
        exercise_id: str,
        playbooks: PlaybookSet,
        speed: float = 1.0,
        clock: Clock | None = None,
        listener: Listener | None = None,
        participants: Mapping[str, str] | None = None,
        sink: Sink | None = None,
        target: str | None = None,
        production: str | Path | None = None,
    ) -> Exercise:
        """Create the exercise workspace at ``path`` (never an existing file, never the
        production workspace ``production``) and record the exercise's start in it.

        ``sink`` defaults to ingesting into the exercise workspace; ``target`` describes
        another sink (an index) for the log. ``participants`` maps analysts to roles."""
        if not _EXERCISE_ID_RE.match(exercise_id):
            raise CommandRejected(
                f"exercise id {exercise_id!r}: use letters, digits, '.', '-' or '_' (e.g. tt-2026-11)"
            )
        path = Path(path)
        if (
            production is not None
            and not isinstance(production, str)
            and path.resolve() == Path(production).resolve()
        ):
            raise WorkspaceError(
                f"{path} is the production workspace; an exercise needs a workspace of its own"
            )
        roles = {r.role for r in scenario.spec.roles}
        for who, role in (participants or {}).items():
            if role not in roles:
                raise CommandRejected(
                    f"participant {who}: the scenario has no role {role!r}"
                    f" (roles: {', '.join(sorted(roles))})"
                )
        ws = Workspace.create(path, kind=KIND_EXERCISE, exercise=exercise_id)
        try:
            commands = Commands(ws, playbooks, REPLAY_ACTOR)
            started = commands.start_exercise(
                scenario.summary(),
                settings={
                    "speed": speed,
                    "participants": dict(participants or {}),
                    "target": target,
                    "folder": scenario.folder.name,
                },
            )
        except BaseException:
            ws.close()
            raise
        replay = Replay(scenario, sink or WorkspaceSink(commands), speed=speed, clock=clock)
        exercise = cls(ws, commands, scenario, replay)
        exercise.started_at = parse_time(started.ts)
        exercise.listen(listener)
        return exercise

    def _heard(self, event: ReplayEvent, listener: Listener | None) -> None:
        if isinstance(event, InjectDue):
            self.commands.record_inject(event.label, event.at_s, event.text)
        elif isinstance(event, ReplayFinished):
            self.commands.end_exercise(
                alerts=event.alerts, injects=event.injects, stopped=event.stopped, position_s=event.at_s
            )
            self.ended = event
        if listener is not None:
            listener(event)

    def listen(self, listener: Listener | None) -> None:
        """Tell ``listener`` every replay event from now on, after the exercise log has it
        (a UI starts listening once it is built)."""
        self.replay.listener = lambda event: self._heard(event, listener)

    def reopen(self) -> None:
        """Open the exercise workspace again for the calling thread and play through that
        connection: an SQLite connection belongs to the thread that opened it, so a UI
        creates the exercise, closes it, and the worker thread that plays it reopens it."""
        ws = Workspace.open(self.ws.location)
        self.ws = ws
        self.commands = Commands(ws, self.commands.playbooks, self.commands.actor)
        if isinstance(self.replay.sink, WorkspaceSink):
            self.replay.sink = WorkspaceSink(self.commands, source=self.replay.sink.source)

    def run(self) -> ReplayFinished:
        return self.replay.run()

    @property
    def info(self) -> dict[str, Any]:
        return {
            "exercise": self.ws.exercise,
            "workspace": self.ws.display,
            "scenario": self.scenario.spec.id,
        }

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> Exercise:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
