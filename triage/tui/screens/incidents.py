"""Incidents: a short list (a handful, not thousands), newest first."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from triage import queries
from triage.tui import render
from triage.tui.backend import Backend
from triage.tui.messages import IncidentChosen
from triage.tui.screens.base import TriageScreen
from triage.tui.widgets.footer import Footer


class IncidentsScreen(TriageScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("f", "toggle_closed", "Open/all"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.show_closed = False

    def compose(self) -> ComposeResult:
        yield Static(id="incidents-title", classes="title-bar")
        table: DataTable[Text] = DataTable(id="incidents", cursor_type="row", zebra_stripes=True)
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#incidents", DataTable)
        for label in ("ID", "SEVERITY", "STATUS", "OWNER", "ALERTS", "CREATED", "TITLE"):
            table.add_column(Text(label), key=label.lower())
        self.reload()
        table.focus()

    def reload(self) -> None:
        table: DataTable[Text] = self.query_one("#incidents", DataTable)
        keep = table.cursor_row
        table.clear()
        rows = queries.list_incidents(self.backend.ws, status="all" if self.show_closed else "open")
        for row in reversed(rows):
            # DataTable parses a plain str as markup: every cell is a Text.
            table.add_row(
                Text(str(row["id"])),
                render.severity_text(row["severity"]),
                Text(row["status"], style="dim" if row["status"] == "closed" else "bold"),
                render.safe(row["owner"], limit=30),
                Text(str(row["alerts"])),
                Text(render.when(row["created_at"])),
                render.safe(row["title"], limit=100),
                key=str(row["id"]),
            )
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        title = Text.assemble(("triage", "bold"), "  incidents  ")
        title.append("open and closed" if self.show_closed else "open only (f shows all)", style="dim")
        self.query_one("#incidents-title", Static).update(title)

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.post_message(IncidentChosen(int(event.row_key.value)))

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self.reload()

    def action_toggle_closed(self) -> None:
        self.show_closed = not self.show_closed
        self.reload()
