"""Every action of the terminal app, driven by keys and mouse, leaves its event in the log."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, TextArea

from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui.screens.alert_detail import AlertDetailScreen
from triage.tui.screens.close_dialog import CloseDialog
from triage.tui.screens.help import HelpScreen
from triage.tui.screens.incident_detail import IncidentDetailScreen
from triage.tui.screens.incidents import IncidentsScreen
from triage.tui.screens.queue import QueueScreen
from triage.tui.widgets.alert_table import AlertTable

from .tui_helpers import alert_events, last_action, make_app, screen_text, settle, type_text, wait_until

pytestmark = pytest.mark.asyncio


def table_of(app: object) -> AlertTable:
    return app.screen.query_one("#alerts", AlertTable)  # type: ignore[attr-defined, no-any-return]


async def test_acknowledge_from_the_queue(tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("down")
        row = table_of(app).current_row()
        assert row is not None and row.status == "new"
        await pilot.press("a")
        await settle(pilot)
        event = last_action(tui_ws, row.id)
        assert (event.action, event.actor) == ("alert.acknowledged", "alice")
        assert event.payload == {"assignee": "alice"}
        shown = table_of(app).current_row()
        assert shown is not None and shown.id == row.id and shown.status == "acknowledged"


async def test_bulk_acknowledge_assign_and_close_as_duplicate(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        table = table_of(app)
        await pilot.press("space", "space", "space")  # selects three rows, moving down
        picked = sorted(table.selected)
        assert len(picked) == 3
        await pilot.press("a")
        await settle(pilot)
        assert all(last_action(tui_ws, i).action == "alert.acknowledged" for i in picked)
        assert not table.selected  # a bulk action clears the selection

        for _ in range(3):
            await pilot.press("up")
        await pilot.press("space", "space", "space", "A")
        await pilot.pause()
        await type_text(pilot, "bob")
        await pilot.press("enter")
        await settle(pilot)
        for i in picked:
            event = last_action(tui_ws, i)
            assert (event.action, event.payload["assignee"]) == ("alert.assigned", "bob")

        for _ in range(3):
            await pilot.press("up")
        await pilot.press("space", "space", "space", "d")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CloseDialog)
        assert dialog.query_one("#close-disposition", Select).value == "duplicate"
        await pilot.press("enter")  # nothing typed yet: refused inside the dialog
        await pilot.pause()
        assert isinstance(app.screen, CloseDialog)
        dialog.query_one("#close-reason", Input).focus()
        await type_text(pilot, "same scan as 4")
        assert not dialog.query_one("#close-override", Input).display  # a duplicate needs no override
        await pilot.press("ctrl+s")  # the original is not named yet: refused inside the dialog
        await pilot.pause()
        assert isinstance(app.screen, CloseDialog)
        dialog.query_one("#close-of", Input).focus()
        await type_text(pilot, picked[0:1] and str(picked[0]))
        await pilot.press("ctrl+s")  # one of the alerts being closed: refused too
        await pilot.pause()
        assert isinstance(app.screen, CloseDialog)
        dialog.query_one("#close-of", Input).value = ""
        await type_text(pilot, "#4")
        await pilot.press("ctrl+s")
        await settle(pilot)
        for i in picked:
            event = last_action(tui_ws, i)
            assert event.action == "alert.closed"
            assert event.payload["disposition"] == "duplicate"
            assert event.payload["reason"] == "same scan as 4"
            assert event.payload["duplicate_of"] == 4 and event.payload["override"] is None
        assert all(r.id not in picked for r in table._window)  # closed alerts leave the open view


async def test_take_from_the_queue_and_conflict_on_a_stale_row(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        row = table_of(app).current_row()
        assert row is not None
        # Another analyst acts on the same alert after we loaded the queue.
        Commands(tui_ws, playbooks, "bob").assign(row.id, "bob")
        before = len(alert_events(tui_ws, row.id))
        await pilot.press("m")
        await settle(pilot)
        assert len(alert_events(tui_ws, row.id)) == before  # nothing written over bob's change
        assert any("Conflict" in (n.title or "") for n in app._notifications)
        fresh = table_of(app).current_row()
        assert fresh is not None and fresh.id == row.id and fresh.assignee == "bob"  # reloaded
        await pilot.press("m")
        await settle(pilot)
        assert last_action(tui_ws, row.id).payload == {"assignee": "alice", "previous": "bob"}


async def open_detail(pilot: object, app: object, down: int = 1) -> AlertDetailScreen:
    for _ in range(down):
        await pilot.press("down")  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, AlertDetailScreen)
    return screen


async def test_detail_actions_each_leave_their_event(tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await open_detail(pilot, app)
        alert_id = detail.alert_id

        await pilot.press("a")
        await settle(pilot)
        assert last_action(tui_ws, alert_id).action == "alert.acknowledged"

        await pilot.press("A")
        await type_text(pilot, "carol")
        await pilot.press("enter")
        await settle(pilot)
        assert last_action(tui_ws, alert_id).payload["assignee"] == "carol"

        await pilot.press("m")
        await settle(pilot)
        assert last_action(tui_ws, alert_id).payload == {"assignee": "alice", "previous": "carol"}

        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen.query_one("#note-text", TextArea), TextArea)
        await type_text(pilot, "first line\nsecond line")
        await pilot.press("ctrl+s")
        await settle(pilot)
        event = last_action(tui_ws, alert_id)
        assert (event.action, event.payload["text"]) == ("alert.noted", "first line\nsecond line")
        assert "second line" in screen_text(app)

        first_step = detail.alert["playbook_steps"][0]
        await pilot.press("x")
        await type_text(pilot, "checked the DC logs")
        await pilot.press("enter")
        await settle(pilot)
        event = last_action(tui_ws, alert_id)
        assert event.action == "alert.step_completed"
        assert event.payload["step"] == first_step and event.payload["note"] == "checked the DC logs"
        assert "[x] " + first_step in screen_text(app)

        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one("#severity-value", Select).value = "low"
        app.screen.query_one("#severity-reason", Input).focus()
        await type_text(pilot, "lab host")
        await pilot.press("enter")
        await settle(pilot)
        event = last_action(tui_ws, alert_id)
        assert event.action == "alert.severity_changed" and event.payload["to"] == "low"

        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+s")  # a new incident titled after the alert
        await settle(pilot)
        event = last_action(tui_ws, alert_id)
        assert event.action == "alert.escalated" and event.payload["new_incident"]["owner"] == "alice"
        incident = event.payload["incident"]

        await pilot.press("c")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CloseDialog) and dialog.open_steps  # required steps still open
        dialog.query_one("#close-disposition", Select).value = "true_positive"
        dialog.query_one("#close-reason", Input).focus()
        await type_text(pilot, "confirmed")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # no override justification: the dialog refuses
        assert last_action(tui_ws, alert_id).action == "alert.escalated"
        dialog.query_one("#close-override", Input).focus()
        await type_text(pilot, "handled in the incident")
        await pilot.press("ctrl+s")
        await settle(pilot)
        event = last_action(tui_ws, alert_id)
        assert event.action == "alert.closed" and event.payload["disposition"] == "true_positive"
        assert event.payload["override"]["justification"] == "handled in the incident"
        assert first_step not in event.payload["override"]["open_steps"]

        await pilot.press("o")
        await type_text(pilot, "new evidence")
        await pilot.press("enter")
        await settle(pilot)
        event = last_action(tui_ws, alert_id)
        assert (event.action, event.payload["reason"]) == ("alert.reopened", "new evidence")

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("down", "enter")
        await pilot.pause()
        other = app.screen
        assert isinstance(other, AlertDetailScreen) and other.alert_id != alert_id
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#escalate-incident", Select).value = incident
        await pilot.press("ctrl+s")
        await settle(pilot)
        event = last_action(tui_ws, other.alert_id)
        assert event.action == "alert.escalated" and event.payload == {"incident": incident, "previous": None}


async def test_a_refused_command_is_shown_and_writes_nothing(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await open_detail(pilot, app)
        before = len(alert_events(tui_ws, detail.alert_id))
        await pilot.press("o")  # reopen an alert that is not closed: refused at once, no dialog
        await settle(pilot)
        assert app.screen is detail
        assert len(alert_events(tui_ws, detail.alert_id)) == before
        assert any("not closed" in n.message for n in app._notifications)


async def test_incidents_list_detail_and_actions(tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    cmds = Commands(tui_ws, playbooks, "bob")
    cmds.escalate(2, title="Credential stuffing on SSO")
    cmds.link(3, 1)
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, IncidentsScreen)
        assert "Credential stuffing on SSO" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, IncidentDetailScreen) and screen.incident_id == 1
        text = screen_text(app)
        assert "#2" in text and "#3" in text and "escalated to incident 1" in text
        await pilot.press("m")
        await settle(pilot)
        events = list(tui_ws.events(ref="incident:1"))
        assert events[-1].action == "incident.updated" and events[-1].payload["changes"] == {"owner": "alice"}
        await pilot.press("c")
        await type_text(pilot, "contained")
        await pilot.press("enter")
        await settle(pilot)
        event = list(tui_ws.events(ref="incident:1"))[-1]
        assert event.payload == {"changes": {"status": "closed"}, "reason": "contained"}
        await pilot.press("o")
        await type_text(pilot, "it came back")
        await pilot.press("enter")
        await settle(pilot)
        event = list(tui_ws.events(ref="incident:1"))[-1]
        assert event.payload == {"changes": {"status": "open"}, "reason": "it came back"}
        assert event.actor == "alice"
        await pilot.press("enter")  # the highlighted alert opens
        await pilot.pause()
        assert isinstance(app.screen, AlertDetailScreen) and app.screen.alert_id in (2, 3)


async def test_filters_sort_and_search(tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = table_of(app)
        assert table.count == 13
        await pilot.press("F")  # severity filter: critical
        await pilot.pause()
        assert screen.view.severity == "critical" and table.count == 4
        await pilot.press("F", "F", "F", "F", "F")  # back round to any severity
        await pilot.pause()
        assert screen.view.severity is None and table.count == 13
        await pilot.press("slash")
        await type_text(pilot, "host:web-01")
        await pilot.press("enter")
        await pilot.pause()
        assert table.count == 4 and all(r.host == "web-01" for r in table._window)
        screen.query_one("#filter-text", Input).value = ""  # typing waits for a pause, then applies
        table.focus()
        await wait_until(pilot, lambda: table.count == 13)  # however slow the machine is
        await pilot.press("f")  # status: mine
        await pilot.pause()
        assert screen.view.status == "mine" and table.count == 0
        assert "no alerts in this view" in screen_text(app)
        await pilot.press("f", "f", "f", "f", "f", "f")  # round to open again
        await pilot.pause()
        assert screen.view.status == "open"
        await pilot.press("p")
        await pilot.pause()
        assert screen.view.playbook is not None
        assert all(r.playbook_id == screen.view.playbook for r in table._window)
        await pilot.press("p")
        await pilot.pause()
        assert screen.view.playbook is not None  # the next playbook
        table.focus()
        await pilot.press("s")  # next sort column after severity: status
        await pilot.pause()
        assert screen.view.sort == "status"
        # a click on a column title sorts by it; again reverses
        await pilot.click("#alerts", offset=(75, 0))
        await pilot.pause()
        assert screen.view.sort in ("title", "host")
        first = screen.view.sort, screen.view.descending
        await pilot.click("#alerts", offset=(75, 0))
        await pilot.pause()
        assert (screen.view.sort, screen.view.descending) == (first[0], not first[1])


async def test_mouse_double_click_opens_and_help_lists_keys(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        table = table_of(app)
        await pilot.click("#alerts", offset=(10, 3))
        await pilot.pause()
        assert table.cursor == 2
        wanted = table.current_row()
        await pilot.double_click("#alerts", offset=(10, 3))
        await pilot.pause()
        assert isinstance(app.screen, AlertDetailScreen) and wanted and app.screen.alert_id == wanted.id
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for words in ("Step done", "Escalate", "Close", "Reopen", "Severity", "Note"):
            assert words in text, words
        await pilot.press("end")  # the mouse's come last
        await pilot.pause()
        assert "double-click" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AlertDetailScreen)


async def test_command_palette_reaches_the_screen_actions(tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        row = table_of(app).current_row()
        assert row is not None
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Ack")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert last_action(tui_ws, row.id).action == "alert.acknowledged"


async def test_an_alert_closed_without_acknowledgement_met_its_acknowledge_target(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    """The first close counts as the acknowledgement: no acknowledge countdown runs on."""
    from .tui_helpers import T0, frozen_clock

    alert_id = 2  # a high alert whose playbook has time targets
    row = tui_ws.conn.execute("SELECT ack_due FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    assert row[0] is not None
    with frozen_clock(T0):  # within its acknowledge target
        Commands(tui_ws, playbooks, "bob").close(alert_id, "false_positive", "noise", override="lab host")
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 48)) as pilot:
        app.push_screen(AlertDetailScreen(app.backend, alert_id))
        await settle(pilot)
        lines = [line.strip() for line in screen_text(app).splitlines() if "ack target" in line]
        assert lines and lines[0].split("ack target", 1)[1].split()[0] == "met", lines
