"""The saved views ([[views]] in the config file): pick one, save the current query as one, or
rename (``r``) or delete (``delete``) the highlighted one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from triage.config import ViewConfig
from triage.text import printable
from triage.tui.screens.dialog import Dialog

SAVE = "save"  # what the picker returns for "save the current query as a view"


@dataclass(frozen=True)
class ViewEdit:
    """What the picker returns to rename (``kind`` "rename") or delete ("delete") ``view``."""

    kind: str
    view: ViewConfig


class ViewPicker(Dialog[ViewConfig | str | ViewEdit]):
    """Returns the chosen view, ``SAVE``, or a ``ViewEdit``. ``problem`` is why the views could
    not be read."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "edit('rename')", "Rename", tooltip="Rename the highlighted view"),
        Binding("delete,x", "edit('delete')", "Delete", tooltip="Delete the highlighted view"),
    ]

    def __init__(self, views: list[ViewConfig], *, current: str, problem: str | None = None) -> None:
        super().__init__(Text("Saved views", style="bold"))
        self.views = views
        self.current = current
        self.problem = problem

    def body(self) -> ComposeResult:
        if self.problem:
            yield Static(Text(printable(self.problem), style="bold red"), id="view-problem")
        elif not self.views:
            yield Label(Text("No saved views yet ([[views]] in the config file).", style="italic"))
        options = [Option(_label(v), id=f"view-{i}") for i, v in enumerate(self.views)]
        query = printable(self.current, single_line=True) or "(no query)"
        options.append(
            Option(Text.assemble(("+ Save the current query as a view: ", "bold"), query), id=SAVE)
        )
        yield OptionList(*options, id="view-list")
        if self.views:
            yield Static(Text("enter applies · r renames · delete removes the view", style="dim"))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#view-list", OptionList).focus()

    def result(self) -> ViewConfig | str | None:
        option_list = self.query_one("#view-list", OptionList)
        index = option_list.highlighted
        if index is None:
            self.fail("choose a view")
            return None
        option_id = option_list.get_option_at_index(index).id
        if option_id == SAVE:
            return SAVE
        return self.views[int(str(option_id).removeprefix("view-"))]

    def action_edit(self, kind: str) -> None:
        chosen = self.result()
        if isinstance(chosen, ViewConfig):
            self.dismiss(ViewEdit(kind, chosen))
        else:
            self.fail(f"highlight a saved view to {kind}")

    @on(OptionList.OptionSelected)
    def _chosen(self) -> None:
        self.action_submit()


def _label(view: ViewConfig) -> Text:
    return Text.assemble(
        (printable(view.name, single_line=True), "bold"),
        "  ",
        printable(view.query, single_line=True) or "(no query)",
        ("  sort: " + printable(view.sort, single_line=True), "dim"),
    )
