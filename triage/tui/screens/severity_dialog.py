"""A new severity for an alert, with the reason for it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Label, Select

from triage.domain.alert import Severity
from triage.tui.screens.dialog import Dialog
from triage.tui.widgets.entry import EntryInput


class SeverityDialog(Dialog[tuple[str, str]]):
    def __init__(self, title: Text, current: str) -> None:
        super().__init__(title)
        self.current = current

    def body(self) -> ComposeResult:
        yield Label(Text("Severity"))
        yield Select(
            [(Text(s.value), s.value) for s in Severity if s.value != self.current],
            prompt="choose a severity",
            id="severity-value",
        )
        yield Label(Text("Reason"))
        yield EntryInput(placeholder="why the severity changes", id="severity-reason")

    def result(self) -> tuple[str, str] | None:
        value = self.query_one("#severity-value", Select).value
        reason = self.query_one("#severity-reason", Input).value.strip()
        if not isinstance(value, str):
            self.fail("choose a severity")
            return None
        if not reason:
            self.fail("a reason is required")
            return None
        return value, reason
