"""Exercise mode of the terminal app: the replay plays into the exercise workspace in a worker
thread while the analyst triages; injects show up when due and stay listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.clock import ManualClock
from triage.playbooks import PlaybookSet
from triage.store.workspace import KIND_EXERCISE, Workspace
from triage.tui.screens.help import HelpScreen
from triage.tui.screens.injects import InjectsScreen
from triage.tui.widgets.alert_table import AlertTable
from triage.tui.widgets.exercise_bar import ExerciseBar

from .tui_helpers import HOSTILE, StillClock, exercise_app, make_app, screen_text, settle, wait_until

pytestmark = pytest.mark.asyncio


def alert_count(ws: Workspace) -> int:
    return int(ws.conn.execute("SELECT count(*) FROM alerts").fetchone()[0])


async def test_an_unlimited_replay_fills_the_exercise_queue_and_shows_every_inject(
    tmp_path: Path, playbooks: PlaybookSet
) -> None:
    app, control, ws = exercise_app(tmp_path, playbooks, speed=0, clock=ManualClock())
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, lambda: control.finished is not None)
            table = app.screen.query_one("#alerts", AlertTable)
            assert table.count == 5 and control.delivered == 5  # the queue reloaded as alerts came
            assert "Drill rule 5" in screen_text(app)
            titles = [n.title for n in app._notifications]
            assert any(t.startswith("Inject T+0") for t in titles)
            assert any(t.startswith("Inject T+4m") for t in titles)
            hostile = next(n for n in app._notifications if n.title.startswith("Inject T+4m"))
            assert not hostile.markup and HOSTILE["markup"] in hostile.message
            assert "\\x1b[31m" in hostile.message  # the escape is shown, not sent to the terminal
            await pilot.press("T")
            await pilot.pause()
            assert isinstance(app.screen, InjectsScreen)
            text = screen_text(app)
            assert "Briefing. The helpdesk forwards a phishing report." in text
            assert HOSTILE["markup"] in text and HOSTILE["click"] in text  # literally, not parsed
            await pilot.press("escape")
            await settle(pilot)
        assert control.done.wait(10)
        assert ws.kind == KIND_EXERCISE and ws.exercise == "tt-drill"
        actions = [e.action for e in ws.events()]
        assert actions.count("alert.ingested") == 5
        assert actions[0] == "exercise.started" and actions[-1] == "exercise.ended"
        assert actions.count("exercise.inject") == 2
        assert all(e.exercise == "tt-drill" for e in ws.events())
    finally:
        ws.close()


async def test_pause_holds_delivery_resume_continues_and_skips_jump(
    tmp_path: Path, playbooks: PlaybookSet
) -> None:
    app, control, ws = exercise_app(tmp_path, playbooks, speed=1, clock=StillClock())
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            bar = app.screen.query_one("#exercise", ExerciseBar)
            # scenario time stands still: only what is due at T+0 plays
            await wait_until(pilot, lambda: control.delivered == 1 and len(control.injects) == 1)
            assert alert_count(ws) == 1
            assert "T+0 / T+20m" in str(bar.render()) and "playing" in str(bar.render())
            await pilot.press("N")  # to the next alert: T+1m
            await wait_until(pilot, lambda: control.delivered == 2)
            assert control.replay.position_s == 60
            await pilot.press("P")
            await wait_until(pilot, lambda: control.replay.paused)
            assert "paused" in str(bar.render())
            await pilot.press("N")  # skipping while paused moves time, delivers nothing yet
            await wait_until(pilot, lambda: control.replay.position_s == 300)
            await pilot.pause(0.2)
            assert control.delivered == 2 and len(control.injects) == 1 and alert_count(ws) == 2
            await pilot.press("P")  # resume: the inject at T+4m, then both alerts of T+5m
            await wait_until(pilot, lambda: control.delivered == 4 and len(control.injects) == 2)
            assert app.screen.query_one("#alerts", AlertTable).count == 4
            assert "injects 2/2" in str(bar.render())
            await pilot.press("greater_than_sign")  # five minutes on: T+10m, nothing due
            await wait_until(pilot, lambda: control.replay.position_s == 600)
            assert control.delivered == 4
            await pilot.press("plus")
            await wait_until(pilot, lambda: control.replay.speed == 2)
            await pilot.press("minus", "minus")
            await wait_until(pilot, lambda: control.replay.speed == 1)  # slowest step
            await pilot.press("N")  # the last alert, and the end
            await wait_until(pilot, lambda: control.finished is not None)
            assert control.delivered == 5 and not control.finished.stopped
            assert "finished" in str(bar.render())
    finally:
        ws.close()


async def test_skip_to_the_next_inject_and_quitting_stops_the_replay(
    tmp_path: Path, playbooks: PlaybookSet
) -> None:
    app, control, ws = exercise_app(tmp_path, playbooks, speed=1, clock=StillClock())
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, lambda: len(control.injects) == 1)
            await pilot.press("J")
            await wait_until(pilot, lambda: len(control.injects) == 2)
            assert control.replay.position_s == 240 and control.delivered == 2  # T+0 and T+1m on the way
            assert any(n.title.startswith("Inject T+4m") for n in app._notifications)
        assert control.done.wait(10)  # leaving the app stopped the replay; its end is logged
        ended = [e for e in ws.events() if e.action == "exercise.ended"]
        assert len(ended) == 1 and ended[0].payload["stopped"] is True
    finally:
        ws.close()


async def test_the_exercise_keys_are_in_the_help_and_only_in_exercise_mode(
    tmp_path: Path, playbooks: PlaybookSet, tui_ws: Workspace
) -> None:
    app, _control, ws = exercise_app(tmp_path, playbooks, speed=1, clock=StillClock())
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            text = screen_text(app)
            for does in ("pause/resume", "next alert", "next inject", "skip 5 min", "faster", "slower"):
                assert f"Exercise: {does}" in text
            assert "Exercise: injects so far" in text
    finally:
        ws.close()
    plain = make_app(tui_ws, playbooks)
    async with plain.run_test(size=(120, 36)) as pilot:
        assert not plain.screen.query(ExerciseBar)
        await pilot.press("P", "T")
        await pilot.pause()
        assert not isinstance(plain.screen, InjectsScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Exercise" not in screen_text(plain) and "Pause" not in screen_text(plain)
