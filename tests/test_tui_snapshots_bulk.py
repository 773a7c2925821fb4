"""Snapshots of bulk severity and escalation from a selection, and of the pivot from an alert's
overview and its result, at 80x24 and 120x36 (clock frozen, cursor blink off). Update with
``--snapshot-update`` and review the SVGs."""

from __future__ import annotations

from typing import Any

import pytest

from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace

from .tui_helpers import make_app

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])


@SIZES
@pytest.mark.parametrize(
    "keys",
    [
        ["space", "space", "r"],
        ["space", "space", "e"],
        ["down", "enter", "p"],
        ["down", "enter", "p", "enter"],
    ],
    ids=["bulk-severity", "bulk-escalate", "pivot-picker", "pivoted-queue"],
)
def test_bulk_and_pivot(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int], keys: list[str]
) -> None:
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=size, press=keys)
