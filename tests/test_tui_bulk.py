"""Bulk severity and bulk escalation, from a selection in the queue and from a group: one
event per alert, through the command layer, and nothing for alerts left out."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui.screens.escalate_dialog import EscalateDialog
from triage.tui.screens.severity_dialog import SeverityDialog
from triage.tui.widgets.alert_table import AlertTable

from .test_tui_groups import IAM, PORT_SCAN, to_group, tree_of
from .tui_helpers import alert_events, last_action, make_app, settle, type_text

pytestmark = pytest.mark.asyncio


def counts(ws: Workspace) -> dict[int, int]:
    return {i: len(alert_events(ws, i)) for i in range(1, 14)}


async def test_bulk_severity_from_a_selection_one_reason_one_event_each(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#alerts", AlertTable)
        await pilot.press("space", "space", "space")
        picked = sorted(table.selected)
        assert len(picked) == 3
        before = counts(tui_ws)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, SeverityDialog)
        await pilot.press("escape")  # cancelled: nothing written, the selection stays
        await settle(pilot)
        assert counts(tui_ws) == before and sorted(table.selected) == picked
        await pilot.press("r")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SeverityDialog)
        dialog.query_one("#severity-value", Select).value = "low"
        dialog.query_one("#severity-reason", Input).focus()
        await type_text(pilot, "lab hosts [b]x[/b]")
        await pilot.press("enter")
        await settle(pilot)
        for alert_id in picked:
            event = last_action(tui_ws, alert_id)
            assert event.action == "alert.severity_changed" and event.actor == "alice"
            assert event.payload["to"] == "low" and event.payload["reason"] == "lab hosts [b]x[/b]"
        after = counts(tui_ws)
        assert {i: after[i] - before[i] for i in after} == {i: int(i in picked) for i in after}
        assert not table.selected


async def test_bulk_escalate_from_a_selection_opens_one_incident_for_all(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#alerts", AlertTable)
        await pilot.press("space", "space")
        picked = sorted(table.selected)
        before = counts(tui_ws)
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, EscalateDialog)
        dialog.query_one("#escalate-title", Input).value = "Two at once"
        await pilot.press("ctrl+s")
        await settle(pilot)
        events = [last_action(tui_ws, i) for i in picked]
        assert all(e.action == "alert.escalated" for e in events)
        incidents = {e.payload["incident"] for e in events}
        assert len(incidents) == 1  # the first opened it, the other joined
        assert [("new_incident" in e.payload) for e in events] == [True, False]
        assert events[0].payload["new_incident"]["title"] == "Two at once"
        after = counts(tui_ws)
        assert {i: after[i] - before[i] for i in after} == {i: int(i in picked) for i in after}

        # Then two more into that same, existing incident.
        (incident,) = incidents
        await pilot.press("space", "space")
        more = sorted(set(table.selected))
        assert not set(more) & set(picked)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#escalate-incident", Select).value = incident
        await pilot.press("ctrl+s")
        await settle(pilot)
        for alert_id in more:
            event = last_action(tui_ws, alert_id)
            assert event.action == "alert.escalated"
            assert event.payload == {"incident": incident, "previous": None}


async def test_a_group_changes_severity_and_is_escalated_one_event_per_alert(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        await to_group(pilot, tree_of(app), "Port Scan")
        before = counts(tui_ws)
        await pilot.press("r")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SeverityDialog)
        dialog.query_one("#severity-value", Select).value = "critical"
        dialog.query_one("#severity-reason", Input).focus()
        await type_text(pilot, "internet facing")
        await pilot.press("enter")
        await settle(pilot)
        for alert_id in PORT_SCAN:
            event = last_action(tui_ws, alert_id)
            assert event.action == "alert.severity_changed" and event.payload["to"] == "critical"
        after = counts(tui_ws)
        assert {i: after[i] - before[i] for i in after} == {i: int(i in PORT_SCAN) for i in after}

        await to_group(pilot, tree_of(app), "IAM Access Key Created")
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, EscalateDialog)
        assert dialog.query_one("#escalate-severity", Select).value == "critical"  # the worst of them
        await pilot.press("ctrl+s")
        await settle(pilot)
        events = {i: last_action(tui_ws, i) for i in IAM}
        assert {e.action for e in events.values()} == {"alert.escalated"}
        assert len({e.payload["incident"] for e in events.values()}) == 1
        assert sum("new_incident" in e.payload for e in events.values()) == 1
        assert all(last_action(tui_ws, i).action == "alert.severity_changed" for i in PORT_SCAN)
