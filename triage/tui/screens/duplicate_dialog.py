"""Close a group's alerts as duplicates of one of them: which one to keep, and why."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Label, Select

from triage.queue import QueueRow
from triage.text import printable
from triage.tui.screens.dialog import Dialog
from triage.tui.widgets.entry import EntryInput

MAX_OFFERED = 200  # alerts offered to keep: the group's first ones, and the proposed one


@dataclass(frozen=True)
class DuplicateForm:
    original: int  # the alert kept open
    reason: str  # logged on every alert closed
    override: str | None


class DuplicateDialog(Dialog[DuplicateForm]):
    """``rows`` are the group's alerts; ``original`` the one offered to keep (else the first to
    fire). ``open_steps`` are required steps open on the others: closing needs an override."""

    def __init__(
        self, title: Text, rows: list[QueueRow], open_steps: list[str], *, original: int | None = None
    ) -> None:
        super().__init__(title)
        self.rows = rows
        self.open_steps = open_steps
        first = min(rows, key=lambda r: (r.fired_at, r.id)).id if rows else None
        self.original = original if original is not None else first

    def body(self) -> ComposeResult:
        yield Label(Text("Keep this alert open (the others are closed as its duplicates)"))
        offered = self.rows[:MAX_OFFERED]  # a dropdown of thousands helps nobody
        offered += [r for r in self.rows[MAX_OFFERED:] if r.id == self.original]
        options = [
            (
                Text(f"#{r.id}  {r.fired_at[:16].replace('T', ' ')}  {printable(r.title, single_line=True)}"),
                r.id,
            )
            for r in offered
        ]
        yield Select(options, value=self.original or Select.NULL, allow_blank=False, id="duplicate-original")
        yield Label(Text("Reason (optional; the log says which alert they duplicate)"))
        yield EntryInput(placeholder="e.g. same scan, one ticket", id="duplicate-reason")
        if self.open_steps:
            steps = ", ".join(printable(s, single_line=True) for s in self.open_steps)
            yield Label(Text(f"Required steps still open: {steps}", style="bold yellow"))
            yield Label(Text("Override justification (logged with the open steps)"))
            yield EntryInput(placeholder="why closing without them is right", id="duplicate-override")

    def result(self) -> DuplicateForm | None:
        original = self.query_one("#duplicate-original", Select).value
        if not isinstance(original, int):
            self.fail("choose the alert to keep")
            return None
        extra = self.query_one("#duplicate-reason", Input).value.strip()
        reason = f"duplicate of alert {original}" + (f": {extra}" if extra else "")
        override = None
        if self.open_steps:
            override = self.query_one("#duplicate-override", Input).value.strip() or None
            if not override:
                self.fail("required steps are open: give an override justification")
                return None
        return DuplicateForm(original, reason, override)
