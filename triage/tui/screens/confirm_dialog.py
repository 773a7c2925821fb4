"""A question to answer with OK or Cancel (leaving an exercise)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Button, Static

from triage.tui.screens.dialog import Dialog


class ConfirmDialog(Dialog[bool]):
    def __init__(self, title: Text, question: Text) -> None:
        super().__init__(title)
        self.question = question

    def body(self) -> ComposeResult:
        yield Static(self.question, id="confirm-question")

    def on_mount(self) -> None:  # Textual calls Dialog's too; with no field it focuses nothing
        self.query_one("#ok", Button).focus()  # enter answers OK; escape cancels

    def result(self) -> bool:
        return True
