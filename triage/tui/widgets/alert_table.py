"""The queue table: a virtual list over SQLite that fetches only the rows on screen.

The screen hands it a ``fetch(offset, limit)`` function and the row count; the table
asks for a window around what is visible whenever it scrolls past what it holds. A hundred
thousand alerts cost the same to paint as a hundred.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from triage.queue import QueueRow
from triage.text import printable
from triage.tui import render

Fetch = Callable[[int, int], list[QueueRow]]


@dataclass(frozen=True)
class Column:
    key: str  # also the sort key (triage.queue.SORT_KEYS)
    title: str
    width: int  # the flexible column's least width; it takes what the others leave
    flexible: bool = False
    narrow: int | None = None  # the width it shrinks to when the terminal is too narrow


COLUMNS: tuple[Column, ...] = (
    Column("id", "ID", 6),
    Column("severity", "SEVERITY", 13, narrow=8),
    Column("status", "STATUS", 6),
    Column("assignee", "ASSIGNEE", 10, narrow=8),
    Column("age", "AGE", 6),
    Column("due", "DUE", 12),
    Column("title", "RULE / TITLE", 24, flexible=True),
    Column("host", "HOST", 14),
    Column("user", "USER", 10),
    Column("src_ip", "SOURCE IP", 15),
)
BY_KEY = {c.key: c for c in COLUMNS}
# What gives way, in this order, when the columns do not fit: a column shrinks to its narrow
# width or goes (the title never goes under its width and nothing scrolls sideways).
GIVE_WAY: tuple[tuple[str, str], ...] = (
    ("drop", "src_ip"),
    ("shrink", "severity"),
    ("drop", "user"),
    ("shrink", "assignee"),
    ("drop", "host"),
)
SEVERITY_SHORT = {"informational": "info"}  # what a narrow severity column shows
# What a sort order is called where people read it (the column titles, or what they mean).
SORT_LABELS = {
    "id": "ID",
    "severity": "severity",
    "status": "status",
    "assignee": "assignee",
    "age": "age since arrival",
    "fired": "age since fired",
    "due": "due",
    "title": "rule / title",
    "host": "host",
    "user": "user",
    "src_ip": "source IP",
}
MARK_WIDTH = 2


def fit_columns(room: int) -> list[tuple[Column, int]]:
    """The columns shown in ``room`` cells and their widths: the flexible one gets the rest."""
    widths = {c.key: c.width for c in COLUMNS}

    def need() -> int:
        return MARK_WIDTH + sum(w + 1 for w in widths.values())

    for how, key in GIVE_WAY:
        if need() <= room:
            break
        if how == "drop":
            del widths[key]
        else:
            widths[key] = BY_KEY[key].narrow or widths[key]
    flexible = next(c for c in COLUMNS if c.flexible)
    widths[flexible.key] += max(room - need(), 0)
    return [(c, widths[c.key]) for c in COLUMNS if c.key in widths]


STATUS_SHORT = {"new": "new", "acknowledged": "ack", "closed": "closed"}


class AlertTable(ScrollView, can_focus=True):
    """Rows of the current queue view; the cursor follows an alert, not a line number."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "alert-table--header",
        "alert-table--cursor",
        "alert-table--selected",
        "alert-table--empty",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("enter", "choose", "Open", show=False),
        Binding("space", "toggle_select", "Select", show=False),
        Binding("escape", "clear_selection", "Clear selection", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to another alert."""

        def __init__(self, row: QueueRow | None) -> None:
            super().__init__()
            self.row = row

    class Chosen(Message):
        """Enter or a double click on an alert."""

        def __init__(self, row: QueueRow) -> None:
            super().__init__()
            self.row = row

    class HeaderClicked(Message):
        """A click on a column title (the screen sorts by it)."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    class SelectionChanged(Message):
        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.count = 0
        self.cursor = 0
        self.sort = "severity"
        self.descending = True
        self.age_from_fired = False  # the AGE column counts from arrival, or from when the alert fired
        self.selected: dict[int, int] = {}  # alert id -> last event seq when selected
        self._fetch: Fetch = lambda offset, limit: []
        self._window_start = 0
        self._window: list[QueueRow] = []
        self._shown: list[tuple[Column, int]] = fit_columns(0)
        self.fetches = 0  # how many pages were read (the benchmark and tests look)

    # -- data ------------------------------------------------------------------------

    def show(
        self,
        fetch: Fetch,
        count: int,
        *,
        cursor: int | None = None,
        sort: str | None = None,
        descending: bool | None = None,
    ) -> None:
        """New data (or a new view of it). ``cursor`` is the row to put the cursor on; the
        cursor keeps its place on screen so nothing jumps when rows arrive above it."""
        on_screen = self.cursor - int(self.scroll_y)
        self._fetch = fetch
        self.count = count
        self._window = []
        if sort is not None:
            self.sort = sort
        if descending is not None:
            self.descending = descending
        self.cursor = max(min(self.cursor if cursor is None else cursor, count - 1), 0)
        self._layout()
        body = self._body_height()
        self.scroll_to(
            y=max(self.cursor - max(min(on_screen, body - 1), 0), 0), animate=False, immediate=True
        )
        self.refresh()
        self.post_message(self.Highlighted(self.current_row()))

    def _row(self, index: int) -> QueueRow | None:
        if not 0 <= index < self.count:
            return None
        start = self._window_start
        if not start <= index < start + len(self._window):
            page = max(self._body_height(), 20)
            start = max(index - 2 * page, 0)
            self._window = self._fetch(start, 5 * page)
            self._window_start = start
            self.fetches += 1
            for row in self._window:
                if row.id in self.selected:
                    self.selected[row.id] = row.last_seq
            if not start <= index < start + len(self._window):
                return None
        return self._window[index - start]

    def current_row(self) -> QueueRow | None:
        return self._row(self.cursor)

    def targets(self) -> list[tuple[int, int]]:
        """(alert id, last event seq) of the selected alerts, else of the one under the cursor."""
        if self.selected:
            return sorted(self.selected.items())
        row = self.current_row()
        return [(row.id, row.last_seq)] if row else []

    # -- layout ----------------------------------------------------------------------

    def _body_height(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _layout(self) -> None:
        self._shown = fit_columns(self.scrollable_content_region.width)
        total = MARK_WIDTH + sum(width + 1 for _, width in self._shown)
        self.virtual_size = Size(total, self.count + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._layout()

    def sort_key(self, column: str) -> str:
        """The sort order a column stands for (AGE counting from when alerts fired: fired)."""
        return "fired" if column == "age" and self.age_from_fired else column

    def toggle_age(self) -> None:
        self.age_from_fired = not self.age_from_fired
        self.refresh()

    def _column_at(self, x: int) -> str | None:
        pos = MARK_WIDTH
        for col, width in self._shown:
            if pos <= x < pos + width + 1:
                return self.sort_key(col.key)
            pos += width + 1
        return None

    # -- rendering -------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        if y == 0:
            strip = self._header()
        else:
            index = scroll_y + y - 1
            if self.count == 0 and y == 1:
                style = self.get_component_rich_style("alert-table--empty")
                strip = Strip([Segment(" no alerts in this view", style)])
            else:
                row = self._row(index)
                strip = self._line(row, index) if row is not None else Strip.blank(width, base)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _header(self) -> Strip:
        style = self.get_component_rich_style("alert-table--header")
        segs = [Segment(" " * MARK_WIDTH, style)]
        for col, width in self._shown:
            title = "FIRED" if col.key == "age" and self.age_from_fired else col.title
            if self.sort_key(col.key) == self.sort:  # the arrow stays in sight in a narrow column
                title = set_cell_size(title, min(len(title), width - 2)) + (" ▼" if self.descending else " ▲")
            segs.append(Segment(set_cell_size(title, width) + " ", style))
        return Strip(segs)

    def _line(self, row: QueueRow, index: int) -> Strip:
        now = self.clock()
        due_text, due_style = render.due(row.due, now)
        if row.status == "closed":  # who closed it, where the target would be
            due_text, due_style = f"by {row.closed_by}" if row.closed_by else "closed", Style(dim=True)
        cells: dict[str, tuple[str, Style]] = {
            "id": (str(row.id), Style()),
            "severity": (row.severity, render.SEVERITY_STYLES.get(row.severity, Style())),
            "status": (
                STATUS_SHORT.get(row.status, row.status),
                render.STATUS_STYLES.get(row.status, Style()),
            ),
            "assignee": (row.assignee or "-", Style(dim=row.assignee is None)),
            "age": (render.age(row.fired_at if self.age_from_fired else row.ingested_at, now), Style()),
            "due": (due_text, due_style),
            "title": (row.title, Style()),
            "host": (row.host or "-", Style()),
            "user": (row.user_name or "-", Style()),
            "src_ip": (row.src_ip or "-", Style()),
        }
        overlay: Style | None = None
        if index == self.cursor:
            overlay = self.get_component_rich_style("alert-table--cursor")
        elif row.id in self.selected:
            overlay = self.get_component_rich_style("alert-table--selected")
        mark = "● " if row.id in self.selected else "  "
        segs = [Segment(mark, overlay or Style())]
        for col, width in self._shown:
            text, style = cells[col.key]
            if col.key == "severity" and width < len(text):
                text = SEVERITY_SHORT.get(text, text)
            # Alert text is untrusted: control characters become \xNN, and a Segment is never markup.
            value = set_cell_size(printable(text, single_line=True), width) + " "
            segs.append(Segment(value, style + overlay if overlay else style))
        return Strip(segs)

    # -- moving ----------------------------------------------------------------------

    def _move_to(self, index: int) -> None:
        if self.count == 0:
            return
        self.cursor = max(min(index, self.count - 1), 0)
        body = self._body_height()
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Highlighted(self.current_row()))

    def action_cursor(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(self._body_height() - 1, 1))

    def action_jump(self, where: int) -> None:
        self._move_to(self.count - 1 if where < 0 else where)

    def action_choose(self) -> None:
        row = self.current_row()
        if row is not None:
            self.post_message(self.Chosen(row))

    def action_toggle_select(self) -> None:
        row = self.current_row()
        if row is None:
            return
        if row.id in self.selected:
            del self.selected[row.id]
        else:
            self.selected[row.id] = row.last_seq
        self.post_message(self.SelectionChanged(len(self.selected)))
        self._move_to(self.cursor + 1)

    def action_clear_selection(self) -> None:
        if self.selected:
            self.selected.clear()
            self.refresh()
            self.post_message(self.SelectionChanged(0))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x + int(self.scroll_x))
            if column is not None:
                self.post_message(self.HeaderClicked(column))
            return
        index = int(self.scroll_y) + offset.y - 1
        if index < self.count:
            self._move_to(index)
            if event.chain >= 2:
                self.action_choose()
