"""The queue: every alert in the current view, sortable, filterable, multi-select."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Select, Static

from triage import queries
from triage.commands import Commands
from triage.config import ViewConfig
from triage.domain.state import open_steps
from triage.errors import QuerySyntaxError, TriageError
from triage.queue import SORT_KEYS, Queue, QueueView
from triage.store.workspace import Event
from triage.text import printable
from triage.tui.backend import Backend
from triage.tui.messages import AlertChosen
from triage.tui.screens import bulk, views_dialog
from triage.tui.screens.base import TriageScreen
from triage.tui.screens.close_dialog import CloseDialog, CloseForm
from triage.tui.screens.groups import ORDER, GroupsScreen
from triage.tui.screens.prompt_dialog import PromptDialog
from triage.tui.screens.suppress_dialog import SuppressDialog, SuppressForm, query_for
from triage.tui.screens.view_picker import SAVE, ViewEdit, ViewPicker
from triage.tui.widgets.alert_table import COLUMNS, AlertTable
from triage.tui.widgets.counts_bar import CountsBar
from triage.tui.widgets.exercise_bar import ExerciseBar
from triage.tui.widgets.filter_bar import FilterBar
from triage.tui.widgets.footer import Footer

SORT_ORDER = [c.key for c in COLUMNS if c.key in SORT_KEYS]


class QueueScreen(TriageScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "acknowledge", "Ack", tooltip="Acknowledge (the selection or this alert)"),
        Binding("m", "assign_me", "Take", show=False, tooltip="Assign to me (the selection or this alert)"),
        Binding("A", "assign_other", "Assign…", show=False, tooltip="Assign to a named analyst"),
        Binding("d", "close_duplicate", "Dup", tooltip="Close as duplicate (the selection or this alert)"),
        Binding("c", "close", "Close…"),
        Binding("e", "escalate", "Escalate…", show=False, tooltip="Escalate (the selection or this alert)"),
        Binding(
            "r", "severity", "Severity…", show=False, tooltip="Change severity (the selection or this alert)"
        ),
        Binding("u", "suppress", "Suppress…", show=False, tooltip="A suppression rule from this alert"),
        Binding("enter", "open", "Open", show=False),
        Binding("space", "select", "Select", show=False),
        # A priority binding: the app runs it before it hands on the next key, so the keys typed
        # in one burst after "/" (a paste) reach the search box, not the table's commands.
        Binding("slash", "search", "Search", priority=True),
        Binding("f", "cycle('status')", "Status"),
        Binding("F", "cycle('severity')", "Severity filter", show=False),
        Binding("p", "cycle('playbook')", "Playbook filter", show=False),
        Binding("s", "next_sort", "Sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False),
        Binding(
            "v", "views", "Views", show=False, tooltip="Saved views: pick one, or save the current query"
        ),
        Binding("V", "save_view", "Save view", show=False, tooltip="Save the current query as a view"),
        Binding("b", "group", "Group", tooltip="Group the queue by rule (b again: host, user, ...)"),
        Binding("t", "toggle_age", "Age from", show=False, tooltip="AGE: since arrival / since fired"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.queue = Queue(backend.ws.conn, clock=backend.clock)
        self.view = QueueView(analyst=backend.analyst)
        self.query_error: QuerySyntaxError | None = None  # the search box's text, when it cannot be read

    def compose(self) -> ComposeResult:
        yield Static(
            Text.assemble(
                ("triage", "bold"),
                "  queue  ",
                (f"analyst: {printable(self.backend.analyst, single_line=True)}", "dim"),
            ),
            classes="title-bar",
        )
        if self.backend.exercise is not None:
            yield ExerciseBar(self.backend.exercise, id="exercise")
        yield FilterBar(self.queue.playbook_ids(), status=self.view.status, id="filters")
        yield CountsBar(id="counts")
        yield AlertTable(self.backend.clock, id="alerts")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.table.focus()
        self.reload()

    @property
    def table(self) -> AlertTable:
        return self.query_one("#alerts", AlertTable)

    # -- reading ---------------------------------------------------------------------

    def reload(self, *, new_view: bool = False) -> None:
        """Show the view again; the cursor stays on the same alert when it is still there.

        After new rows arrive the alert is looked for around where it was (then everywhere);
        after a new filter or sort only on the first page, else the cursor goes to the top."""
        table = self.table
        keep = table.current_row()
        count = self.queue.count(self.view)
        cursor = None
        if keep is not None:
            near = 0 if new_view else table.cursor
            cursor = self.queue.position(self.view, keep.id, near=near, radius=100, exhaustive=not new_view)
            if cursor is None and new_view:
                cursor = 0
        view = self.view
        table.show(
            lambda offset, limit: self.queue.page(view, offset, limit),
            count,
            cursor=cursor,
            sort=view.sort,
            descending=view.descending,
        )
        self._show_counts()

    def _show_counts(self) -> None:
        if self.query_error is not None:
            self.query_one("#counts", CountsBar).show_error(str(self.query_error))
            return
        self.query_one("#counts", CountsBar).show(
            self.queue.status_counts(self.view),
            self.view.status,
            self.table.count,
            len(self.table.selected),
            self.view.sort,
            self.view.descending,
        )

    def set_view(self, view: QueueView) -> None:
        self.view = view
        self.reload(new_view=True)

    @on(FilterBar.Changed)
    def _filters(self, event: FilterBar.Changed) -> None:
        view = self.view.with_(status=event.status, severity=event.severity, playbook=event.playbook)
        try:
            view = view.with_(text=event.text)
        except QuerySyntaxError as exc:  # the other filters apply; the query stays as it was
            self.query_error = exc
        else:
            self.query_error = None
        self.query_one("#filter-text", Input).set_class(self.query_error is not None, "-invalid")
        self.set_view(view)

    @on(FilterBar.Done)
    def _search_done(self, event: FilterBar.Done) -> None:
        if event.applied and self.query_error is not None:
            self.notify(printable(str(self.query_error)), title="Query", severity="error", markup=False)
            return  # stay in the search box to fix it
        self.table.focus()

    @on(AlertTable.HeaderClicked)
    def _header(self, event: AlertTable.HeaderClicked) -> None:
        self.set_view(self.view.sorted_by(event.column))

    @on(AlertTable.Chosen)
    def _chosen(self, event: AlertTable.Chosen) -> None:
        self.post_message(AlertChosen(event.row.id))

    @on(AlertTable.SelectionChanged)
    def _selection(self) -> None:
        self._show_counts()

    # -- actions ---------------------------------------------------------------------

    def action_open(self) -> None:
        self.table.action_choose()

    def action_select(self) -> None:
        self.table.action_toggle_select()

    def action_search(self) -> None:
        """Focus the search box now (``Widget.focus`` waits for the app's next turn, and the
        keys already queued would go to the table); a "/" typed in a text box is text."""
        if isinstance(self.focused, Input):
            raise SkipAction
        self.set_focus(self.query_one("#filter-text", Input))

    def action_cycle(self, which: str) -> None:
        self.query_one("#filters", FilterBar).cycle(which)

    def action_next_sort(self) -> None:
        current = "age" if self.view.sort == "fired" else self.view.sort
        index = SORT_ORDER.index(current) if current in SORT_ORDER else -1
        self.set_view(self.view.sorted_by(self.table.sort_key(SORT_ORDER[(index + 1) % len(SORT_ORDER)])))

    def action_reverse_sort(self) -> None:
        self.set_view(self.view.sorted_by(self.view.sort))

    def action_reload(self) -> None:
        self.reload()

    def action_group(self) -> None:
        self.app.push_screen(GroupsScreen(self.backend, self.view, ORDER[0]))

    # -- saved views -----------------------------------------------------------------

    def action_views(self) -> None:
        views, problem = [], None
        if self.backend.views is None:
            problem = "This app has no config file to keep views in."
        else:
            try:
                views = self.backend.views.load()
            except TriageError as exc:
                problem = str(exc)

        def chosen(choice: ViewConfig | str | ViewEdit | None) -> None:
            if choice == SAVE:
                self.action_save_view()
            elif isinstance(choice, ViewConfig):
                self.apply_view(choice)
            elif isinstance(choice, ViewEdit):
                views_dialog.edit_view(self, self.backend.views, choice)

        self.app.push_screen(ViewPicker(views, current=self.view.text, problem=problem), chosen)

    def apply_view(self, view: ViewConfig) -> None:
        """The view's query in the search box and its sort (the status view and filters stay)."""
        sort, descending = view.order
        self.query_one("#filter-text", Input).value = view.query
        self.query_error = None
        self.set_view(self.view.with_(text=view.query, sort=sort, descending=descending))
        self.notify(f"View {printable(view.name, single_line=True)}", title="Views", markup=False)

    def pivot(self, query: str) -> None:
        """Every alert the query finds (a pivot from an alert's value): all statuses, no filters."""
        filters = self.query_one("#filters", FilterBar)
        filters.query_one("#filter-status", Select).value = "all"
        filters.query_one("#filter-severity", Select).clear()
        filters.query_one("#filter-playbook", Select).clear()
        self.query_one("#filter-text", Input).value = query
        self.query_error = None
        self.set_view(self.view.with_(status="all", severity=None, playbook=None, text=query))
        self.table.focus()

    def action_save_view(self) -> None:
        saved = self.backend.views
        if saved is None:
            self.notify("This app has no config file to keep views in.", severity="warning")
            return
        sort = f"{self.view.sort} {'desc' if self.view.descending else 'asc'}"

        def named(name: str | None) -> None:
            if not name:
                return
            try:
                saved.save(ViewConfig(name=name, query=self.view.text, sort=sort))
            except (TriageError, ValueError) as exc:  # ValueError: a name pydantic refuses
                self.notify(printable(str(exc)), title="View not saved", severity="error", markup=False)
                return
            where = printable(str(saved.path), single_line=True)
            self.notify(
                f"Saved view {printable(name, single_line=True)} in {where}", title="Views", markup=False
            )

        query = printable(self.view.text, single_line=True) or "(no query)"
        title = Text.assemble(("Save the view: ", "bold"), query, f"  sort: {sort}")
        self.app.push_screen(PromptDialog(title, "Name", placeholder="e.g. night-shift"), named)

    def action_toggle_age(self) -> None:
        """AGE counts from arrival or from when the alert fired; a sort by age follows it."""
        self.table.toggle_age()
        if self.view.sort in ("age", "fired"):
            self.set_view(self.view.with_(sort="fired" if self.table.age_from_fired else "age"))

    def _done_with_selection(self) -> list[tuple[int, int]]:
        targets = self.table.targets()
        self.table.action_clear_selection()
        return targets

    def action_acknowledge(self) -> None:
        self.request(
            "acknowledged",
            self._done_with_selection(),
            lambda c, alert_id, seq: c.acknowledge(alert_id, expected_seq=seq),
        )

    def action_assign_me(self) -> None:
        me = self.backend.analyst
        self.request(
            f"assigned to {me}",
            self._done_with_selection(),
            lambda c, alert_id, seq: c.assign(alert_id, me, expected_seq=seq),
        )

    def action_severity(self) -> None:
        targets = self.table.targets()
        one = queries.get_alert(self.backend.ws, targets[0][0])["severity"] if len(targets) == 1 else ""
        bulk.change_severity(self, targets, one, self.table.action_clear_selection)

    def action_escalate(self) -> None:
        bulk.escalate(self, self.table.targets(), self.table.action_clear_selection)

    def action_assign_other(self) -> None:
        targets = self.table.targets()
        if not targets:
            return

        def chosen(name: str | None) -> None:
            if name:
                self.table.action_clear_selection()
                self.request(
                    f"assigned to {name}",
                    targets,
                    lambda c, alert_id, seq: c.assign(alert_id, name, expected_seq=seq),
                )

        self.app.push_screen(
            PromptDialog(_title("Assign", targets), "Analyst", placeholder="their name"), chosen
        )

    def action_suppress(self) -> None:
        """A suppression rule made from the alert under the cursor (its rule and host to start with)."""
        row = self.table.current_row()
        if row is None:
            self.notify("No alert here to suppress like.", severity="warning")
            return
        alert = queries.get_alert(self.backend.ws, row.id)
        target = [(row.id, int(alert["last_seq"]))]

        def chosen(form: SuppressForm | None) -> None:
            if form is None:
                return

            def make(c: Commands, _alert_id: int, _seq: int) -> Event:
                days = self.backend.suppression_max_days
                return c.add_suppression(form.query, form.reason, form.expires, max_days=days).event

            self.request("made a suppression rule like", target, make)

        self.app.push_screen(SuppressDialog(_title("Suppress alerts like", target), query_for(alert)), chosen)

    def _open_steps(self, targets: list[tuple[int, int]]) -> list[str]:
        steps: list[str] = []
        for alert_id, _ in targets:
            row = queries.get_alert(self.backend.ws, alert_id)
            for step in open_steps(row["required_steps"], row["steps_done"]):
                if step not in steps:
                    steps.append(step)
        return steps

    def _close(self, targets: list[tuple[int, int]], disposition: str | None) -> None:
        if not targets:
            return

        def chosen(form: CloseForm | None) -> None:
            if form is None:
                return
            self.table.action_clear_selection()

            def close(c: Commands, alert_id: int, seq: int) -> Event:
                return c.close(
                    alert_id,
                    form.disposition,
                    form.reason,
                    override=form.override,
                    duplicate_of=form.duplicate_of,
                    expected_seq=seq,
                )

            self.request(f"closed as {form.disposition}", targets, close)

        dialog = CloseDialog(
            _title("Close", targets),
            self._open_steps(targets),
            disposition=disposition,
            closing=tuple(alert_id for alert_id, _ in targets),
        )
        self.app.push_screen(dialog, chosen)

    def action_close_duplicate(self) -> None:
        self._close(self.table.targets(), "duplicate")

    def action_close(self) -> None:
        self._close(self.table.targets(), None)


_title = bulk.title
