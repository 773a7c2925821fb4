"""The frame every dialog shares: a title, a body, an error line, OK and Cancel."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Select, Static, TextArea

from triage.tui.screens.base import freeze_cursors

R = TypeVar("R")


class Dialog(ModalScreen[R | None], Generic[R]):
    """Subclasses yield their fields from ``body`` and build the result in ``result``
    (returning None after ``fail`` when something is missing)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "OK"),
    ]
    DEFAULT_CLASSES = "dialog"

    def __init__(self, title: Text) -> None:
        super().__init__()
        self.dialog_title = title

    def body(self) -> ComposeResult:
        yield from ()

    def result(self) -> R | None:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        # The title and the buttons are docked: on a short terminal the fields scroll
        # between them, and OK and Cancel stay on the screen.
        with VerticalScroll(classes="dialog-box"):
            yield Static(self.dialog_title, classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")
            yield from self.body()
            yield Static("", classes="dialog-error", id="dialog-error")

    def on_mount(self) -> None:
        freeze_cursors(self, getattr(self.app, "cursor_blink", True))
        below = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        self._below, self._return_to = below, below.focused if below is not None else None
        fields = [w for w in self.query("Input, Select, TextArea") if w.focusable]
        empty = [w for w in fields if _needs_input(w)]
        if empty or fields:
            (empty or fields)[0].focus()

    def dismiss(self, result: Any = None) -> Any:
        """Close, then give the focus back to where it was, so what is typed next goes there."""
        done = super().dismiss(result)
        self.app.call_later(self._give_focus_back)
        return done

    def _give_focus_back(self) -> None:
        below, widget = self._below, self._return_to
        if below is None or widget is None or not widget.is_attached or widget.screen is not below:
            return
        if isinstance(widget, Widget) and widget.focusable:
            below.set_focus(widget, scroll_visible=False)

    def fail(self, message: str) -> None:
        self.query_one("#dialog-error", Static).update(Text(message, style="bold red"))

    def action_submit(self) -> None:
        value = self.result()
        if value is not None:
            self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _enter(self) -> None:
        self.action_submit()


def _needs_input(widget: Widget) -> bool:
    """A field still empty: the dialog opens on the first of these (a dropdown set already does not)."""
    if isinstance(widget, Select):
        return widget.is_blank()
    if isinstance(widget, Input):
        return not widget.value
    return isinstance(widget, TextArea) and not widget.text
