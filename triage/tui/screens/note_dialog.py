"""Several lines of text: a note on an alert or an incident, an incident's description."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Label, TextArea

from triage.tui.screens.dialog import Dialog
from triage.tui.widgets.entry import EntryArea


class NoteDialog(Dialog[str]):
    def __init__(self, title: Text, *, label: str = "Note", text: str = "") -> None:
        super().__init__(title)
        self.label = label
        self.text = text

    def body(self) -> ComposeResult:
        yield Label(Text(f"{self.label} (several lines; ctrl+s saves, escape cancels)"))
        yield EntryArea(self.text, id="note-text", soft_wrap=True, tab_behavior="focus")

    def result(self) -> str | None:
        text = self.query_one("#note-text", TextArea).text.strip()
        if not text:
            self.fail(f"the {self.label.lower()} is empty")
            return None
        return text
