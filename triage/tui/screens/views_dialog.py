"""Renaming and deleting a saved view, from the view picker: a name asked for, or the deletion
confirmed, then done through ``triage.config.SavedViews`` (the config file, every other byte of
it as it was)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.screen import Screen

from triage.config import SavedViews
from triage.errors import TriageError
from triage.text import printable
from triage.tui.screens.confirm_dialog import ConfirmDialog
from triage.tui.screens.prompt_dialog import PromptDialog
from triage.tui.screens.view_picker import ViewEdit


def edit_view(screen: Screen[Any], saved: SavedViews | None, edit: ViewEdit) -> None:
    """Ask, then rename or delete ``edit.view``; the outcome is a notification."""
    if saved is None:
        screen.notify("This app has no config file to keep views in.", severity="warning")
        return
    name = edit.view.name
    shown = printable(name, single_line=True)

    def failed(exc: Exception) -> None:
        screen.notify(printable(str(exc)), title="Views", severity="error", markup=False)

    if edit.kind == "rename":

        def renamed(new_name: str | None) -> None:
            if not new_name or new_name == name:
                return
            try:
                saved.rename(name, new_name)
            except (TriageError, ValueError) as exc:  # ValueError: a name pydantic refuses
                failed(exc)
                return
            new_shown = printable(new_name, single_line=True)
            screen.notify(f"Renamed view {shown} to {new_shown}", title="Views", markup=False)

        title = Text.assemble(("Rename the view ", "bold"), shown)
        screen.app.push_screen(PromptDialog(title, "New name", value=name), renamed)
        return

    def confirmed(yes: bool | None) -> None:
        if not yes:
            return
        try:
            saved.delete(name)
        except TriageError as exc:
            failed(exc)
            return
        screen.notify(f"Deleted view {shown}", title="Views", markup=False)

    question = Text.assemble(
        "Remove the view ", (shown, "bold"), " from ", printable(str(saved.path), single_line=True), "?"
    )
    screen.app.push_screen(ConfirmDialog(Text("Delete a saved view", style="bold"), question), confirmed)
