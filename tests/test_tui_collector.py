"""The cycle collector's full passes wait for the analyst to be idle (triage.tui.collector)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui.collector import CHECK_EVERY, LATEST, QUIET, IdleCollector

from .tui_helpers import make_app, settle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def thresholds() -> Iterator[tuple[int, ...]]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*saved)


def middle_passes(n: int) -> None:
    for _ in range(n):
        gc.collect(1)  # each counts towards the next full pass, as the collector's own do


def test_a_due_full_pass_waits_for_a_pause_and_then_runs(thresholds: tuple[int, ...]) -> None:
    clock = Clock()
    collector = IdleCollector(clock)
    collector.start()
    try:
        assert gc.get_threshold() == (700, 10, 1 << 30)  # the collector runs none of its own
        gc.collect()
        middle_passes(9)
        clock.now += 10
        assert not collector.tick() and gc.get_count()[2] == 9  # not due yet
        middle_passes(1)
        collector.active()
        clock.now += QUIET / 2
        full = gc.get_stats()[2]["collections"]
        assert not collector.tick()  # due, but the analyst is busy
        assert gc.get_stats()[2]["collections"] == full
        clock.now += QUIET
        assert collector.tick() and collector.passes == 1
        assert gc.get_stats()[2]["collections"] == full + 1 and gc.get_count()[2] == 0
    finally:
        collector.stop()
    assert gc.get_threshold() == thresholds


def test_a_session_never_idle_gets_its_full_pass_all_the_same(thresholds: tuple[int, ...]) -> None:
    clock = Clock()
    collector = IdleCollector(clock)
    collector.start()
    try:
        gc.collect()
        middle_passes(LATEST - 1)
        collector.active()
        assert not collector.tick()
        middle_passes(1)
        assert collector.tick() and gc.get_count()[2] == 0
    finally:
        collector.stop()


def test_a_paused_collector_is_left_paused(thresholds: tuple[int, ...]) -> None:
    clock = Clock()
    collector = IdleCollector(clock)
    collector.start()
    gc.disable()  # an ingest's batch in a worker thread
    try:
        gc.collect()
        middle_passes(LATEST)
        clock.now += 10
        assert not collector.tick() and gc.get_count()[2] == LATEST
    finally:
        gc.enable()
        collector.stop()


@pytest.mark.asyncio
async def test_the_app_takes_over_the_full_passes_while_it_runs(
    tui_ws: Workspace, playbooks: PlaybookSet, thresholds: tuple[int, ...]
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert gc.get_threshold()[2] == 1 << 30
        before = app.collector._last
        await pilot.press("down")
        assert app.collector._last > before  # a key is input
        passes = app.collector.passes
        middle_passes(LATEST - 1)  # due, not overdue: it waits for the pause
        assert gc.get_count()[2] >= LATEST - 1 and app.collector.passes == passes
        await pilot.pause(QUIET + 4 * CHECK_EVERY)  # the analyst pauses; the app's timer runs it
        assert app.collector.passes > passes and gc.get_count()[2] < LATEST - 1
    assert gc.get_threshold() == thresholds
