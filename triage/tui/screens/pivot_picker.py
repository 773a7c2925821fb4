"""Pivot from the alert's overview: its host, user or an address, to the queue filtered to it."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from triage.text import printable
from triage.tui.screens.dialog import Dialog


class PivotPicker(Dialog[str]):
    """Returns the query of the value chosen (``enter`` on it)."""

    def __init__(self, title: Text, pivots: list[tuple[str, str, str]]) -> None:
        super().__init__(title)
        self.pivots = pivots

    def body(self) -> ComposeResult:
        options = [
            Option(Text.assemble((f"{label:<8}", "bold"), printable(value, single_line=True, limit=200)))
            for label, value, _ in self.pivots
        ]
        yield OptionList(*options, id="pivot-list")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#pivot-list", OptionList).focus()

    def result(self) -> str | None:
        index = self.query_one("#pivot-list", OptionList).highlighted
        if index is None:
            self.fail("choose a value")
            return None
        return self.pivots[index][2]

    @on(OptionList.OptionSelected)
    def _chosen(self) -> None:
        self.action_submit()
