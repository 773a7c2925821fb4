"""Close an alert: a disposition, a reason, the alert a duplicate repeats, and an override
when required steps are open (a duplicate of a named alert needs none)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label, Select

from triage.domain.states import ANALYST_DISPOSITIONS, Disposition
from triage.text import printable
from triage.tui.screens.dialog import Dialog
from triage.tui.widgets.entry import EntryInput

DUPLICATE = Disposition.DUPLICATE.value


@dataclass(frozen=True)
class CloseForm:
    disposition: str
    reason: str
    override: str | None
    duplicate_of: int | None = None


class CloseDialog(Dialog[CloseForm]):
    """``open_steps`` are the alert's required playbook steps not yet done: closing then
    needs an override justification, which the log keeps with the list of open steps, unless
    it closes as a duplicate of a named alert (the steps are done there)."""

    def __init__(
        self,
        title: Text,
        open_steps: list[str],
        *,
        disposition: str | None = None,
        closing: tuple[int, ...] = (),
    ) -> None:
        super().__init__(title)
        self.open_steps = open_steps
        self.disposition = disposition
        self.closing = closing  # the alerts being closed (none of them is its own original)

    def body(self) -> ComposeResult:
        yield Label(Text("Disposition"))
        yield Select(
            [(Text(d.value.replace("_", " ")), d.value) for d in ANALYST_DISPOSITIONS],
            value=self.disposition if self.disposition else Select.NULL,
            prompt="choose a disposition",
            id="close-disposition",
        )
        yield Label(Text("Reason"))
        yield EntryInput(placeholder="what you found", id="close-reason")
        yield Label(Text("Duplicate of alert"), id="close-of-label", classes="duplicate-only")
        yield EntryInput(placeholder="its number, e.g. 12", id="close-of", classes="duplicate-only")
        if self.open_steps:
            steps = ", ".join(printable(s, single_line=True) for s in self.open_steps)
            yield Label(Text(f"Required steps still open: {steps}", style="bold yellow"), classes="override")
            yield Label(
                Text("Override justification (logged with the open steps; a duplicate needs none)"),
                classes="override",
            )
            yield EntryInput(
                placeholder="why closing without them is right", id="close-override", classes="override"
            )

    def on_mount(self) -> None:  # before Dialog's (Textual calls each class's), which focuses a shown field
        self._show_for(self.disposition)

    @on(Select.Changed, "#close-disposition")
    def _disposition(self, event: Select.Changed) -> None:
        self._show_for(event.value if isinstance(event.value, str) else None)

    def _show_for(self, disposition: str | None) -> None:
        duplicate = disposition == DUPLICATE
        for widget in self.query(".duplicate-only"):
            widget.display = duplicate
        for widget in self.query(".override"):
            widget.display = not duplicate

    def result(self) -> CloseForm | None:
        disposition = self.query_one("#close-disposition", Select).value
        reason = self.query_one("#close-reason", Input).value.strip()
        if not isinstance(disposition, str):
            self.fail("choose a disposition")
            return None
        if not reason:
            self.fail("a reason is required")
            return None
        if disposition == DUPLICATE:
            of = self.query_one("#close-of", Input).value.strip().lstrip("#")
            if not of.isdigit() or int(of) < 1:
                self.fail("a duplicate names the alert it duplicates: give its number")
                return None
            if int(of) in self.closing:
                self.fail(f"alert {int(of)} is being closed here: name the original, not a duplicate")
                return None
            return CloseForm(disposition, reason, None, int(of))
        override = None
        if self.open_steps:
            override = self.query_one("#close-override", Input).value.strip() or None
        if self.open_steps and not override:
            self.fail("required steps are open: complete them first, or give an override justification")
            return None
        return CloseForm(disposition, reason, override)
