"""An incident in the app: every change to it (title, severity, description, owner, a note,
its alerts linked and unlinked) is an event through the command layer, and shows."""

from __future__ import annotations

import pytest
from textual.widgets import Select, TextArea

from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.store.workspace import Event, Workspace
from triage.tui.screens.incident_detail import IncidentDetailScreen
from triage.tui.screens.note_dialog import NoteDialog
from triage.tui.screens.severity_dialog import SeverityDialog

from .tui_helpers import make_app, screen_text, settle, type_text

pytestmark = pytest.mark.asyncio


def last(ws: Workspace, ref: str = "incident:1") -> Event:
    return list(ws.events(ref=ref))[-1]


async def test_every_change_to_an_incident_is_an_event_and_shows(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    Commands(tui_ws, playbooks, "bob").escalate(2, title="Credential stuffing on SSO")
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("i", "enter")
        await settle(pilot)
        assert isinstance(app.screen, IncidentDetailScreen)

        await pilot.press("t")  # the title, as it is, to edit
        await settle(pilot)
        app.screen.query_one("#prompt-value").value = ""  # type: ignore[attr-defined]
        await type_text(pilot, "Spray against SSO\n")
        await settle(pilot)
        assert last(tui_ws).payload["changes"] == {"title": "Spray against SSO"}

        await pilot.press("v")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SeverityDialog)
        dialog.query_one("#severity-value", Select).value = "low"
        dialog.query_one("#severity-reason").focus()
        await type_text(pilot, "only test accounts\n")
        await settle(pilot)
        assert last(tui_ws).payload == {"changes": {"severity": "low"}, "reason": "only test accounts"}

        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, NoteDialog)
        app.screen.query_one("#note-text", TextArea).text = "From one /24.\nBlocked at the VPN [bold]x[/]."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert last(tui_ws).payload["changes"] == {
            "description": "From one /24.\nBlocked at the VPN [bold]x[/]."
        }

        await pilot.press("A")
        await settle(pilot)
        await type_text(pilot, "carol\n")
        await settle(pilot)
        assert last(tui_ws).payload["changes"] == {"owner": "carol"}

        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one("#note-text", TextArea).text = "Called the SSO team.\nThey confirm."
        await pilot.press("ctrl+s")
        await settle(pilot)
        note = last(tui_ws)
        assert (note.action, note.actor, note.payload) == (
            "incident.noted", "alice", {"text": "Called the SSO team.\nThey confirm."}
        )  # fmt: skip

        await pilot.press("l")
        await settle(pilot)
        await type_text(pilot, "#5\n")
        await settle(pilot)
        assert (last(tui_ws).action, last(tui_ws).target) == ("alert.linked", "alert:5")

        text = screen_text(app)
        assert "Incident 1 low open  Spray against SSO" in text
        assert "From one /24." in text and "Blocked at the VPN [bold]x[/]." in text  # literally
        assert "note: Called the SSO team." in text and "They confirm." in text
        assert "#5" in text and "carol" in text

        await pilot.press("down")  # the second alert listed: #5
        await pilot.press("u")
        await settle(pilot)
        unlinked = last(tui_ws)
        assert (unlinked.action, unlinked.target) == ("alert.unlinked", "alert:5")
        assert "#5 " not in screen_text(app).split("Timeline")[0]
    assert tui_ws.rebuild(dry_run=True)[1]
