"""Every inject of the exercise so far, to read again after its notification is gone."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from triage.text import printable
from triage.tui.exercise import ExerciseControl
from triage.tui.widgets.inject_list import InjectList


class InjectsScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close injects"),
    ]
    DEFAULT_CLASSES = "dialog"

    def __init__(self, control: ExerciseControl) -> None:
        super().__init__()
        self.control = control

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box injects-box"):
            title = Text("Injects: ", style="bold")
            title.append(printable(self.control.title, single_line=True))
            yield Static(title, classes="dialog-title")
            yield InjectList(self.control, id="inject-list")
            yield Static(Text("escape closes this list", style="dim"))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
