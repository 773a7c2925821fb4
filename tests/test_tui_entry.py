"""Keys that arrive together are applied in the order they were typed, in every text field.

The keys are posted to the app as its terminal driver posts them, with no pause between them
(a burst over SSH, a fast typist on a loaded machine); ``Pilot.press`` would wait for each.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from rich.text import Text
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

import triage.tui
from triage.tui.screens.note_dialog import NoteDialog
from triage.tui.screens.prompt_dialog import PromptDialog

from .tui_helpers import KEYS


def burst(app: App[object], *keys: str) -> None:
    """Each key as a Key event, all posted at once; a name longer than one letter is a key
    without a character (backspace, left, ctrl+u)."""
    for key in keys:
        if len(key) == 1:
            app.post_message(events.Key(KEYS.get(key, key), key))
        else:
            app.post_message(events.Key(key, "\r" if key == "enter" else None))


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[str | None] = []


async def _shown(pilot: Pilot[None], dialog: PromptDialog | NoteDialog) -> None:
    """The dialog up and its field focused: the keys then go where an analyst's would."""
    app = pilot.app
    assert isinstance(app, Host)
    app.push_screen(dialog, app.results.append)
    for _ in range(50):
        await pilot.pause()
        if isinstance(app.focused, (Input, TextArea)):
            return
    raise AssertionError("the dialog's field never had the focus")


@pytest.mark.asyncio
async def test_a_one_line_field_takes_a_burst_in_order() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await _shown(pilot, PromptDialog(Text("Rename incident 1"), "Title", value="Port Scan"))
        # ctrl+u clears the title; "web", one back, "x", one left, "y", enter: "weyx"
        burst(app, "ctrl+u", "w", "e", "b", "backspace", "x", "left", "y", "enter")
        await pilot.pause()
        await pilot.pause()
        assert app.results == ["weyx"]


@pytest.mark.asyncio
async def test_a_text_area_takes_a_burst_in_order() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await _shown(pilot, NoteDialog(Text("Note on alert 1")))
        burst(app, "a", "b", "backspace", "c", "\n", "d", "left", "e")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#note-text", TextArea).text == "ac\ned"
        burst(app, "ctrl+s")
        await pilot.pause()
        assert app.results == ["ac\ned"]


def test_no_screen_builds_textual_s_own_text_fields() -> None:
    """Every text field the app shows is one of ``triage.tui.widgets.entry``'s."""
    root = Path(triage.tui.__file__).parent
    built = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "entry.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        fields = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("textual")
            for alias in node.names
            if alias.name in {"Input", "TextArea"}
        }
        built += [
            f"{path.relative_to(root)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in fields
        ]
    assert built == []
