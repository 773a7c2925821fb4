"""Snapshots of the main screens at 120x36, clock frozen, cursor blink off.

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and review the SVGs under ``tests/__snapshots__/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace

from .tui_helpers import T0, StillClock, exercise_app, frozen_clock, make_app, wait_until

SIZE = (120, 36)


def _history(ws: Workspace, playbooks: PlaybookSet) -> None:
    """A little history, written with the frozen clock so the screens never change."""
    bob = Commands(ws, playbooks, "bob")
    with frozen_clock(T0):
        bob.acknowledge(1)
        bob.note(1, "Failures from one /24 only.\nChecked the VPN logs too.")
        bob.complete_step(1, "validate", note="10 failures, then a success")
        bob.assign(2, "carol")
        bob.escalate(6, title="Malware on web-00")
        bob.link(11, 1)


def test_queue(snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    _history(tui_ws, playbooks)
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=SIZE, press=["down", "space", "down"])


def test_alert_detail(snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    _history(tui_ws, playbooks)

    async def open_alert_one(pilot: Pilot[Any]) -> None:
        await pilot.press("slash", "number_sign", "1", "enter", "enter")
        await pilot.pause(0.4)

    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=SIZE, run_before=open_alert_one)


def test_alert_raw_tree(snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    async def open_raw(pilot: Pilot[Any]) -> None:
        await pilot.press("enter", "2")
        await pilot.pause()

    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=SIZE, run_before=open_raw)


def test_close_dialog(snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=SIZE, press=["down", "c"])


def test_incidents(snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    _history(tui_ws, playbooks)
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=SIZE, press=["i"])


def test_incident_detail(snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    _history(tui_ws, playbooks)
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=SIZE, press=["i", "enter"])


def test_queue_in_an_exercise(snap_compare: Any, tmp_path: Path, playbooks: PlaybookSet) -> None:
    """The exercise bar over the queue: scenario time stands still, two alerts and the
    briefing have played, the briefing's notification is up."""
    with frozen_clock(T0):
        app, control, ws = exercise_app(tmp_path, playbooks, speed=30, clock=StillClock())

        async def to_the_second_alert(pilot: Pilot[Any]) -> None:
            await wait_until(pilot, lambda: control.delivered == 1 and len(control.injects) == 1)
            await pilot.press("N")
            await wait_until(pilot, lambda: control.delivered == 2)

        try:
            assert snap_compare(app, terminal_size=SIZE, run_before=to_the_second_alert)
        finally:
            ws.close()
