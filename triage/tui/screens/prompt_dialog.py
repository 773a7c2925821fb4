"""One line of text: an analyst's name, a reason, a note on a step."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Label

from triage.tui.screens.dialog import Dialog
from triage.tui.widgets.entry import EntryInput


class PromptDialog(Dialog[str]):
    def __init__(
        self, title: Text, label: str, *, value: str = "", placeholder: str = "", required: bool = True
    ) -> None:
        super().__init__(title)
        self.label = label
        self.value = value
        self.placeholder = placeholder
        self.required = required

    def body(self) -> ComposeResult:
        yield Label(Text(self.label))
        yield EntryInput(value=self.value, placeholder=self.placeholder, id="prompt-value")

    def result(self) -> str | None:
        value = self.query_one("#prompt-value", Input).value.strip()
        if self.required and not value:
            self.fail(f"{self.label} is required")
            return None
        return value
