"""Exercise mode of the terminal app: the replay plays into the exercise workspace in a worker
thread while the analyst triages; injects show up when due and stay listed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from triage.clock import ManualClock, parse_time
from triage.playbooks import PlaybookSet
from triage.store.workspace import KIND_EXERCISE, Workspace
from triage.tabletop.minutes import build as build_minutes
from triage.tui.messages import WorkspaceAdvanced
from triage.tui.screens.confirm_dialog import ConfirmDialog
from triage.tui.screens.help import HelpScreen
from triage.tui.screens.injects import InjectsScreen
from triage.tui.screens.queue import QueueScreen
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
        async with app.run_test(size=(120, 60)) as pilot:  # every key of the help on one screen
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


async def test_in_an_exercise_ages_targets_the_log_and_the_minutes_run_in_scenario_time(
    tmp_path: Path, playbooks: PlaybookSet
) -> None:
    """At 30x, 40 minutes of scenario time pass in moments of wall time: the queue shows the
    acknowledge target breached, the acknowledgement is stamped in scenario time, and the
    minutes measure it against the target in the same clock."""
    app, control, ws = exercise_app(tmp_path, playbooks, speed=30, clock=StillClock())
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, lambda: control.delivered == 1)
            alert = ws.conn.execute("SELECT id, ingested_at, ack_due FROM alerts").fetchone()
            start = parse_time(next(e.ts for e in ws.events() if e.action == "exercise.started"))
            assert parse_time(alert[1]) == start  # ingested at T+0, in scenario time
            target_s = (parse_time(alert[2]) - start).total_seconds()
            table = app.screen.query_one("#alerts", AlertTable)
            row = table.current_row()
            assert row is not None and row.id == alert[0]
            assert "0s" in screen_text(app).splitlines()[table.region.y + 1]  # AGE: just arrived

            control.skip_by(target_s + 600)  # ten minutes past the target, in scenario time
            await wait_until(pilot, lambda: control.finished is not None)  # the rest arrived meanwhile
            app.screen.post_message(WorkspaceAdvanced(0))  # repaint now rather than on the next poll
            await wait_until(pilot, lambda: table.count == 5)
            await pilot.press("G")  # the first alert is the oldest: the last row
            await settle(pilot)
            row = table.current_row()
            assert row is not None and row.id == alert[0]
            line = screen_text(app).splitlines()[table.region.y + 1 + table.cursor - int(table.scroll_y)]
            assert "Drill rule 1" in line and "!10m over" in line, line

            await pilot.press("a")
            await settle(pilot)
            ack = [e for e in ws.events() if e.action == "alert.acknowledged"]
            assert len(ack) == 1
            assert parse_time(ack[0].ts) == start + timedelta(seconds=target_s + 600)
            record = next(r for r in build_minutes(ws).alerts if r.id == alert[0])
            assert record.ack_s == target_s + 600 and record.ack_within == target_s
            assert not record.ack_in_time
    finally:
        ws.close()


async def test_leaving_an_exercise_asks_first(tmp_path: Path, playbooks: PlaybookSet) -> None:
    app, control, ws = exercise_app(tmp_path, playbooks, speed=1, clock=StillClock())
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: control.delivered == 1)
            await pilot.press("q")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            assert "The replay stops here" in screen_text(app)
            await pilot.press("escape")  # no: the exercise goes on
            await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen))
            assert app.is_running
            assert not control.done.is_set() and control.finished is None
            await pilot.press("q")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("enter")  # yes
            await wait_until(pilot, lambda: not app.is_running)
        assert control.done.wait(10)
        assert [e.payload["stopped"] for e in ws.events() if e.action == "exercise.ended"] == [True]
    finally:
        ws.close()
