"""One alert: its fields, raw document, related alerts, playbook checklist, notes, timeline."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from triage import queries
from triage.commands import Commands
from triage.domain.state import AlertState, open_steps
from triage.errors import NotFound
from triage.queue import related_alerts
from triage.store.workspace import Event
from triage.tui import render
from triage.tui.backend import Backend
from triage.tui.messages import AlertChosen, IncidentChosen, PivotChosen
from triage.tui.pivot import overview_pivots
from triage.tui.screens import bulk
from triage.tui.screens.base import TriageScreen
from triage.tui.screens.close_dialog import CloseDialog, CloseForm
from triage.tui.screens.note_dialog import NoteDialog
from triage.tui.screens.pivot_picker import PivotPicker
from triage.tui.screens.prompt_dialog import PromptDialog
from triage.tui.widgets.footer import Footer
from triage.tui.widgets.raw_tree import RawTree

FIELDS = (
    ("severity", "severity"),
    ("status", "status"),
    ("assignee", "assignee"),
    ("rule", "rule_name"),
    ("rule id", "rule_id"),
    ("source", "source"),
    ("profile", "profile"),
    ("fired", "fired_at"),
    ("ingested", "ingested_at"),
    ("host", "host"),
    ("user", "user_name"),
    ("source ip", "src_ip"),
    ("dest ip", "dst_ip"),
    ("risk score", "risk_score"),
    ("tactics", "tactics"),
    ("techniques", "techniques"),
    ("tags", "tags"),
    ("incident", "incident_id"),
    ("disposition", "disposition"),
    ("close reason", "close_reason"),
    ("override", "close_override"),
    ("duplicate of", "duplicate_of"),
)
NOTES_SHOWN = 20  # on the Overview tab, the newest; a long investigation would take its opening


class AlertDetailScreen(TriageScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("a", "acknowledge", "Ack", tooltip="Acknowledge"),
        Binding("m", "assign_me", "Take", show=False, tooltip="Assign to me"),
        Binding("A", "assign_other", "Assign…", show=False, tooltip="Assign to a named analyst"),
        Binding("n", "note", "Note"),
        Binding("x", "complete_step", "Step", tooltip="Step done: complete the highlighted playbook step"),
        Binding("v", "severity", "Severity…", show=False, tooltip="Severity: change it, with a reason"),
        Binding("e", "escalate", "Escalate…"),
        Binding("c", "close", "Close…"),
        Binding("o", "reopen", "Reopen…", show=False, tooltip="Reopen, with a reason"),
        Binding("I", "open_incident", "Its incident", show=False),
        Binding(
            "p", "pivot", "Pivot…", show=False, tooltip="Pivot: the queue filtered to this host, user, IP"
        ),
        Binding("1", "tab('tab-overview')", "Overview tab", show=False),
        Binding("2", "tab('tab-raw')", "Raw tab", show=False),
        Binding("3", "tab('tab-related')", "Related tab", show=False),
        Binding("4", "tab('tab-timeline')", "Timeline tab", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, backend: Backend, alert_id: int) -> None:
        super().__init__(backend)
        self.alert_id = alert_id
        self.alert: dict[str, Any] = {}
        self._events: list[Event] = []
        self._filled: set[str] = set()  # tabs built so far
        self.seq = 0  # the alert's last event as displayed: what every action expects

    def compose(self) -> ComposeResult:
        yield Static(id="alert-title", classes="title-bar")
        with TabbedContent(id="alert-tabs"):
            with TabPane("Overview", id="tab-overview"), Horizontal():
                with VerticalScroll(id="alert-fields-box"):
                    yield Static(id="alert-fields")
                with Vertical(id="alert-side"):
                    yield Static(id="alert-playbook")
                    yield OptionList(id="checklist")
                    yield Static(Text("Notes", style="bold"))
                    with VerticalScroll(id="alert-notes-box"):
                        yield Static(id="alert-notes")
            # The other tabs are filled the first time they are shown (the screen opens faster).
            yield TabPane("Raw", id="tab-raw")
            yield TabPane("Related", id="tab-related")
            yield TabPane("Timeline", id="tab-timeline")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()
        self.query_one("#checklist", OptionList).focus()

    async def show(self, alert_id: int) -> None:
        """Show another alert on this screen (composed once, its widgets kept: opening an alert
        then costs its reading, not a screen's building). Call it while the screen is not
        shown; showing it reads the alert. The tabs filled for the last alert are filled anew
        for this one the first time they are shown."""
        self.alert_id = alert_id
        self.alert = {}
        self._events = []
        self.query_one("#alert-tabs", TabbedContent).active = "tab-overview"
        self.query_one("#checklist", OptionList).highlighted = None
        for box in ("#alert-fields-box", "#alert-notes-box"):
            self.query_one(box, VerticalScroll).scroll_home(animate=False, immediate=True)
        self.set_focus(self.query_one("#checklist", OptionList), scroll_visible=False)
        await self._empty_tabs()  # when the screen was left a moment ago: not emptied yet

    async def on_screen_suspend(self) -> None:
        if self not in self.app.screen_stack and self.app.is_screen_installed(self):
            await self._empty_tabs()  # left (not under a dialog): shown again for another alert

    async def _empty_tabs(self) -> None:
        """Remove what the tabs filled for the last alert hold. A screen shown again restyles
        every widget it holds, hidden ones too: the last alert's raw tree and lists took a
        third of the next opening. Emptied as the screen is left, they cost nothing then."""
        filled = [self.query_one(f"#{pane_id}", TabPane) for pane_id in sorted(self._filled)]
        self._filled.clear()  # what they hold is the last alert's
        for pane in filled:
            await pane.remove_children()

    @on(TabbedContent.TabActivated)
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        pane, pane_id = event.pane, event.pane.id or ""
        if pane_id != "tab-overview" and pane_id not in self._filled and self.alert:
            self._filled.add(pane_id)
            await self._fill(pane, pane_id)
        self._focus_content(pane)

    def _focus_content(self, pane: TabPane) -> None:
        """Focus the shown tab's content (focus left hidden would drag the tabs back)."""
        for widget in [*pane.query("#checklist"), *pane.query("*")]:
            if widget.focusable:
                widget.focus(scroll_visible=False)
                return

    async def _fill(self, pane: TabPane, pane_id: str) -> None:
        """Fill a tab for the alert shown. The alert it was asked for is read once: should the
        screen show another alert while this waits on its widgets (an analyst quick on the
        keys), it stops, and the tab is filled for that alert when it is shown."""
        alert, events = self.alert, self._events
        await pane.remove_children()  # what a fill cut short by another alert left
        if self.alert is not alert:
            return
        if pane_id == "tab-raw":
            tree = RawTree(alert, id="raw")
            await pane.mount(tree)
            if self.alert is alert:
                raw = queries.alert_raw(self.backend.ws, alert)
                tree.load(raw if raw is not None else {})
        elif pane_id == "tab-related":
            hint = Static(Text("Same host, user or rule within 24 hours; enter opens one.", style="dim"))
            await pane.mount(hint, OptionList(id="related"))
            if self.alert is alert:
                self._related(alert)
        elif pane_id == "tab-timeline":
            await pane.mount(VerticalScroll(Static(render.timeline(events), id="timeline")))

    # -- reading ---------------------------------------------------------------------

    def reload(self) -> None:
        try:
            alert = queries.get_alert(self.backend.ws, self.alert_id)
        except NotFound:
            self.notify(f"alert {self.alert_id} does not exist", severity="error")
            return
        self.alert = alert
        self.seq = alert["last_seq"]
        events = self._events = list(self.backend.ws.events(ref=f"alert:{self.alert_id}"))
        title = Text.assemble((f"Alert {alert['id']} ", "bold"), render.severity_text(alert["severity"]), " ")
        title.append(alert["status"], style=render.STATUS_STYLES.get(alert["status"], ""))
        title.append("  ")
        title.append_text(render.safe(alert["title"], "bold", limit=200))
        self.query_one("#alert-title", Static).update(title)
        self.query_one("#alert-fields", Static).update(self._fields(alert))
        self._checklist(alert)
        self.query_one("#alert-notes", Static).update(render.notes(events, NOTES_SHOWN))
        # A tab being filled has no content yet: it reads the alert once mounted.
        if "tab-timeline" in self._filled and self.query("#timeline"):
            self.query_one("#timeline", Static).update(render.timeline(events))
        if "tab-related" in self._filled and self.query("#related"):
            self._related(alert)

    def _fields(self, alert: dict[str, Any]) -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        now = self.backend.clock()
        for label, key in FIELDS:
            value = alert.get(key)
            if isinstance(value, list):
                value = ", ".join(value)
            if key == "severity":
                shown = render.severity_text(str(value))
            elif key in ("fired_at", "ingested_at") and value:  # and how long ago: AGE counts from either
                shown = render.safe(f"{render.when(value)} ({render.age(value, now)} ago)")
            elif key.endswith("_at"):
                shown = render.safe(render.when(value) if value else None)
            else:
                shown = render.safe(value, limit=500)
            table.add_row(Text(label), shown)
        duplicates = queries.duplicates_of(self.backend.ws, alert["id"])
        if duplicates:
            table.add_row(Text("duplicates"), Text(", ".join(f"#{i}" for i in duplicates)))
        state = AlertState.fold(self._events)  # the acknowledge target is met by the first close too
        for label, due, done in (
            ("ack target", alert.get("ack_due"), state.responded_at if state else alert["acknowledged_at"]),
            ("close target", alert.get("close_due"), alert["closed_at"]),
        ):
            if not due:
                continue
            if done:
                met = done <= due
                table.add_row(
                    Text(label), Text("met" if met else "missed", style="green" if met else "bold red")
                )
            else:
                text, style = render.due(due, now)
                table.add_row(Text(label), Text(f"{text} (due {render.when(due)})", style=style))
        return table

    def _checklist(self, alert: dict[str, Any]) -> None:
        pb = self.backend.playbooks.get(alert["playbook_id"]) if alert["playbook_id"] else None
        header = Text("Playbook: ", style="bold")
        if alert["playbook_id"]:
            header.append(f"{alert['playbook_id']} v{alert['playbook_version']}")
            if pb is not None:
                header.append(f" — {pb.title}", style="dim")
        else:
            header.append("none", style="dim")
        self.query_one("#alert-playbook", Static).update(header)
        checklist = self.query_one("#checklist", OptionList)
        keep = checklist.highlighted
        checklist.clear_options()
        done, required = set(alert["steps_done"]), set(alert["required_steps"])
        for step_id in alert["playbook_steps"]:
            step = pb.step(step_id) if pb is not None else None
            line = Text("[x] " if step_id in done else "[ ] ", style="green" if step_id in done else "")
            line.append(step_id, style="bold")
            if step is not None:
                line.append(f"  {step.title}")
            if step_id in required:
                line.append("  required", style="yellow")
            checklist.add_option(Option(line, id=step_id))
        if checklist.option_count:
            checklist.highlighted = min(keep or 0, checklist.option_count - 1)

    def _related(self, alert: dict[str, Any]) -> None:
        related = self.query_one("#related", OptionList)
        related.clear_options()
        options = []
        for why, row in related_alerts(self.backend.ws.conn, alert):
            line = Text(f"#{row.id:<7} ")
            line.append(f"{row.severity:<13}", style=render.SEVERITY_STYLES.get(row.severity, ""))
            line.append(f" {row.status:<12} {render.when(row.fired_at)}  ")
            line.append(f"same {why}  ", style="yellow")
            line.append_text(render.safe(row.title, limit=80))
            options.append(Option(line, id=str(row.id)))
        if not options:
            options.append(Option(Text("nothing related in the window", style="dim"), disabled=True))
        related.add_options(options)  # one refresh of the list, not one an option

    @on(OptionList.OptionSelected, "#related")
    def _open_related(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.post_message(AlertChosen(int(event.option.id)))

    @on(OptionList.OptionSelected, "#checklist")
    def _step_chosen(self, event: OptionList.OptionSelected) -> None:
        self.action_complete_step()

    # -- actions ---------------------------------------------------------------------

    def _me(self) -> list[tuple[int, int]]:
        return [(self.alert_id, self.seq)]

    def _label(self, verb: str) -> Text:
        return Text(f"{verb} alert {self.alert_id}", style="bold")

    def action_back(self) -> None:
        self.dismiss()

    def action_tab(self, tab: str) -> None:
        tabs = self.query_one("#alert-tabs", TabbedContent)
        if tabs.active == tab:
            return
        self.set_focus(None)  # the focused widget is about to be hidden; the new tab's content takes it
        tabs.active = tab

    def action_reload(self) -> None:
        self.reload()

    def action_acknowledge(self) -> None:
        self.request("acknowledged", self._me(), lambda c, i, s: c.acknowledge(i, expected_seq=s))

    def action_assign_me(self) -> None:
        me = self.backend.analyst
        self.request(f"assigned to {me}", self._me(), lambda c, i, s: c.assign(i, me, expected_seq=s))

    def action_assign_other(self) -> None:
        targets = self._me()

        def chosen(name: str | None) -> None:
            if name:
                self.request(
                    f"assigned to {name}", targets, lambda c, i, s: c.assign(i, name, expected_seq=s)
                )

        self.app.push_screen(PromptDialog(self._label("Assign"), "Analyst", placeholder="their name"), chosen)

    def action_note(self) -> None:
        targets = self._me()

        def chosen(text: str | None) -> None:
            if text:
                self.request("noted", targets, lambda c, i, s: c.note(i, text, expected_seq=s))

        self.app.push_screen(NoteDialog(self._label("Note on")), chosen)

    def action_complete_step(self) -> None:
        checklist = self.query_one("#checklist", OptionList)
        if checklist.highlighted is None:
            self.notify("This alert's playbook has no steps.", severity="warning")
            return
        step = checklist.get_option_at_index(checklist.highlighted).id or ""
        if step in self.alert.get("steps_done", []):
            self.notify(f"Step {step} is already done.", severity="warning")
            return
        targets = self._me()

        def chosen(note: str | None) -> None:
            if note is not None:
                self.request(
                    f"completed step {step} on",
                    targets,
                    lambda c, i, s: c.complete_step(i, step, note=note or None, expected_seq=s),
                )

        self.app.push_screen(
            PromptDialog(self._label(f"Complete step {step} of"), "Note (optional)", required=False), chosen
        )

    def action_severity(self) -> None:
        bulk.change_severity(self, self._me(), self.alert["severity"])

    def action_escalate(self) -> None:
        bulk.escalate(self, self._me())

    def action_close(self) -> None:
        targets = self._me()
        still_open = open_steps(self.alert["required_steps"], self.alert["steps_done"])

        def chosen(form: CloseForm | None) -> None:
            if form is None:
                return

            def close(c: Commands, i: int, s: int) -> Event:
                return c.close(
                    i,
                    form.disposition,
                    form.reason,
                    override=form.override,
                    duplicate_of=form.duplicate_of,
                    expected_seq=s,
                )

            self.request(f"closed as {form.disposition}", targets, close)

        dialog = CloseDialog(self._label("Close"), still_open, closing=(self.alert_id,))
        self.app.push_screen(dialog, chosen)

    def action_reopen(self) -> None:
        if self.alert.get("status") != "closed":
            self.notify(f"Alert {self.alert_id} is not closed: nothing to reopen.", severity="warning")
            return
        targets = self._me()

        def chosen(reason: str | None) -> None:
            if reason:
                self.request("reopened", targets, lambda c, i, s: c.reopen(i, reason, expected_seq=s))

        self.app.push_screen(PromptDialog(self._label("Reopen"), "Reason"), chosen)

    def action_pivot(self) -> None:
        pivots = overview_pivots(self.alert, queries.alert_hashes(self.backend.ws, self.alert_id))
        if not pivots:
            self.notify("This alert has no host, user, address or hash to pivot on.", severity="warning")
            return

        def chosen(query: str | None) -> None:
            if query:
                self.post_message(PivotChosen(query))

        self.app.push_screen(PivotPicker(self._label("Pivot from"), pivots), chosen)

    def action_open_incident(self) -> None:
        if self.alert.get("incident_id"):
            self.post_message(IncidentChosen(self.alert["incident_id"]))
