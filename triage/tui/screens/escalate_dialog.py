"""Escalate an alert to a new incident or to an open one."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Label, Select

from triage.domain.alert import Severity
from triage.text import printable
from triage.tui.screens.dialog import Dialog
from triage.tui.widgets.entry import EntryInput

NEW = -1


@dataclass(frozen=True)
class EscalateForm:
    incident_id: int | None  # None: a new incident
    title: str
    severity: str


class EscalateDialog(Dialog[EscalateForm]):
    def __init__(
        self, title: Text, alert_title: str, severity: str, incidents: list[tuple[int, str]]
    ) -> None:
        super().__init__(title)
        self.alert_title = alert_title
        self.severity = severity
        self.incidents = incidents

    def body(self) -> ComposeResult:
        options: list[tuple[Text, int]] = [(Text("a new incident"), NEW)]
        options += [
            (Text(f"#{i} {printable(title, single_line=True, limit=60)}"), i) for i, title in self.incidents
        ]
        yield Label(Text("Escalate to"))
        yield Select(options, value=NEW, allow_blank=False, id="escalate-incident")
        yield Label(Text("Title of a new incident"))
        yield EntryInput(value=printable(self.alert_title, single_line=True), id="escalate-title")
        yield Label(Text("Severity of a new incident"))
        yield Select(
            [(Text(s.value), s.value) for s in Severity],
            value=self.severity,
            allow_blank=False,
            id="escalate-severity",
        )

    def result(self) -> EscalateForm | None:
        target = self.query_one("#escalate-incident", Select).value
        title = self.query_one("#escalate-title", Input).value.strip()
        severity = self.query_one("#escalate-severity", Select).value
        if target == NEW and not title:
            self.fail("a new incident needs a title")
            return None
        return EscalateForm(
            None if target == NEW or not isinstance(target, int) else target,
            title,
            severity if isinstance(severity, str) else self.severity,
        )
