"""What every screen that acts on alerts shares: running requests in a worker thread."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.screen import Screen
from textual.widgets import Input, TextArea

from triage.errors import Conflict, TriageError
from triage.store.backend import DatabaseError
from triage.text import printable
from triage.tui.backend import Backend
from triage.tui.messages import AlertCall, CommandsFinished, Outcome, Request, WorkspaceAdvanced


def freeze_cursors(screen: Screen[Any], blink: bool) -> None:
    """Apply the app's cursor-blink setting to a screen's inputs (snapshots turn it off)."""
    for widget in screen.query("Input, TextArea"):
        if isinstance(widget, (Input, TextArea)):
            widget.cursor_blink = blink


class TriageScreen(Screen[None]):
    """A screen over the workspace. It reads what it shows when mounted (each screen's
    ``on_mount`` calls ``reload``), reloads when the log moves and when it comes back into
    view, and sends every change through the command layer in a worker thread."""

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self._resumed = False  # shown once: the first resume follows the mount's own reload

    def reload(self) -> None:
        """Read what the screen shows again (override)."""

    def on_mount(self) -> None:
        freeze_cursors(self, getattr(self.app, "cursor_blink", True))

    def on_screen_resume(self) -> None:
        if self._resumed:
            self.reload()
        self._resumed = True

    def on_workspace_advanced(self, message: WorkspaceAdvanced) -> None:
        message.stop()
        self.reload()

    def request(
        self, verb: str, targets: list[tuple[int, int]], call: AlertCall, *, noun: str = "alert"
    ) -> None:
        if not targets:
            self.notify(f"No {noun} here to act on.", severity="warning")
            return
        self.perform(Request(verb, tuple(targets), call, noun))

    @work(thread=True, group="commands")
    def perform(self, request: Request) -> None:
        """Runs off the UI thread: the write lock can be held by a poller for a while."""

        def run_all(commands: object) -> Outcome:
            outcome = Outcome()
            for alert_id, seq in request.targets:
                try:
                    event = request.call(commands, alert_id, seq)  # type: ignore[arg-type]
                except Conflict as exc:
                    outcome.conflicts.append(str(exc))
                except TriageError as exc:
                    outcome.refused.append(str(exc))
                else:
                    outcome.done.append((alert_id, event.seq))
            return outcome

        try:
            outcome = self.backend.in_thread(run_all)
        except TriageError as exc:
            outcome = Outcome(refused=[f"workspace: {exc}"])
        except DatabaseError as exc:
            outcome = Outcome(refused=[f"workspace: {exc}"])
        self.post_message(CommandsFinished(request, outcome))

    def on_commands_finished(self, message: CommandsFinished) -> None:
        message.stop()
        outcome, verb = message.outcome, message.request.verb
        if outcome.done:
            ids = ", ".join(str(alert_id) for alert_id, _ in outcome.done)
            noun = message.request.noun
            noun = noun if len(outcome.done) == 1 else f"{len(outcome.done)} {noun}s:"
            self.notify(f"{verb.capitalize()} {noun} {ids}", title="Logged")
        for text in outcome.conflicts:
            self.notify(
                f"{printable(text)}. The screen has been reloaded: check it and try again.",
                title="Conflict: someone else changed this alert",
                severity="error",
                timeout=10,
                markup=False,  # command messages can quote what an analyst typed
            )
        for text in outcome.refused:
            self.notify(printable(text), title="Refused", severity="warning", timeout=8, markup=False)
        self.reload()
