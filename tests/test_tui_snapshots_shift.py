"""Snapshots of the shift's screens, the view picker and the grouped queue, at 80x24 and
120x36 (clock frozen, cursor blink off). Update with ``--snapshot-update`` and review the SVGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from triage.commands import Commands
from triage.config import SavedViews
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui import TriageApp

from .tui_helpers import NOW

SIZES = [(80, 24), (120, 36)]
VIEWS = """\
[[views]]
name = "ssh"
query = 'rule:"SSH*"'
sort = "host asc"

[[views]]
name = "critical web, newest first"
query = "severity:critical host:web-* -assignee:*"
sort = "age desc"
"""


def _app(ws: Workspace, playbooks: PlaybookSet, config: Path) -> TriageApp:
    config.write_text(VIEWS)
    return TriageApp(
        ws,
        Commands(ws, playbooks, "alice"),
        playbooks,
        "alice",
        lambda: NOW,
        poll_interval=0,
        cursor_blink=False,
        views=SavedViews(config),
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_view_picker(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = _app(tui_ws, playbooks, tmp_path / "config.toml")
    assert snap_compare(app, terminal_size=size, press=["v", "down"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_grouped_queue(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path, size: tuple[int, int]
) -> None:
    """Grouped by rule, the first group expanded, the cursor on its second alert."""
    app = _app(tui_ws, playbooks, tmp_path / "config.toml")
    assert snap_compare(app, terminal_size=size, press=["b", "enter", "down", "down"])
