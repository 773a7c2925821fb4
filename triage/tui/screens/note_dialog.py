"""A multi-line note on an alert."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Label, TextArea

from triage.tui.screens.dialog import Dialog


class NoteDialog(Dialog[str]):
    def __init__(self, title: Text) -> None:
        super().__init__(title)

    def body(self) -> ComposeResult:
        yield Label(Text("Note (several lines; ctrl+s saves, escape cancels)"))
        yield TextArea(id="note-text", soft_wrap=True, tab_behavior="focus")

    def result(self) -> str | None:
        text = self.query_one("#note-text", TextArea).text.strip()
        if not text:
            self.fail("the note is empty")
            return None
        return text
