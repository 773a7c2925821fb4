"""Every screen and dialog is usable on an 80x24 terminal: what the analyst types into or
presses is inside the screen, the queue's columns fit without scrolling sideways, and the
alert detail leaves its checklist room to read."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, OptionList, Select, TextArea

from triage.config import data_dir
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui import TriageApp
from triage.tui.screens.dialog import Dialog
from triage.tui.screens.help import MOUSE, HelpScreen, key_rows
from triage.tui.widgets.alert_table import AlertTable, fit_columns

from .tui_helpers import make_app, screen_text, settle

pytestmark = pytest.mark.asyncio

SMALL = (80, 24)

# keys from the queue to each dialog; the hostile alert (13) is first, alert 11 has a
# playbook with required steps (the close dialog then asks for an override too)
DIALOGS = {
    "close with an override": ["down", "c"],
    "close as duplicate": ["down", "d"],
    "assign": ["A"],
    "note": ["enter", "n"],
    "step": ["enter", "x"],
    "severity": ["enter", "v"],
    "escalate": ["enter", "e"],
}


def inside(widget: Widget, screen: Region) -> bool:
    region = widget.region
    return bool(region.area) and screen.contains_region(region)


async def open_dialog(pilot: Pilot[Any], app: TriageApp, keys: list[str]) -> Dialog[Any]:
    await settle(pilot)
    await pilot.press(*keys)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, Dialog), f"{keys} opened {type(screen).__name__}"
    return screen


@pytest.mark.parametrize("name", list(DIALOGS))
async def test_every_field_and_button_of_a_dialog_is_on_an_80x24_screen(
    name: str, tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=SMALL) as pilot:
        dialog = await open_dialog(pilot, app, DIALOGS[name])
        whole = Region(0, 0, *SMALL)
        fields = [w for w in dialog.query("Input, Select, TextArea, Button") if w.display]  # shown ones
        assert len(fields) >= 3  # a field and OK and Cancel
        for widget in fields:
            assert isinstance(widget, (Input, Select, TextArea, Button))
            assert inside(widget, whole), f"{name}: {widget!r} at {widget.region} is off the screen"
        buttons = {b.id for b in dialog.query(Button)}
        assert buttons == {"ok", "cancel"}


async def test_the_close_dialog_with_an_override_shows_all_three_fields_at_once(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    """Not only reachable by scrolling: disposition, reason and override are all in sight."""
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=SMALL) as pilot:
        dialog = await open_dialog(pilot, app, DIALOGS["close with an override"])
        body = dialog.query_one(".dialog-box", Widget)
        for selector in ("#close-disposition", "#close-reason", "#close-override", "#ok", "#cancel"):
            widget = dialog.query_one(selector, Widget)
            assert body.region.contains_region(widget.region), selector
        assert body.max_scroll_y == 0


# keys from the queue to each screen whose help is read
HELPED = {"queue": [], "alert detail": ["enter"], "groups": ["b"], "incidents": ["i"]}


async def read_help(pilot: Pilot[Any], app: TriageApp) -> list[str]:
    """Every line the help screen shows, scrolling it from top to bottom."""
    box = app.screen.query_one(".help-box", VerticalScroll)
    lines = screen_text(app).splitlines()
    while box.scroll_y < box.max_scroll_y:
        box.scroll_to(y=box.scroll_y + box.scrollable_content_region.height, animate=False, immediate=True)
        await pilot.pause()
        lines += screen_text(app).splitlines()
    return lines


@pytest.mark.parametrize("name", list(HELPED))
async def test_the_help_screen_shows_every_key_and_what_it_does_whole_at_80x24(
    name: str, tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    """Each key on the same line as its description, neither cut nor wrapped, the box inside
    the screen and nothing to scroll sideways; escape, q and ? each close it."""
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press(*HELPED[name])
        await settle(pilot)
        under = app.screen
        for close in ("escape", "q", "question_mark"):
            await pilot.press("question_mark")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen), name
            await pilot.press(close)
            await settle(pilot)
            assert app.screen is under, f"{close} did not close the help of the {name}"
        await pilot.press("question_mark")
        await settle(pilot)
        box = app.screen.query_one(".help-box", VerticalScroll)
        assert inside(box, Region(0, 0, *SMALL)) and box.max_scroll_x == 0
        rows = [*key_rows(under), *MOUSE]
        assert len(rows) > 20 and ("double-click a row", "open the alert") in rows
        lines = await read_help(pilot, app)
        assert all(len(line) <= SMALL[0] for line in lines)
        for key, does in rows:
            whole = re.compile(rf"(^|[ █]){re.escape(key)} {{2,}}{re.escape(does)}( |█|$)")
            assert any(whole.search(line) for line in lines), f"{name}: {key!r} {does!r} not shown whole"
        assert any("escape closes this help" in line for line in lines)


@pytest.mark.parametrize("width", [80, 100, 120])
async def test_the_queue_columns_fit_and_the_title_column_is_readable(
    width: int, tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#alerts", AlertTable)
        room = table.scrollable_content_region.width
        assert table.virtual_size.width <= room  # nothing scrolls sideways
        widths = {col.key: w for col, w in fit_columns(room)}
        assert widths["title"] >= 24
        assert {"id", "severity", "status", "age", "due"} <= set(widths)
        footer = app.screen.query_one(Footer)
        assert inside(footer, Region(0, 0, width, 24))


async def test_the_footer_shows_help_and_quit_at_80_columns(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for keys in ([], ["enter"], ["escape", "i"], ["enter"]):
            await pilot.press(*keys)
            await settle(pilot)
            footer = app.screen.query_one(Footer)
            whole = Region(0, 0, *SMALL)
            shown = [k for k in footer.query("FooterKey") if inside(k, whole)]
            assert footer.max_scroll_x == 0, f"{type(app.screen).__name__}: the footer is cut"
            descriptions = {getattr(k, "description", "") for k in shown}
            assert {"Help", "Quit"} <= descriptions, type(app.screen).__name__


async def test_the_alert_detail_checklist_has_room_at_80_columns(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("down", "enter")
        await settle(pilot)
        checklist = app.screen.query_one("#checklist", OptionList)
        assert checklist.region.width >= 36
        assert inside(checklist, Region(0, 0, *SMALL))


async def test_a_screenshot_is_saved_in_a_folder_that_exists_and_the_path_is_shown(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F2 (and the palette's Screenshot) save beside the workspace, whether or not the
    analyst has a ~/Downloads; a configured folder is made if missing."""
    monkeypatch.setenv("HOME", str(tmp_path / "home-without-downloads"))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # a server workspace's screenshots
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        folder = tui_ws.path.parent if tui_ws.path is not None else data_dir() / "screenshots"
        saved = sorted(folder.glob("*.svg"))
        assert len(saved) == 1 and "</svg>" in saved[0].read_text()
        said = [n for n in app._notifications if n.title == "Screenshot saved"]
        assert said and said[-1].message == str(saved[0].resolve())

    elsewhere = tmp_path / "shots" / "today"
    app = make_app(tui_ws, playbooks)
    app.screenshots = elsewhere
    async with app.run_test(size=SMALL) as pilot:
        app.action_screenshot()
        await settle(pilot)
        assert len(list(elsewhere.glob("*.svg"))) == 1
