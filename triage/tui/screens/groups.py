"""The queue grouped by rule, host, user, source IP or playbook: one line per group with its
alerts, worst severity and first due target; ``enter`` expands a group into its alerts.

Acting on a group (acknowledge, assign, change severity, escalate, close as duplicates of one
of them) sends one command per alert, each with the alert's last event as it was read, the
same as a selection in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from triage import queries
from triage.commands import Commands
from triage.domain.state import open_steps
from triage.groups import GROUP_BY, Group, groups, members
from triage.queue import QueueRow, QueueView
from triage.store.workspace import Event
from triage.text import printable
from triage.tui import render
from triage.tui.backend import Backend
from triage.tui.messages import AlertChosen
from triage.tui.screens import bulk
from triage.tui.screens.base import TriageScreen
from triage.tui.screens.duplicate_dialog import DuplicateDialog, DuplicateForm
from triage.tui.screens.prompt_dialog import PromptDialog
from triage.tui.widgets.footer import Footer

ORDER = list(GROUP_BY)  # what ``b`` steps through; after the last, back to the flat queue
KEY_WIDTH = 32
MAX_GROUPS = 500  # lines of groups drawn (a query narrows the rest); the title counts them all
MAX_SHOWN = 200  # alerts drawn under an expanded group (acting on the group acts on all of them)


@dataclass
class GroupItem:
    group: Group
    rows: list[QueueRow] | None = field(default=None)  # read when expanded or acted on


@dataclass
class AlertItem:
    row: QueueRow
    group: GroupItem


Item = GroupItem | AlertItem


class GroupTree(Tree[Item]):
    """The groups, and the alerts of those expanded. Labels are ``Text``: never markup."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("groups"), id=id)
        self.show_root = False
        self.guide_depth = 2


class GroupsScreen(TriageScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "b", "next_grouping", "Group by", tooltip="Group by the next field (after playbook: ungrouped)"
        ),
        Binding("escape", "back", "Ungroup", tooltip="Back to the queue"),
        Binding("a", "acknowledge", "Ack", tooltip="Acknowledge the group's new alerts (or this alert)"),
        Binding("m", "assign_me", "Take", tooltip="Assign the group (or this alert) to me"),
        Binding(
            "A", "assign_other", "Assign…", tooltip="Assign the group (or this alert) to a named analyst"
        ),
        Binding(
            "d", "close_duplicates", "Dup…", tooltip="Close the group's alerts as duplicates of one of them"
        ),
        Binding("e", "escalate", "Escalate…", show=False, tooltip="Escalate the group's open alerts"),
        Binding(
            "r", "severity", "Severity…", show=False, tooltip="Change the severity of the group's alerts"
        ),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, backend: Backend, view: QueueView, by: str) -> None:
        super().__init__(backend)
        self.view = view
        self.by = by

    def compose(self) -> ComposeResult:
        yield Static(id="groups-title", classes="title-bar")
        yield Static(id="groups-header", classes="groups-header")
        yield GroupTree(id="groups")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.group_tree.focus()
        self.reload()

    @property
    def group_tree(self) -> GroupTree:
        return self.query_one("#groups", GroupTree)

    # -- reading ---------------------------------------------------------------------

    def reload(self) -> None:
        """Read the groups again; expanded groups stay expanded and the cursor on its line."""
        tree = self.group_tree
        expanded = {
            n.data.group.key for n in tree.root.children if isinstance(n.data, GroupItem) and n.is_expanded
        }
        at = _identity(tree.cursor_node.data if tree.cursor_node is not None else None)
        now = self.backend.clock()
        found = groups(self.backend.ws.conn, self.view, self.by, now=now)
        self.query_one("#groups-title", Static).update(self._title(found))
        self.query_one("#groups-header", Static).update(self._header())
        tree.clear()
        cursor: TreeNode[Item] | None = None
        for group in found[:MAX_GROUPS]:
            item = GroupItem(group)
            node = tree.root.add(self._group_label(group), data=item)
            if group.key in expanded:
                self._fill(node, item)
                node.expand()
            if _identity(item) == at:
                cursor = node
            for child in node.children:
                if _identity(child.data) == at:
                    cursor = child
        if len(found) > MAX_GROUPS:
            more = len(found) - MAX_GROUPS
            tree.root.add_leaf(
                Text(f"… and {more:,} more groups: narrow the view with a query (/)", style="dim")
            )
        if cursor is None and tree.root.children:
            cursor = tree.root.children[0]
        if cursor is not None:
            # On its line now, not after the next refresh: a key pressed as the groups appear
            # acts on the group it shows. The tree numbers its new lines when asked for them.
            if tree.last_line >= 0:
                tree.move_cursor(cursor)
            self.call_after_refresh(tree.move_cursor, cursor)  # and scrolled to once laid out
        elif not found:
            tree.root.add_leaf(Text("no alerts in this view", style="italic dim"))

    def _title(self, found: list[Group]) -> Text:
        total = sum(g.count for g in found)
        query = printable(self.view.text, single_line=True)
        return Text.assemble(
            ("triage", "bold"),
            f"  queue by {self.by}  ",
            (f"{len(found)} groups, {total} alerts", "bold"),
            (f"  {self.view.status}" + (f"  {query}" if query else ""), "dim"),
        )

    def _header(self) -> Text:
        return Text(f"  {self.by.upper():<{KEY_WIDTH}} {'ALERTS':>6}  {'WORST':<13} FIRST DUE", style="bold")

    def _group_label(self, g: Group) -> Text:
        key = printable(g.key, single_line=True) if g.key is not None else "(none)"
        if len(key) > KEY_WIDTH:
            key = key[: KEY_WIDTH - 1] + "…"
        due, style = render.due(g.first_due, self.backend.clock())
        return Text.assemble(
            (f"{key:<{KEY_WIDTH}}", Style(dim=g.key is None)),
            f" {g.count:>6}  ",
            render.severity_text(g.worst),
            " " * (14 - len(g.worst)),
            (due, style),
        )

    def _alert_label(self, r: QueueRow) -> Text:
        due, style = render.due(r.due, self.backend.clock())
        return Text.assemble(
            f"#{r.id:<6} ",
            render.severity_text(r.severity),
            " " * (14 - len(r.severity)),
            (f"{r.status:<13}", render.STATUS_STYLES.get(r.status, Style())),
            (f"{due:<12}", style),
            printable(r.title, single_line=True, limit=60),
        )

    def _rows(self, item: GroupItem) -> list[QueueRow]:
        if item.rows is None:
            item.rows = members(
                self.backend.ws.conn, self.view, self.by, item.group.key, now=self.backend.clock()
            )
        return item.rows

    def _fill(self, node: TreeNode[Item], item: GroupItem) -> None:
        node.remove_children()
        rows = self._rows(item)
        for r in rows[:MAX_SHOWN]:
            node.add_leaf(self._alert_label(r), data=AlertItem(r, item))
        if len(rows) > MAX_SHOWN:
            more = len(rows) - MAX_SHOWN
            node.add_leaf(Text(f"… and {more:,} more alerts (acting on the group acts on all)", style="dim"))

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[Item]) -> None:
        if isinstance(event.node.data, GroupItem) and not event.node.children:
            self._fill(event.node, event.node.data)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[Item]) -> None:
        if isinstance(event.node.data, AlertItem):
            self.post_message(AlertChosen(event.node.data.row.id))

    # -- actions ---------------------------------------------------------------------

    def _current(self) -> tuple[GroupItem | None, list[QueueRow]]:
        node = self.group_tree.cursor_node
        item = node.data if node is not None else None
        if isinstance(item, AlertItem):
            return item.group, [item.row]
        if isinstance(item, GroupItem):
            return item, self._rows(item)
        return None, []

    def action_next_grouping(self) -> None:
        index = ORDER.index(self.by)
        if index + 1 >= len(ORDER):
            self.dismiss()
            return
        self.by = ORDER[index + 1]
        self.group_tree.clear()
        self.reload()

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self.reload()

    def action_acknowledge(self) -> None:
        _, rows = self._current()
        new = [(r.id, r.last_seq) for r in rows if r.status == "new"]
        if rows and not new:
            self.notify("Nothing to acknowledge here: no new alerts.", severity="warning")
            return
        self.request("acknowledged", new, lambda c, alert_id, seq: c.acknowledge(alert_id, expected_seq=seq))

    def _assign(self, name: str, rows: list[QueueRow]) -> None:
        targets = [(r.id, r.last_seq) for r in rows]
        self.request(
            f"assigned to {name}",
            targets,
            lambda c, alert_id, seq: c.assign(alert_id, name, expected_seq=seq),
        )

    def action_assign_me(self) -> None:
        self._assign(self.backend.analyst, self._current()[1])

    def action_assign_other(self) -> None:
        _, rows = self._current()
        if not rows:
            return

        def chosen(name: str | None) -> None:
            if name:
                self._assign(name, rows)

        title = Text(f"Assign {len(rows)} alert{'s' if len(rows) > 1 else ''}", style="bold")
        self.app.push_screen(PromptDialog(title, "Analyst", placeholder="their name"), chosen)

    def action_severity(self) -> None:
        _, rows = self._current()
        bulk.change_severity(
            self, [(r.id, r.last_seq) for r in rows], rows[0].severity if len(rows) == 1 else ""
        )

    def action_escalate(self) -> None:
        _, rows = self._current()
        still_open = [(r.id, r.last_seq) for r in rows if r.status != "closed"]
        if rows and not still_open:
            self.notify("Nothing to escalate here: every alert is closed.", severity="warning")
            return
        bulk.escalate(self, still_open)

    def action_close_duplicates(self) -> None:
        node = self.group_tree.cursor_node
        item = node.data if node is not None else None
        group = item.group if isinstance(item, AlertItem) else item
        if not isinstance(group, GroupItem):
            return
        rows = [r for r in self._rows(group) if r.status != "closed"]
        if len(rows) < 2:
            self.notify(
                "A group needs two open alerts to close one as the other's duplicate.", severity="warning"
            )
            return
        steps: list[str] = []
        for r in rows:
            alert = queries.get_alert(self.backend.ws, r.id)
            steps.extend(
                s for s in open_steps(alert["required_steps"], alert["steps_done"]) if s not in steps
            )

        def chosen(form: DuplicateForm | None) -> None:
            if form is None:
                return
            targets = [(r.id, r.last_seq) for r in rows if r.id != form.original]

            def close(c: Commands, alert_id: int, seq: int) -> Event:
                return c.close(alert_id, "duplicate", form.reason, override=form.override, expected_seq=seq)

            self.request(f"closed as duplicates of alert {form.original}", targets, close)

        original = item.row.id if isinstance(item, AlertItem) else None
        key = printable(group.group.key, single_line=True) if group.group.key is not None else "(none)"
        title = Text(
            f"Close {len(rows) - 1} of {len(rows)} alerts of {self.by} {key} as duplicates", style="bold"
        )
        self.app.push_screen(DuplicateDialog(title, rows, steps, original=original), chosen)


def _identity(item: Item | None) -> tuple[str, object] | None:
    """What a line is about, to find it again after a reload."""
    if isinstance(item, GroupItem):
        return ("group", item.group.key)
    if isinstance(item, AlertItem):
        return ("alert", item.row.id)
    return None
