"""What the app is built from, and how a worker thread reaches the command layer.

An SQLite connection belongs to the thread that opened it, so commands run in worker
threads each open their own connection to the same workspace file (and close it). Reads on
the UI thread use the injected workspace: each one is a bounded, indexed query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from triage.commands import Commands
from triage.config import SavedViews
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui.exercise import ExerciseControl

T = TypeVar("T")


@dataclass
class Backend:
    ws: Workspace
    commands: Commands
    playbooks: PlaybookSet
    analyst: str
    clock: Callable[[], datetime]
    exercise: ExerciseControl | None = None  # exercise mode only
    views: SavedViews | None = None  # the config file's [[views]], when the app has a config file
    suppression_max_days: int = 90  # the longest a suppression rule made here may last (the config's)

    def in_thread(self, fn: Callable[[Commands], T]) -> T:
        """Run ``fn`` with a command layer of its own (call from a worker thread)."""
        ws = Workspace.open(self.ws.location)
        try:
            return fn(Commands(ws, self.commands.playbooks, self.commands.actor))
        finally:
            ws.close()
