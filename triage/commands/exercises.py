"""A tabletop exercise, in its own workspace: its start, injects and end."""

from __future__ import annotations

from typing import Any

from triage.commands.base import CommandBase, _text
from triage.domain import events as ev
from triage.errors import CommandRejected
from triage.store.workspace import KIND_EXERCISE, Event


class ExerciseCommands(CommandBase):
    """The exercise runner's events."""

    def _exercise_target(self) -> str:
        if self.ws.kind != KIND_EXERCISE or not self.ws.exercise:
            raise CommandRejected(
                f"{self.ws.display} is a {self.ws.kind} workspace; exercises run in their own"
                " (triage tabletop run creates one)"
            )
        return f"exercise:{self.ws.exercise}"

    def _exercise_events(self, target: str) -> list[str]:
        return [
            action
            for (action,) in self.ws.conn.execute(
                "SELECT e.action FROM timeline t JOIN events e ON e.seq = t.seq"
                " WHERE t.ref = ? ORDER BY t.seq",
                (target,),
            )
        ]

    def start_exercise(self, scenario: dict[str, Any], *, settings: dict[str, Any]) -> Event:
        """Open the exercise: the scenario as played (expectations, roles, injects) and how
        (speed, participants, target), so the minutes can be written from the log alone."""
        target = self._exercise_target()
        with self.ws.write() as w:
            if self._exercise_events(target):
                raise CommandRejected(f"exercise {self.ws.exercise} has already started in this workspace")
            return w.append(self.actor, ev.EXERCISE_STARTED, target, {"scenario": scenario, **settings})

    def record_inject(self, label: str, at_s: float, text: str) -> Event:
        """An inject fell due and was shown to the participants."""
        target = self._exercise_target()
        text = _text(text, "inject text")
        with self.ws.write() as w:
            actions = self._exercise_events(target)
            if ev.EXERCISE_STARTED not in actions or ev.EXERCISE_ENDED in actions:
                raise CommandRejected(f"exercise {self.ws.exercise} is not running")
            return w.append(self.actor, ev.EXERCISE_INJECT, target, {"at": label, "at_s": at_s, "text": text})

    def end_exercise(self, *, alerts: int, injects: int, stopped: bool, position_s: float) -> Event:
        """The replay is over (played to the end, or stopped early)."""
        target = self._exercise_target()
        with self.ws.write() as w:
            actions = self._exercise_events(target)
            if ev.EXERCISE_STARTED not in actions:
                raise CommandRejected(f"exercise {self.ws.exercise} has not started")
            if ev.EXERCISE_ENDED in actions:
                raise CommandRejected(f"exercise {self.ws.exercise} has already ended")
            return w.append(
                self.actor,
                ev.EXERCISE_ENDED,
                target,
                {"alerts": alerts, "injects": injects, "stopped": stopped, "position_s": position_s},
            )
