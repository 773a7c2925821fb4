"""Live updates from another process, and hostile alert text shown literally."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.sources.files import FileSource
from triage.store.workspace import Workspace
from triage.text import printable
from triage.tui import render
from triage.tui.screens.alert_detail import AlertDetailScreen
from triage.tui.screens.incidents import IncidentsScreen
from triage.tui.widgets.alert_table import AlertTable

from .conftest import make_alert
from .test_spoofing import (
    HOST_SHOWN,
    INCIDENT,
    INCIDENT_SHOWN,
    LONE_SHOWN,
    STILL_CRASHES,
    TITLE_SHOWN,
    USER_SHOWN,
    assert_nothing_hidden,
    spoofing_line,
)
from .tui_helpers import HOSTILE, HOSTILE_TITLE, make_app, screen_strips, screen_text, settle

pytestmark = pytest.mark.asyncio

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


async def test_alerts_from_another_process_appear_without_the_cursor_moving(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    own = Workspace.open(tui_ws.location)  # the app reads through its own connection, like another process
    try:
        app = make_app(own, playbooks, poll=0.05)
        async with app.run_test(size=(120, 36)) as pilot:
            table = app.screen.query_one("#alerts", AlertTable)
            await pilot.press("down", "down", "down")
            before = table.current_row()
            assert before is not None and table.cursor == 3
            poller = Commands(tui_ws, playbooks, "poller")
            poller.ingest([make_alert(severity="critical", title=f"New {i}") for i in range(3)])
            await pilot.pause(0.3)
            assert table.count == 16
            after = table.current_row()
            assert after is not None and after.id == before.id  # the same alert stays selected
            assert table.cursor == 6  # three rows arrived above it; the whole queue fits on screen
            assert app.focused is table
            assert "New 0" in screen_text(app)
    finally:
        own.close()


async def test_a_tall_queue_keeps_the_selected_row_in_place(tmp_path: object, playbooks: PlaybookSet) -> None:
    ws = Workspace.create(tmp_path / "tall.db")  # type: ignore[operator]
    try:
        cmds = Commands(ws, playbooks, "poller")
        cmds.ingest([make_alert(severity="low", title=f"Low {i}") for i in range(200)])
        app = make_app(ws, playbooks, poll=0.05)
        async with app.run_test(size=(120, 36)) as pilot:
            table = app.screen.query_one("#alerts", AlertTable)
            await pilot.press("pagedown", "pagedown", "down", "down")
            before = table.current_row()
            on_screen = table.cursor - int(table.scroll_y)
            fetches = table.fetches
            cmds.ingest([make_alert(severity="high", title=f"High {i}") for i in range(5)])
            await pilot.pause(0.3)
            after = table.current_row()
            assert before is not None and after is not None and after.id == before.id
            assert table.cursor - int(table.scroll_y) == on_screen
            assert table.fetches - fetches <= 3  # a window around the screen, not the whole queue
            assert len(table._window) <= 5 * 40
    finally:
        ws.close()


def _assert_inert(strips: list[list[Segment]]) -> None:
    for strip in strips:
        for seg in strip:
            assert not CONTROL.search(seg.text), repr(seg.text)
            assert_nothing_hidden(seg.text)  # no bidi override, zero-width character, separator...
            meta = seg.style.meta if seg.style is not None else {}
            assert "app.quit" not in str(meta.get("@click", "")), meta


def _ingest_spoofing(ws: Workspace, playbooks: PlaybookSet, tmp_path: Path, *, lone: bool = False) -> int:
    """The spoofing alert (bidi overrides, zero-width characters, separators, BOM), from an
    NDJSON line with JSON escapes through the command layer, as `triage ingest` reads it."""
    path = tmp_path / "spoof.ndjson"
    path.write_text(spoofing_line(level=5, lone=lone) + "\n", encoding="utf-8")
    cmds = Commands(ws, playbooks, "poller")
    (alert_id,) = cmds.ingest_records(FileSource(str(path)).records(), profile="auto").alert_ids
    return alert_id


async def _show_tab(pilot: Pilot[Any], key: str) -> str:
    """Switch the alert detail's tab with its key; the screen's text once it is shown.

    The focus is dropped first: a focused checklist (where the detail screen puts the focus)
    is hidden by the switch, Textual moves the focus to the next widget of the Overview tab
    and TabbedContent goes back to that tab, so keys 2-4 alone stay on the Overview."""
    pilot.app.screen.set_focus(None)
    await pilot.press(key)
    await settle(pilot)
    tabs = pilot.app.screen.query_one("#alert-tabs", TabbedContent)
    assert tabs.active == TABS[key]
    return screen_text(pilot.app)  # type: ignore[arg-type]


TABS = {"1": "tab-overview", "2": "tab-raw", "3": "tab-related", "4": "tab-timeline"}


async def _open(pilot: Pilot[Any], table: AlertTable, alert_id: int) -> None:
    for _ in range(table.count):
        row = table.current_row()
        if row is not None and row.id == alert_id:
            break
        await pilot.press("down")
    row = table.current_row()
    assert row is not None and row.id == alert_id
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, AlertDetailScreen)


async def test_hostile_alert_text_is_shown_literally_everywhere(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    Commands(tui_ws, playbooks, "bob").escalate(13, title=HOSTILE_TITLE)
    spoof = _ingest_spoofing(tui_ws, playbooks, tmp_path)
    Commands(tui_ws, playbooks, "bob").escalate(spoof, title=INCIDENT)
    Commands(tui_ws, playbooks, "bob").note(spoof, "seen \u202eti\u2028twice\ufeff")
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(160, 40)) as pilot:
        table = app.screen.query_one("#alerts", AlertTable)
        row = table.current_row()
        assert row is not None and row.title == HOSTILE_TITLE
        text = screen_text(app)
        assert HOSTILE["markup"] in text  # the square brackets are on screen: not parsed
        assert "\\x1b[31mred" in text and "\\x9b2J" in text
        # the spoofing row (its columns cut the text)
        assert "web\\u200b01" in text and "ro\\u200cot" in text and TITLE_SHOWN[:50] in text
        _assert_inert([list(s) for s in screen_strips(app)])

        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AlertDetailScreen)
        for tab in ("1", "2", "3", "4"):
            text = await _show_tab(pilot, tab)
            _assert_inert([list(s) for s in screen_strips(app)])
            if tab == "1":
                assert HOSTILE["click"] in text and "\\x1b[31mred" in text
            if tab == "2":  # the raw document's keys and values
                assert HOSTILE["click"] in text and "\\x1b]52;c;aGVsbG8=\\x07" in text
        await pilot.click("#alert-title")  # a click on the title runs nothing
        await pilot.pause()
        assert app.is_running

        await pilot.press("escape")
        await pilot.pause()
        await _open(pilot, table, spoof)
        for tab in ("1", "2", "3", "4"):
            text = await _show_tab(pilot, tab)
            _assert_inert([list(s) for s in screen_strips(app)])
            if tab == "1":  # the title bar, the fields and the note
                assert TITLE_SHOWN in text and HOST_SHOWN in text and USER_SHOWN in text
                assert "seen \\u202eti\\u2028twice\\ufeff" in text
            if tab == "2":  # the raw document
                assert TITLE_SHOWN in text
            if tab == "4":  # the timeline
                assert "note: seen \\u202eti\\u2028twice\\ufeff" in text

        await pilot.press("escape", "i")
        await pilot.pause()
        assert isinstance(app.screen, IncidentsScreen)
        text = screen_text(app)
        assert HOSTILE["markup"] in text and "\\x1b[31mred" in text
        assert INCIDENT_SHOWN in text
        _assert_inert([list(s) for s in screen_strips(app)])
        await settle(pilot)
        assert app.is_running


async def test_a_lone_surrogate_is_shown_escaped_on_every_screen(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    """Printing a lone surrogate would crash with UnicodeEncodeError."""
    assert render.safe("x\ud800").plain == "x\\ud800"
    try:
        spoof = _ingest_spoofing(tui_ws, playbooks, tmp_path, lone=True)
    except UnicodeEncodeError:
        pytest.skip(STILL_CRASHES)
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(160, 40)) as pilot:
        table = app.screen.query_one("#alerts", AlertTable)
        assert TITLE_SHOWN[:50] in screen_text(app)
        _assert_inert([list(s) for s in screen_strips(app)])
        await _open(pilot, table, spoof)
        for tab in ("1", "2"):
            assert TITLE_SHOWN + LONE_SHOWN in await _show_tab(pilot, tab)
            _assert_inert([list(s) for s in screen_strips(app)])
        row = table.current_row()
        assert row is not None and printable(row.title, single_line=True) == TITLE_SHOWN + LONE_SHOWN
        await settle(pilot)
        assert app.is_running
