"""The terminal app. It is built from injected parts and routes messages; screens decide."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from triage.clock import utc_now
from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui.backend import Backend
from triage.tui.messages import AlertChosen, IncidentChosen, WorkspaceAdvanced
from triage.tui.palette import ActionsProvider
from triage.tui.screens.alert_detail import AlertDetailScreen
from triage.tui.screens.help import HelpScreen
from triage.tui.screens.incident_detail import IncidentDetailScreen
from triage.tui.screens.incidents import IncidentsScreen
from triage.tui.screens.queue import QueueScreen


class TriageApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "triage"
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Help"),
        Binding("i", "incidents", "Incidents"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        ws: Workspace,
        commands: Commands,
        playbooks: PlaybookSet,
        analyst: str,
        clock: Callable[[], datetime] = utc_now,
        *,
        poll_interval: float = 1.0,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.backend = Backend(ws, commands, playbooks, analyst, clock)
        self.poll_interval = poll_interval
        self.cursor_blink = cursor_blink
        self.head = ws.head()[0]

    def on_mount(self) -> None:
        self.push_screen(QueueScreen(self.backend))
        if self.poll_interval > 0:
            self.set_interval(self.poll_interval, self.check_head)

    def check_head(self) -> None:
        """One indexed look at the log's last event: when another process (a poller, a
        colleague) or one of our workers appended, the screen on top reads again."""
        head = self.backend.ws.head()[0]
        if head != self.head:
            self.head = head
            self.screen.post_message(WorkspaceAdvanced(head))

    def on_alert_chosen(self, message: AlertChosen) -> None:
        self.push_screen(AlertDetailScreen(self.backend, message.alert_id))

    def on_incident_chosen(self, message: IncidentChosen) -> None:
        self.push_screen(IncidentDetailScreen(self.backend, message.incident_id))

    def action_incidents(self) -> None:
        if not isinstance(self.screen, IncidentsScreen):
            self.push_screen(IncidentsScreen(self.backend))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))
