"""The injects shown so far in an exercise, newest last, their text exactly as written."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from triage.tabletop.scenario import format_offset
from triage.text import printable
from triage.tui.exercise import ExerciseControl


class InjectList(Static):
    def __init__(self, control: ExerciseControl, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.control = control

    def on_mount(self) -> None:
        self.show_injects()

    def show_injects(self) -> None:
        out = Text()
        for n, inject in enumerate(self.control.injects):
            if n:
                out.append("\n\n")
            out.append(f"{format_offset(inject.at_s)}\n", style="bold cyan")
            out.append(printable(inject.text))  # scenario text: shown as it is, never as markup
        if not self.control.injects:
            nxt = self.control.next_inject()
            out.append("No inject yet" + (f"; the first falls due at {nxt[1]}." if nxt else "."), style="dim")
        self.update(out)
