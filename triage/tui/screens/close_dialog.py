"""Close an alert: a disposition, a reason, and an override when required steps are open."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Label, Select

from triage.domain.states import ANALYST_DISPOSITIONS
from triage.text import printable
from triage.tui.screens.dialog import Dialog


@dataclass(frozen=True)
class CloseForm:
    disposition: str
    reason: str
    override: str | None


class CloseDialog(Dialog[CloseForm]):
    """``open_steps`` are the alert's required playbook steps not yet done: closing then
    needs an override justification, which the log keeps with the list of open steps."""

    def __init__(self, title: Text, open_steps: list[str], *, disposition: str | None = None) -> None:
        super().__init__(title)
        self.open_steps = open_steps
        self.disposition = disposition

    def body(self) -> ComposeResult:
        yield Label(Text("Disposition"))
        yield Select(
            [(Text(d.value.replace("_", " ")), d.value) for d in ANALYST_DISPOSITIONS],
            value=self.disposition if self.disposition else Select.NULL,
            prompt="choose a disposition",
            id="close-disposition",
        )
        yield Label(Text("Reason"))
        yield Input(placeholder="what you found", id="close-reason")
        if self.open_steps:
            steps = ", ".join(printable(s, single_line=True) for s in self.open_steps)
            yield Label(Text(f"Required steps still open: {steps}", style="bold yellow"))
            yield Label(Text("Override justification (logged with the open steps)"))
            yield Input(placeholder="why closing without them is right", id="close-override")

    def result(self) -> CloseForm | None:
        disposition = self.query_one("#close-disposition", Select).value
        reason = self.query_one("#close-reason", Input).value.strip()
        override = None
        if self.open_steps:
            override = self.query_one("#close-override", Input).value.strip() or None
        if not isinstance(disposition, str):
            self.fail("choose a disposition")
            return None
        if not reason:
            self.fail("a reason is required")
            return None
        if self.open_steps and not override:
            self.fail("required steps are open: complete them first, or give an override justification")
            return None
        return CloseForm(disposition, reason, override)
