"""Every key binding of the screen underneath and of the app."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

MOUSE = (
    ("click a row", "move the cursor"),
    ("double-click a row", "open the alert"),
    ("click a column title", "sort by it (again: reverse)"),
    ("wheel / scrollbar", "scroll"),
    ("ctrl+p", "command palette: every action by name"),
)


def key_rows(under: Screen[object]) -> list[tuple[str, str]]:
    """(keys, what they do) for every binding of ``under`` and of the app with a description,
    in binding order."""
    keys: dict[str, list[str]] = {}  # what it does -> the keys that do it, in binding order
    for key, active in under.active_bindings.items():
        binding: Binding = active.binding
        does = binding.tooltip or binding.description
        if does:
            shown = under.app.get_key_display(binding) or key
            if shown not in keys.setdefault(does, []):
                keys[does].append(shown)
    return [(" ".join(k), does) for does, k in keys.items()]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close help"),
    ]
    DEFAULT_CLASSES = "dialog"

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        rows = [*key_rows(self.under), *MOUSE]
        table = Table(title="Keys", expand=True, show_edge=False, box=None, padding=(0, 1))
        for _ in range(2):
            table.add_column("key", style="bold cyan", no_wrap=True)
            table.add_column("does", ratio=1)
        half = (len(rows) + 1) // 2
        for left, right in zip(rows[:half], [*rows[half:], ("", "")], strict=False):
            table.add_row(Text(left[0]), Text(left[1]), Text(right[0]), Text(right[1]))
        with VerticalScroll(classes="dialog-box help-box"):
            yield Static(table)
            yield Static(Text("escape closes this help", style="dim"))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
