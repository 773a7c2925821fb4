"""Every key binding of the screen underneath and of the app."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
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

# Two pairs of key and description side by side from this width on (a key of about 12 cells
# and a description of 30 each, with their padding); narrower, one pair a line, so that an
# 80-column terminal reads every description whole.
TWO_COLUMNS = 92


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


def pair_table(title: str, rows: Sequence[tuple[str, str]], pairs: int) -> Table:
    """The rows as ``pairs`` pair-columns of key and description, read down then across."""
    table = Table(title=title, expand=True, show_edge=False, box=None, padding=(0, 1))
    for _ in range(pairs):
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("does", ratio=1)
    per_column = -(-len(rows) // pairs)
    columns = [list(rows[i : i + per_column]) for i in range(0, len(rows), per_column)]
    for n in range(per_column):
        cells: list[Text] = []
        for column in columns + [[]] * (pairs - len(columns)):
            key, does = column[n] if n < len(column) else ("", "")
            cells += [Text(key), Text(does)]
        table.add_row(*cells)
    return table


class KeyTable:
    """The keys as one pair-column, or two side by side when the width allows (decided each
    time it is rendered, so a resized terminal gets the layout that fits), then the mouse's
    (their longer names would widen the keys' column)."""

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        self.rows = rows

    def tables(self, width: int) -> Group:
        keys = pair_table("Keys", self.rows, 2 if width >= TWO_COLUMNS else 1)
        return Group(keys, Text(), pair_table("Mouse", MOUSE, 1))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.tables(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.tables(options.max_width))


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close help"),
    ]
    DEFAULT_CLASSES = "dialog"

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box help-box"):
            yield Static(KeyTable(key_rows(self.under)), id="help-keys")
            yield Static(Text("escape closes this help", style="dim"))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
