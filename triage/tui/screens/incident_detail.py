"""One incident: its fields, description, alerts and timeline (notes included), and every
change to it: title, severity, description, owner, notes, its alerts linked and unlinked."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from triage import queries
from triage.commands import Commands
from triage.domain.events import INCIDENT_UPDATED
from triage.errors import NotFound
from triage.store.workspace import Event
from triage.text import printable
from triage.tui import render
from triage.tui.backend import Backend
from triage.tui.messages import AlertChosen
from triage.tui.screens.base import TriageScreen
from triage.tui.screens.note_dialog import NoteDialog
from triage.tui.screens.prompt_dialog import PromptDialog
from triage.tui.screens.severity_dialog import SeverityDialog
from triage.tui.widgets.footer import Footer


class IncidentDetailScreen(TriageScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("m", "own", "Own it"),
        Binding("n", "note", "Note"),
        Binding("l", "link", "Link…", tooltip="Link an alert to this incident"),
        Binding("u", "unlink", "Unlink", show=False, tooltip="Unlink the highlighted alert"),
        Binding("t", "title", "Title…", show=False, tooltip="Title: change it"),
        Binding("v", "severity", "Severity…", show=False, tooltip="Severity: change it, with a reason"),
        Binding("D", "description", "Description…", show=False, tooltip="Description: write or change it"),
        Binding("A", "owner", "Owner…", show=False, tooltip="Owner: hand it to a named analyst"),
        Binding("c", "close_incident", "Close…"),
        Binding("o", "reopen_incident", "Reopen…", show=False, tooltip="Reopen, with a reason"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, backend: Backend, incident_id: int) -> None:
        super().__init__(backend)
        self.incident_id = incident_id
        self.incident: dict[str, Any] = {}
        self.open_alerts: list[int] = []  # the incident's alerts not closed, as shown

    def compose(self) -> ComposeResult:
        yield Static(id="incident-title", classes="title-bar")
        with Horizontal(id="incident-top"):
            yield Static(id="incident-fields")
            yield OptionList(id="incident-alerts")
        with VerticalScroll(id="incident-timeline-box"):
            yield Static(id="incident-timeline")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()
        self.query_one("#incident-alerts", OptionList).focus()

    def reload(self) -> None:
        try:
            inc = queries.get_incident(self.backend.ws, self.incident_id)
        except NotFound:
            self.notify(f"incident {self.incident_id} does not exist", severity="error")
            return
        self.incident = inc
        title = Text.assemble((f"Incident {inc['id']} ", "bold"), render.severity_text(inc["severity"]), " ")
        title.append(inc["status"], style="bold")
        title.append("  ")
        title.append_text(render.safe(inc["title"], "bold", limit=200))
        self.query_one("#incident-title", Static).update(title)
        fields = Table.grid(padding=(0, 1))
        fields.add_column(style="bold")
        fields.add_column()
        for label, key in (
            ("owner", "owner"),
            ("status", "status"),
            ("severity", "severity"),
            ("created", "created_at"),
            ("created by", "created_by"),
            ("closed", "closed_at"),
        ):
            value = inc.get(key)
            if key.endswith("_at") and value:
                value = render.when(value)
            fields.add_row(Text(label), render.safe(value, limit=100))
        events = list(self.backend.ws.events(ref=f"incident:{self.incident_id}"))
        if inc["status"] == "closed" and (reason := _close_reason(events)):
            fields.add_row(Text("close reason"), render.safe(reason, limit=300))
        fields.add_row(Text("notes"), Text(str(inc.get("notes") or 0)))
        fields.add_row(
            Text("description"), render.safe(inc.get("description"), single_line=False, limit=4000)
        )
        self.query_one("#incident-fields", Static).update(fields)
        alerts = self.query_one("#incident-alerts", OptionList)
        keep = alerts.highlighted
        alerts.clear_options()
        rows = queries.list_alerts(self.backend.ws, status="all", incident=self.incident_id)
        self.open_alerts = [row["id"] for row in rows if row["status"] != "closed"]
        for row in rows:
            line = Text(f"#{row['id']:<7} ")
            line.append_text(render.severity_text(row["severity"]))
            line.append(f"  {row['status']:<12} ")
            line.append_text(render.safe(row["assignee"], limit=12))
            line.append("  ")
            line.append_text(render.safe(row["title"], limit=70))
            alerts.add_option(Option(line, id=str(row["id"])))
        if alerts.option_count:
            alerts.highlighted = min(keep or 0, alerts.option_count - 1)
        timeline = Text()
        for e in events:
            lead = f"{e.seq:>7}  {render.when(e.ts)}  "
            timeline.append(lead, style="dim")
            timeline.append_text(render.safe(e.actor, "bold", limit=40))
            timeline.append(f"  {printable(e.target, single_line=True)}  ", style="dim")
            what = render.safe(queries.describe_event(e), single_line=False, limit=4000)
            what.plain = what.plain.replace("\n", "\n" + " " * len(lead))  # a note's lines, indented
            timeline.append_text(what)
            if e.action == INCIDENT_UPDATED and e.payload.get("reason"):
                timeline.append_text(render.safe(f" (reason: {e.payload['reason']})", limit=300))
            timeline.append("\n")
        self.query_one("#incident-timeline", Static).update(timeline)

    @on(OptionList.OptionSelected, "#incident-alerts")
    def _open_alert(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.post_message(AlertChosen(int(event.option.id)))

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self.reload()

    def _update(self, verb: str, **changes: str) -> None:
        def update(c: Commands, incident_id: int, _seq: int) -> Event:
            return c.update_incident(incident_id, **changes)

        self.request(verb, [(self.incident_id, 0)], update, noun="incident")

    def action_own(self) -> None:
        self._update("took ownership of", owner=self.backend.analyst)

    def _label(self, verb: str) -> Text:
        return Text(f"{verb} incident {self.incident_id}", style="bold")

    def action_title(self) -> None:
        def chosen(title: str | None) -> None:
            if title:
                self._update("renamed", title=title)

        current = printable(self.incident.get("title", ""), single_line=True)
        self.app.push_screen(PromptDialog(self._label("Rename"), "Title", value=current), chosen)

    def action_severity(self) -> None:
        def chosen(value: tuple[str, str] | None) -> None:
            if value:
                self._update(f"set to {value[0]}", severity=value[0], reason=value[1])

        current = self.incident.get("severity", "")
        self.app.push_screen(SeverityDialog(self._label("Change severity of"), current), chosen)

    def action_description(self) -> None:
        def chosen(text: str | None) -> None:
            if text:
                self._update("described", description=text)

        current = printable(self.incident.get("description") or "")
        self.app.push_screen(NoteDialog(self._label("Describe"), label="Description", text=current), chosen)

    def action_owner(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self._update(f"handed to {name}", owner=name)

        self.app.push_screen(
            PromptDialog(self._label("Hand over"), "Owner", placeholder="their name"), chosen
        )

    def action_note(self) -> None:
        def chosen(text: str | None) -> None:
            if text:

                def note(c: Commands, incident_id: int, _seq: int) -> Event:
                    return c.note_incident(incident_id, text)

                self.request("noted", [(self.incident_id, 0)], note, noun="incident")

        self.app.push_screen(NoteDialog(self._label("Note on")), chosen)

    def action_link(self) -> None:
        incident_id = self.incident_id

        def chosen(number: str | None) -> None:
            if not number:
                return
            digits = number.strip().lstrip("#")
            if not digits.isdigit():
                self.notify(f"{printable(number, single_line=True)}: not an alert number", severity="warning")
                return
            try:
                seq = queries.get_alert(self.backend.ws, int(digits))["last_seq"]
            except NotFound:
                self.notify(f"There is no alert {int(digits)}.", severity="warning")
                return
            self.request(
                f"linked to incident {incident_id}:",
                [(int(digits), seq)],
                lambda c, i, s: c.link(i, incident_id, expected_seq=s),
            )

        self.app.push_screen(
            PromptDialog(self._label("Link an alert to"), "Alert", placeholder="its number"), chosen
        )

    def action_unlink(self) -> None:
        alerts = self.query_one("#incident-alerts", OptionList)
        if alerts.highlighted is None:
            self.notify("This incident has no alerts to unlink.", severity="warning")
            return
        alert_id = int(alerts.get_option_at_index(alerts.highlighted).id or 0)
        seq = queries.get_alert(self.backend.ws, alert_id)["last_seq"]
        self.request(
            f"unlinked from incident {self.incident_id}:",
            [(alert_id, seq)],
            lambda c, i, s: c.unlink(i, expected_seq=s),
        )

    def _status(self, status: str, verb: str, label: Text) -> None:
        def chosen(reason: str | None) -> None:
            if reason:
                self._update(verb, status=status, reason=reason)

        self.app.push_screen(PromptDialog(label, "Reason"), chosen)

    def action_close_incident(self) -> None:
        if self.incident.get("status") == "closed":
            self.notify(f"Incident {self.incident_id} is already closed.", severity="warning")
            return
        label = Text(f"Close incident {self.incident_id}", style="bold")
        if self.open_alerts:
            shown = ", ".join(f"#{i}" for i in self.open_alerts[:10])
            more = f" and {len(self.open_alerts) - 10} more" if len(self.open_alerts) > 10 else ""
            count = len(self.open_alerts)
            label.append(
                f"\nWarning: {count} of its alerts still open ({shown}{more}); they stay open.",
                style="bold yellow",
            )
        self._status("closed", "closed", label)

    def action_reopen_incident(self) -> None:
        if self.incident.get("status") != "closed":
            self.notify(f"Incident {self.incident_id} is not closed: nothing to reopen.", severity="warning")
            return
        self._status("open", "reopened", Text(f"Reopen incident {self.incident_id}", style="bold"))


def _close_reason(events: list[Event]) -> str | None:
    """The reason given when the incident was last closed."""
    for e in reversed(events):
        if e.action == INCIDENT_UPDATED and e.payload.get("changes", {}).get("status") == "closed":
            reason = e.payload.get("reason")
            return str(reason) if reason else None
    return None
