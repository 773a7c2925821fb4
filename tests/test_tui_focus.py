"""Where focus goes: tabs that stay shown, dialogs that give focus back, boxes that let go."""

from __future__ import annotations

from itertools import takewhile

import pytest
from textual.binding import Binding
from textual.command import CommandList
from textual.widgets import Input, TabbedContent

from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui.screens.alert_detail import AlertDetailScreen
from triage.tui.screens.incident_detail import IncidentDetailScreen
from triage.tui.screens.prompt_dialog import PromptDialog
from triage.tui.widgets.alert_table import AlertTable

from .tui_helpers import alert_events, make_app, screen_text, settle, type_text

pytestmark = pytest.mark.asyncio


def active_tab(screen: AlertDetailScreen) -> str:
    return screen.query_one("#alert-tabs", TabbedContent).active


async def open_detail(pilot: object, app: object) -> AlertDetailScreen:
    await pilot.press("down", "enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, AlertDetailScreen)
    return screen


async def test_the_tab_keys_show_their_tab_and_keep_it(tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_detail(pilot, app)
        for key, tab in (
            ("2", "tab-raw"),
            ("3", "tab-related"),
            ("4", "tab-timeline"),
            ("1", "tab-overview"),
        ):
            await pilot.press(key)
            await settle(pilot)
            await pilot.pause(0.1)
            assert active_tab(detail) == tab, key
        for key, tab in (("4", "tab-timeline"), ("2", "tab-raw"), ("2", "tab-raw"), ("3", "tab-related")):
            await pilot.press(key)  # tabs already built
            await settle(pilot)
            assert active_tab(detail) == tab, key


async def test_the_palette_tab_entries_show_their_tab(tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_detail(pilot, app)
        for name, tab in (("Raw tab", "tab-raw"), ("Timeline tab", "tab-timeline")):
            await pilot.press("ctrl+p")
            await pilot.pause()
            await type_text(pilot, name)
            await pilot.pause(0.3)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.pause(0.1)
            assert app.screen is detail
            assert active_tab(detail) == tab, name


async def test_after_every_dialog_the_focus_is_back_where_it_was(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        queue = app.screen
        for key in ("A", "c", "d"):
            before = app.focused
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is not queue, key
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is queue and app.focused is before, key

        detail = await open_detail(pilot, app)
        alert_id = detail.alert_id
        for tab in ("1", "2", "4"):
            await pilot.press(tab)
            await settle(pilot)
            for key in ("A", "n", "x", "v", "e", "c"):
                before = app.focused
                assert before is not None
                await pilot.press(key)
                await pilot.pause()
                assert app.screen is not detail, key
                await pilot.press("escape")
                await settle(pilot)
                assert app.screen is detail and app.focused is before, (tab, key)

        # A step completed, then a note typed: the note's letters are not commands.
        await pilot.press("1", "x")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await type_text(pilot, "on call said so")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is detail
        actions = [e.action for e in alert_events(tui_ws, alert_id)]
        assert actions[-2:] == ["alert.step_completed", "alert.noted"]


async def test_reopening_an_alert_that_is_not_closed_is_refused_at_once(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_detail(pilot, app)
        before = len(alert_events(tui_ws, detail.alert_id))
        await pilot.press("o")
        await settle(pilot)
        assert app.screen is detail  # no dialog
        assert any("not closed" in n.message for n in app._notifications)
        await type_text(pilot, "oops")  # nothing waits for a reason
        await settle(pilot)
        assert len(alert_events(tui_ws, detail.alert_id)) == before


async def test_every_dialog_opens_on_its_first_field_that_needs_input(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        queue = app.screen
        for key, field in (("d", "close-reason"), ("c", "close-disposition"), ("A", "prompt-value")):
            await pilot.press(key)
            await pilot.pause()
            assert app.focused is not None and app.focused.id == field, key
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is queue

        await pilot.press("d")
        await pilot.pause()
        await type_text(pilot, "same scan")  # goes into the reason, not the dropdown
        assert app.screen.query_one("#close-reason", Input).value == "same scan"
        await pilot.press("escape")
        await settle(pilot)

        detail = await open_detail(pilot, app)
        for key, field in (("v", "severity-value"), ("n", "note-text"), ("x", "prompt-value")):
            await pilot.press(key)
            await pilot.pause()
            assert app.focused is not None and app.focused.id == field, key
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is detail


async def test_enter_and_escape_leave_the_search_box(tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        table = screen.query_one("#alerts", AlertTable)
        search = screen.query_one("#filter-text", Input)
        await pilot.press("slash")
        await type_text(pilot, "host:web-01")
        await pilot.press("enter")  # applies and goes back to the table
        await settle(pilot)
        assert app.focused is table
        assert table.count == 4 and all(r.host == "web-01" for r in table._window)
        await pilot.press("down", "a")  # keys act on the table again
        await settle(pilot)
        assert search.value == "host:web-01"
        row = table.current_row()
        assert row is not None and row.status == "acknowledged"

        await pilot.press("slash")
        await pilot.pause()
        assert app.focused is search
        await pilot.press("escape")  # clears the search and goes back to the table
        await settle(pilot)
        assert app.focused is table and search.value == ""
        assert table.count == 13


async def test_closing_an_incident_warns_of_open_alerts_and_shows_the_reason(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    cmds = Commands(tui_ws, playbooks, "bob")
    cmds.escalate(2, title="Credential stuffing on SSO")
    cmds.link(3, 1)
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("i")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, IncidentDetailScreen)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, PromptDialog)
        text = screen_text(app)
        assert "Close incident 1" in text and "Closed incident" not in text  # nothing closed yet
        assert "2 of its alerts still open (#2, #3)" in text
        await type_text(pilot, "contained at the proxy")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is detail and detail.incident["status"] == "closed"
        text = screen_text(app)
        assert "close reason" in text and "contained at the proxy" in text
        assert any("Closed incident 1" in n.message for n in app._notifications)


async def palette_entries(pilot: object, app: object) -> list[str]:
    await pilot.press("ctrl+p")  # type: ignore[attr-defined]
    await pilot.pause(0.5)  # type: ignore[attr-defined]
    commands = app.screen.query_one(CommandList)  # type: ignore[attr-defined]
    entries = [
        str(commands.get_option_at_index(i).prompt).split("\n")[0] for i in range(commands.option_count)
    ]
    await pilot.press("escape")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    return entries


@pytest.mark.parametrize("screen_keys", [0, 1])
async def test_the_palette_lists_the_screen_actions_first(
    tui_ws: Workspace, playbooks: PlaybookSet, screen_keys: int
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        if screen_keys:
            await open_detail(pilot, app)
        screen = app.screen
        own = [
            b.tooltip or b.description for b in screen.BINDINGS if isinstance(b, Binding) and b.description
        ]
        entries = await palette_entries(pilot, app)
        shown = list(takewhile(lambda e: e in own, entries))  # the screen's own come first
        assert len(shown) >= len(own) - 2, entries[: len(own)]  # a key or two is the focused widget's (enter)
        assert not any("scroll" in e.lower() or "page" in e.lower() for e in shown)
        assert "Theme" in entries[len(shown) :]  # Textual's own commands are still there, after
