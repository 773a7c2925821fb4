"""Counts per status in the current view, the selection and the sort order."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from triage.text import printable
from triage.tui import render
from triage.tui.widgets.alert_table import SORT_LABELS

ORDER = ("open", "new", "acknowledged", "closed", "mine", "unassigned", "all")


class CountsBar(Static):
    DEFAULT_CLASSES = "counts-bar"

    def show(
        self, counts: dict[str, int], status: str, shown: int, selected: int, sort: str, desc: bool
    ) -> None:
        line = Text()
        for name in ORDER:
            style = "reverse" if name == status else render.STATUS_STYLES.get(name, "")
            line.append(f" {name} {counts.get(name, 0)} ", style=style)
            line.append(" ")
        line.append(f"│ {shown} in view", style="bold")
        if selected:
            line.append(f" │ {selected} selected", style="bold yellow")
        line.append(f" │ sort: {SORT_LABELS.get(sort, sort)} {'▼' if desc else '▲'}", style="dim")
        self.update(line)

    def show_error(self, message: str) -> None:
        """What is wrong with the search box's query, instead of the counts (plain text)."""
        self.update(Text(printable(message, single_line=True), style="bold red"))
