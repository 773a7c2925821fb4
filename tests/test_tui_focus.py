"""Where focus goes: tabs that stay shown, dialogs that give focus back, boxes that let go."""

from __future__ import annotations

import pytest
from textual.widgets import TabbedContent

from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui.screens.alert_detail import AlertDetailScreen

from .tui_helpers import make_app, settle, type_text

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
