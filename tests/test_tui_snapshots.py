"""Snapshots of every screen and dialog at 80x24 and 120x36, clock frozen, cursor blink off.

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and review the SVGs under ``tests/__snapshots__/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace

from .tui_helpers import T0, StillClock, exercise_app, frozen_clock, make_app, wait_until

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])


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
        bob.close(3, "false_positive", "authorised scan", override="a scan, no playbook steps apply")


async def _open_alert_one(pilot: Pilot[Any]) -> None:
    await pilot.press("slash", "number_sign", "1", "enter", "enter")
    await pilot.pause(0.4)


def _on_alert_one(*keys: str) -> Any:
    async def run(pilot: Pilot[Any]) -> None:
        await _open_alert_one(pilot)
        await pilot.press(*keys)
        await pilot.pause(0.2)

    return run


@SIZES
def test_queue(snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int]) -> None:
    _history(tui_ws, playbooks)
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=size, press=["down", "space", "down"])


@SIZES
def test_alert_detail(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int]
) -> None:
    _history(tui_ws, playbooks)
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=size, run_before=_open_alert_one)


@SIZES
def test_alert_raw_tree(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int]
) -> None:
    async def open_raw(pilot: Pilot[Any]) -> None:
        await pilot.press("enter", "2")
        await pilot.pause()

    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=size, run_before=open_raw)


@SIZES
@pytest.mark.parametrize("tab", ["3", "4"], ids=["related", "timeline"])
def test_alert_tabs(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int], tab: str
) -> None:
    _history(tui_ws, playbooks)
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=size, run_before=_on_alert_one(tab))


@SIZES
def test_close_dialog(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=size, press=["down", "c"])


@SIZES
@pytest.mark.parametrize(
    "key", ["n", "x", "v", "e", "A"], ids=["note", "step", "severity", "escalate", "assign"]
)
def test_alert_dialogs(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int], key: str
) -> None:
    _history(tui_ws, playbooks)
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=size, run_before=_on_alert_one(key))


@SIZES
def test_help(snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=size, press=["question_mark"])


@SIZES
def test_help_scrolled_to_the_end(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int]
) -> None:
    """The alert detail's help, its last keys and the mouse's."""
    assert snap_compare(
        make_app(tui_ws, playbooks), terminal_size=size, press=["enter", "question_mark", "end"]
    )


@SIZES
def test_incidents(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int]
) -> None:
    _history(tui_ws, playbooks)
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=size, press=["i"])


@SIZES
def test_incident_detail(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int]
) -> None:
    _history(tui_ws, playbooks)
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=size, press=["i", "enter"])


@SIZES
def test_incident_close_dialog(
    snap_compare: Any, tui_ws: Workspace, playbooks: PlaybookSet, size: tuple[int, int]
) -> None:
    _history(tui_ws, playbooks)
    assert snap_compare(make_app(tui_ws, playbooks), terminal_size=size, press=["i", "enter", "c"])


@SIZES
@pytest.mark.parametrize("keys", [[], ["T"], ["q"]], ids=["queue", "injects", "leave"])
def test_exercise(
    snap_compare: Any, tmp_path: Path, playbooks: PlaybookSet, size: tuple[int, int], keys: list[str]
) -> None:
    """The exercise bar over the queue: scenario time stands still, two alerts and the
    briefing have played, the briefing's notification is up (T: the injects so far; q: the
    question before leaving)."""
    with frozen_clock(T0):
        app, control, ws = exercise_app(tmp_path, playbooks, speed=30, clock=StillClock())

        async def to_the_second_alert(pilot: Pilot[Any]) -> None:
            await wait_until(pilot, lambda: control.delivered == 1 and len(control.injects) == 1)
            await pilot.press("N")
            await wait_until(pilot, lambda: control.delivered == 2)
            await pilot.press(*keys)
            await pilot.pause()

        try:
            assert snap_compare(app, terminal_size=size, run_before=to_the_second_alert)
        finally:
            ws.close()
