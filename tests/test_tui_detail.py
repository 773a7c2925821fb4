"""The alert detail screen is built once and shown again for each alert opened."""

from __future__ import annotations

import asyncio

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import OptionList, Static, TabbedContent, TabPane

from triage import queries
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui import TriageApp, render
from triage.tui.messages import AlertChosen
from triage.tui.screens.alert_detail import AlertDetailScreen
from triage.tui.screens.queue import QueueScreen
from triage.tui.widgets.raw_tree import RawTree

from .tui_helpers import alert_events, make_app, screen_text, settle

pytestmark = pytest.mark.asyncio


async def opened(app: TriageApp, pilot: Pilot[None], alert_id: int) -> AlertDetailScreen:
    app.post_message(AlertChosen(alert_id))
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, AlertDetailScreen) and screen.alert_id == alert_id
    return screen


def timeline_text(screen: AlertDetailScreen) -> str:
    content = screen.query_one("#timeline", Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def test_each_alert_opened_shows_its_own_fields_and_tabs(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        shown: list[AlertDetailScreen] = []
        for alert_id in (3, 5, 3):
            app.post_message(AlertChosen(alert_id))
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, AlertDetailScreen) and screen.alert_id == alert_id
            shown.append(screen)
            alert = queries.get_alert(tui_ws, alert_id)
            assert screen.query_one("#alert-tabs", TabbedContent).active == "tab-overview"
            assert f"Alert {alert_id} " in screen_text(app) and alert["title"] in screen_text(app)
            assert screen.focused is screen.query_one("#checklist", OptionList)
            await pilot.press("2")
            await settle(pilot)
            assert screen.query_one("#raw", RawTree).doc == queries.alert_raw(tui_ws, alert)
            await pilot.press("4")
            await settle(pilot)
            assert timeline_text(screen) == render.timeline(alert_events(tui_ws, alert_id)).plain
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, QueueScreen)
        assert shown[0] is shown[1] is shown[2]  # one screen, its widgets kept


async def test_an_alert_opened_from_the_related_tab_is_a_second_screen(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        app.post_message(AlertChosen(1))
        await settle(pilot)
        first = app.screen
        assert isinstance(first, AlertDetailScreen)
        await pilot.press("3")
        await settle(pilot)
        related = first.query_one("#related", OptionList)
        assert related.option_count and related.get_option_at_index(0).id
        other = int(related.get_option_at_index(0).id or 0)
        assert first.focused is related
        related.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        second = app.screen
        assert isinstance(second, AlertDetailScreen) and second is not first
        assert second.alert_id == other
        await pilot.press("escape")
        await settle(pilot)
        assert first.alert_id == 1  # still the first alert, as it was
        assert app.screen is first
        assert first.query_one("#alert-tabs", TabbedContent).active == "tab-related"


async def test_a_tab_filling_when_another_alert_is_shown_is_filled_for_that_one(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    # a tab's content waits on its widgets; an analyst quick on the keys may open another
    # alert meanwhile (escape, then enter: the screen is shown again for it)
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await opened(app, pilot, 3)
        for tab in ("tab-raw", "tab-related", "tab-timeline"):
            fill = asyncio.create_task(screen._fill(screen.query_one(f"#{tab}", TabPane), tab))
            await asyncio.sleep(0)  # it waits on the pane's children being removed
            await screen.show(5)  # what opening another alert does first
            await fill
            screen.reload()
            await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        (tree,) = screen.query(RawTree)
        assert tree.alert["id"] == 5 and tree.doc == queries.alert_raw(tui_ws, queries.get_alert(tui_ws, 5))


async def test_the_tabs_filled_for_an_alert_are_emptied_when_the_screen_is_left(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    # hidden, they would still be restyled each time the screen is shown again
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the alert under the queue's cursor
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AlertDetailScreen)
        first = screen.alert_id
        for key in ("2", "3", "4"):
            await pilot.press(key)
            await settle(pilot)
        assert screen.query(RawTree) and screen.query("#related") and screen.query("#timeline")
        await pilot.press("n")  # a dialog over the screen: the screen is still open under it
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.query("#timeline")
        await pilot.press("escape")  # back to the queue: the screen is left
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        for pane in ("tab-raw", "tab-related", "tab-timeline"):
            assert not screen.query_one(f"#{pane}", TabPane).children
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is screen and screen.alert_id != first
        assert screen.query_one("#alert-tabs", TabbedContent).active == "tab-overview"
        await pilot.press("2")
        await settle(pilot)
        (tree,) = screen.query(RawTree)
        assert tree.alert["id"] == screen.alert_id
        assert tree.doc == queries.alert_raw(tui_ws, queries.get_alert(tui_ws, screen.alert_id))
