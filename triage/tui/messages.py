"""Messages that travel up the DOM, named for what already happened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from textual.message import Message

from triage.commands import Commands
from triage.store.workspace import Event
from triage.tabletop.replay import ReplayEvent

# One command on one alert: (commands, alert id, the alert's last event as displayed) -> event
AlertCall = Callable[[Commands, int, int], Event]


@dataclass(frozen=True)
class Request:
    """What the analyst asked for: ``call`` on each (alert id, expected seq) in ``targets``."""

    verb: str  # past tense, for the notification: "acknowledged"
    targets: tuple[tuple[int, int], ...]
    call: AlertCall
    noun: str = "alert"


@dataclass
class Outcome:
    done: list[tuple[int, int]] = field(default_factory=list)  # (alert id, event seq)
    conflicts: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class CommandsFinished(Message):
    """A worker ran a request through the command layer (some parts may have been refused)."""

    def __init__(self, request: Request, outcome: Outcome) -> None:
        super().__init__()
        self.request = request
        self.outcome = outcome


class WorkspaceAdvanced(Message):
    """Events were appended to the log (by us or by another process)."""

    def __init__(self, head: int) -> None:
        super().__init__()
        self.head = head


class AlertChosen(Message):
    """The analyst asked to open an alert."""

    def __init__(self, alert_id: int) -> None:
        super().__init__()
        self.alert_id = alert_id


class IncidentChosen(Message):
    """The analyst asked to open an incident."""

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id


class ExerciseAdvanced(Message):
    """The exercise's replay told what happened (posted from its worker thread)."""

    def __init__(self, event: ReplayEvent) -> None:
        super().__init__()
        self.event = event


class ExerciseFailed(Message):
    """The exercise's replay could not go on (its worker thread stopped)."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class CopyRequested(Message):
    """The analyst asked to copy ``text`` (to the clipboard, and to a file named after ``name``)."""

    def __init__(self, text: str, name: str, suffix: str) -> None:
        super().__init__()
        self.text = text
        self.name = name
        self.suffix = suffix


class PivotChosen(Message):
    """The analyst asked for the queue filtered by ``query`` (a value of an alert, quoted)."""

    def __init__(self, query: str) -> None:
        super().__init__()
        self.query = query
