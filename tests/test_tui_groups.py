"""The grouped queue: groups with their counts, expanded into alerts, and acted on as a whole
(one event per alert, through the command layer)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui.screens.duplicate_dialog import DuplicateDialog
from triage.tui.screens.groups import AlertItem, GroupItem, GroupsScreen, GroupTree
from triage.tui.screens.prompt_dialog import PromptDialog
from triage.tui.screens.queue import QueueScreen

from .tui_helpers import alert_events, last_action, make_app, screen_text, settle, type_text

pytestmark = pytest.mark.asyncio

# tests/tui_helpers.build_workspace: alert i+1 has rule i % 4 and severity i % 5, plus one hostile
PORT_SCAN = [4, 8, 12]  # low, medium, high
IAM = [3, 7, 11]  # medium, high, critical


def tree_of(app: object) -> GroupTree:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, GroupsScreen)
    return screen.query_one("#groups", GroupTree)


async def to_group(pilot: object, tree: GroupTree, key: str) -> None:
    """Put the cursor on the group ``key``."""
    for index, node in enumerate(tree.root.children):
        if isinstance(node.data, GroupItem) and node.data.group.key == key:
            tree.move_cursor(node)
            await pilot.pause()  # type: ignore[attr-defined]
            assert tree.cursor_line == index
            return
    raise AssertionError(f"no group {key!r}")


async def test_b_groups_the_queue_and_enter_expands_a_group(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        queue = app.screen
        await pilot.press("b")
        await settle(pilot)
        tree = tree_of(app)
        found = {n.data.group.key: n.data.group for n in tree.root.children if isinstance(n.data, GroupItem)}
        assert set(found) == {
            "SSH Brute Force",
            "Malware Detected",
            "IAM Access Key Created",
            "Port Scan",
            "[bold red]x[/]",
        }
        assert (found["Port Scan"].count, found["Port Scan"].worst) == (3, "high")
        assert (found["IAM Access Key Created"].count, found["IAM Access Key Created"].worst) == (
            3,
            "critical",
        )
        text = screen_text(app)
        assert "queue by rule  5 groups, 13 alerts" in text
        assert "[bold red]x[/]" in text  # the hostile rule name, shown literally
        await to_group(pilot, tree, "Port Scan")
        await pilot.press("enter")
        await settle(pilot)
        node = tree.cursor_node
        assert node is not None and node.is_expanded
        assert [c.data.row.id for c in node.children if isinstance(c.data, AlertItem)] == [
            12,
            8,
            4,
        ]  # worst first
        await pilot.press("down", "enter")  # an alert of the group: its detail
        await settle(pilot)
        assert type(app.screen).__name__ == "AlertDetailScreen"
        await pilot.press("escape")
        await settle(pilot)
        back = tree_of(app).cursor_node  # the screen read again: still on that alert, group expanded
        assert back is not None and isinstance(back.data, AlertItem) and back.data.row.id == 12
        await pilot.press("b")  # by host
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen) and app.screen.by == "host"
        await pilot.press("b", "b", "b")  # user, src_ip, playbook
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen) and app.screen.by == "playbook"
        await pilot.press("b")  # back to the flat queue
        await settle(pilot)
        assert app.screen is queue and isinstance(queue, QueueScreen)


async def test_acknowledging_and_assigning_a_group_logs_one_event_per_alert(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        tree = tree_of(app)
        await to_group(pilot, tree, "Port Scan")
        before = {i: len(alert_events(tui_ws, i)) for i in range(1, 14)}
        await pilot.press("a")
        await settle(pilot)
        for alert_id in PORT_SCAN:
            event = last_action(tui_ws, alert_id)
            assert event.action == "alert.acknowledged" and event.actor == "alice"
            assert len(alert_events(tui_ws, alert_id)) == before[alert_id] + 1
        assert all(len(alert_events(tui_ws, i)) == before[i] for i in before if i not in PORT_SCAN)
        await to_group(pilot, tree_of(app), "Port Scan")  # the cursor stays on its group after the reload
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        await type_text(pilot, "carol")
        await pilot.press("enter")
        await settle(pilot)
        for alert_id in PORT_SCAN:
            event = last_action(tui_ws, alert_id)
            assert event.action == "alert.assigned" and event.payload["assignee"] == "carol"
        assert all(len(alert_events(tui_ws, i)) == before[i] for i in before if i not in PORT_SCAN)
        await to_group(pilot, tree_of(app), "Port Scan")
        await pilot.press("a")  # all acknowledged already: nothing is written
        await settle(pilot)
        assert all(last_action(tui_ws, i).action == "alert.assigned" for i in PORT_SCAN)


async def test_closing_a_group_as_duplicates_of_a_chosen_alert(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        tree = tree_of(app)
        await to_group(pilot, tree, "IAM Access Key Created")
        await pilot.press("enter", "down", "down")  # expanded; the cursor on its second alert (#7)
        await settle(pilot)
        node = tree.cursor_node
        assert node is not None and isinstance(node.data, AlertItem) and node.data.row.id == 7
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DuplicateDialog)
        assert dialog.query_one("#duplicate-original", Select).value == 7  # the alert under the cursor
        dialog.query_one("#duplicate-reason", Input).value = "one leaked key, one ticket"
        dialog.query_one("#duplicate-override", Input).value = "handled on alert 7"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        for alert_id in (3, 11):
            event = last_action(tui_ws, alert_id)
            assert event.action == "alert.closed"
            assert event.payload["disposition"] == "duplicate"
            assert event.payload["reason"] == "duplicate of alert 7: one leaked key, one ticket"
            assert event.payload["override"]["justification"] == "handled on alert 7"
        assert last_action(tui_ws, 7).action == "alert.ingested"  # kept open, untouched
        found = {
            n.data.group.key: n.data.group
            for n in tree_of(app).root.children
            if isinstance(n.data, GroupItem)
        }
        assert found["IAM Access Key Created"].count == 1  # the open queue: only the original is left


async def test_long_lists_are_cut_but_acting_on_a_group_acts_on_all_of_it(
    tui_ws: Workspace, playbooks: PlaybookSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triage.tui.screens import groups as screen_module

    monkeypatch.setattr(screen_module, "MAX_GROUPS", 4)
    monkeypatch.setattr(screen_module, "MAX_SHOWN", 1)
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        tree = tree_of(app)
        assert len([n for n in tree.root.children if isinstance(n.data, GroupItem)]) == 4
        assert "and 1 more groups" in screen_text(app)
        assert "queue by rule  5 groups, 13 alerts" in screen_text(app)
        await to_group(pilot, tree, "IAM Access Key Created")
        await pilot.press("enter")
        await settle(pilot)
        assert "and 2 more alerts" in screen_text(app)
        await pilot.press("a")
        await settle(pilot)
        assert all(last_action(tui_ws, i).action == "alert.acknowledged" for i in IAM)


async def test_at_80x24_the_duplicate_dialog_scrolls_to_its_ok_button(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    from textual.widgets import Button

    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        await to_group(pilot, tree_of(app), "Port Scan")
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DuplicateDialog)
        dialog.query_one("#duplicate-override", Input).value = "one scan"
        for _ in range(6):
            if isinstance(app.focused, Button) and app.focused.id == "ok":
                break
            await pilot.press("tab")
        assert isinstance(app.focused, Button) and app.focused.id == "ok"
        assert "OK" in screen_text(app)  # scrolled into view at 24 lines
        await pilot.press("enter")
        await settle(pilot)
        closed = [i for i in PORT_SCAN if last_action(tui_ws, i).action == "alert.closed"]
        assert sorted(closed) == [4, 8]  # 12 fired first (alert n fired 7(n-1) minutes before T0): kept
        assert last_action(tui_ws, 8).payload["reason"] == "duplicate of alert 12"
        assert last_action(tui_ws, 12).action == "alert.ingested"


async def test_the_cursor_is_on_its_group_as_soon_as_the_groups_are_read_again(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    """A key pressed as the groups appear acts on the group under the cursor: the reload puts the
    cursor on the group's new line itself, not after the next refresh."""
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GroupsScreen)
        await to_group(pilot, tree_of(app), "Port Scan")
        screen.reload()  # no pause after it: nothing has been refreshed yet
        node = tree_of(app).cursor_node
        assert node is not None and node in tree_of(app).root.children
        assert isinstance(node.data, GroupItem) and node.data.group.key == "Port Scan"
        await pilot.press("m")  # at once: the group's three alerts are taken
        await settle(pilot)
        assert all(last_action(tui_ws, i).action == "alert.assigned" for i in PORT_SCAN)
