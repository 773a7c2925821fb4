"""Exercise mode: what the app is given when a tabletop exercise plays into its workspace.

The replay runs in a worker thread (``play``); the UI thread reads what it has heard
(``heard``, fed by messages) and drives it (pause, skip, speed). Outside an exercise the app
has none of this.
"""

from __future__ import annotations

import threading

from triage.tabletop.exercise import Exercise
from triage.tabletop.replay import (
    UNLIMITED,
    AlertsReplayed,
    InjectDue,
    Listener,
    Replay,
    ReplayEvent,
    ReplayFinished,
)
from triage.tabletop.scenario import format_offset

SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)  # faster / slower step through these
SKIP_S = 300.0  # the skip-ahead key: five minutes of scenario time


def speed_label(speed: float) -> str:
    return "full speed" if speed == UNLIMITED else f"{speed:g}x"


class ExerciseControl:
    """One exercise as the app sees it: its replay, and what has been heard of it so far."""

    def __init__(self, exercise: Exercise) -> None:
        self.exercise = exercise
        self.replay: Replay = exercise.replay
        self.clock = exercise.clock  # scenario time: what the app shows and the log is stamped with
        spec = exercise.scenario.spec
        self.title = spec.title
        self.scenario = spec.id
        self.exercise_id = exercise.ws.exercise or ""
        self.total_alerts = len(exercise.scenario.alerts)
        self.inject_times = [i.at.total_seconds() for i in spec.injects]
        self.injects: list[InjectDue] = []  # shown so far, in the order they fell due
        self.delivered = 0
        self.finished: ReplayFinished | None = None
        self.failure: str | None = None
        self.done = threading.Event()  # set when ``play`` has returned

    # -- the worker thread -------------------------------------------------------------------

    def play(self, listener: Listener) -> ReplayFinished:
        """Play the exercise to its end (or ``stop``) through a connection of this thread."""
        try:
            self.exercise.reopen()
            self.exercise.listen(listener)
            try:
                # Also kept here: the app may be gone before its message about the end arrives.
                self.finished = self.exercise.run()
                return self.finished
            finally:
                self.exercise.close()
        finally:
            self.done.set()

    # -- the UI thread -----------------------------------------------------------------------

    def heard(self, event: ReplayEvent) -> None:
        if isinstance(event, AlertsReplayed):
            self.delivered += event.delivery.delivered
        elif isinstance(event, InjectDue):
            self.injects.append(event)
        elif isinstance(event, ReplayFinished):
            self.finished = event

    def next_inject(self) -> tuple[float, str] | None:
        """When the next inject not yet shown falls due, and its label."""
        shown = {i.index for i in self.injects}
        left = [(at, n) for n, at in enumerate(self.inject_times) if n not in shown]
        if not left:
            return None
        at, _ = min(left)
        return at, format_offset(at)

    def toggle_pause(self) -> bool:
        """Pause or resume; returns whether the replay is paused now."""
        if not self.replay.pause():
            self.replay.resume()
        return self.replay.paused

    def skip_to(self, what: str) -> float:
        return self.replay.skip_ahead(to="inject" if what == "inject" else "alert")

    def skip_by(self, seconds: float = SKIP_S) -> float:
        return self.replay.skip_ahead(seconds)

    def faster(self) -> float:
        speed = self.replay.speed
        if speed != UNLIMITED:
            bigger = [s for s in SPEEDS if s > speed]
            self.replay.set_speed(bigger[0] if bigger else UNLIMITED)
        return self.replay.speed

    def slower(self) -> float:
        speed = self.replay.speed
        smaller = [s for s in SPEEDS if s < speed] if speed != UNLIMITED else list(SPEEDS)
        if smaller:
            self.replay.set_speed(smaller[-1])
        return self.replay.speed

    def stop(self) -> None:
        self.replay.stop()
