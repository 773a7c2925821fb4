"""The replay engine: a scenario's alerts and injects, played in scenario time.

Scenario time runs at ``speed`` times the clock (``speed`` 0: as fast as possible) and can be
paused, resumed and skipped ahead. Alerts go to a ``Sink`` (the exercise workspace, or a search
index); everything that happens is told as a past-tense event (``AlertsReplayed``,
``InjectDue``, ...) to the listener and through ``events()``.

Threads: ``run()``/``events()`` belong to one thread (a UI's worker); ``pause``, ``resume``,
``skip_ahead``, ``set_speed`` and ``stop`` may be called from any other thread and take effect
at once (the worker wakes up). Events they cause are emitted by the worker thread, in order.
The clock (a monotonic ``triage.clock.Clock``) is injected, so tests replay deterministically
without waiting.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from triage.clock import Clock, RealClock
from triage.errors import TriageError
from triage.tabletop.scenario import Inject, Scenario, ScenarioAlert, format_offset

UNLIMITED = 0.0
EPSILON_S = 1e-6  # an item this close to due is due (clock arithmetic in floats)
IDLE_WAIT_S = 3600.0  # how long a paused replay sleeps before looking again (any control wakes it)


# -- what a sink reports, and the events -------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What became of a batch of replayed alerts at the sink."""

    delivered: int = 0  # stored (or indexed) as new
    duplicates: int = 0
    failed: int = 0  # quarantined by the workspace, refused by the index
    alert_ids: tuple[int, ...] = ()  # workspace alert ids, when the sink is a workspace
    problems: tuple[str, ...] = ()


class Sink(Protocol):
    def deliver(self, alerts: Sequence[ScenarioAlert]) -> Delivery: ...


@dataclass(frozen=True)
class ReplayStarted:
    at_s: float
    scenario: str
    title: str
    alerts: int
    injects: int
    duration_s: float
    speed: float


@dataclass(frozen=True)
class AlertsReplayed:
    """Alerts recorded ``at_s`` into the scenario were delivered (one event per instant)."""

    at_s: float
    alerts: tuple[ScenarioAlert, ...]
    delivery: Delivery

    @property
    def label(self) -> str:
        return format_offset(self.at_s)


@dataclass(frozen=True)
class InjectDue:
    """An inject fell due: show ``text`` to the participants."""

    at_s: float
    index: int  # its place in the scenario's injects
    label: str  # "T+12m"
    text: str


@dataclass(frozen=True)
class ReplayPaused:
    at_s: float


@dataclass(frozen=True)
class ReplayResumed:
    at_s: float


@dataclass(frozen=True)
class SkippedAhead:
    from_s: float
    to_s: float


@dataclass(frozen=True)
class SpeedChanged:
    at_s: float
    speed: float


@dataclass(frozen=True)
class ReplayFinished:
    at_s: float
    alerts: int  # replayed
    injects: int  # shown
    stopped: bool  # stopped before the end


ReplayEvent = (
    ReplayStarted
    | AlertsReplayed
    | InjectDue
    | ReplayPaused
    | ReplayResumed
    | SkippedAhead
    | SpeedChanged
    | ReplayFinished
)
Listener = Callable[[ReplayEvent], None]


@dataclass(frozen=True)
class _Item:
    offset_s: float
    inject: tuple[int, Inject] | None = None
    alert: ScenarioAlert | None = None


@dataclass
class _State:
    pos: float = 0.0  # scenario seconds at ``anchor``
    anchor: float = 0.0  # clock reading when the position was ``pos``
    speed: float = 1.0
    paused: bool = False
    stopped: bool = False
    started: bool = False
    finished: bool = False
    next: int = 0  # index of the next item to play
    alerts: int = 0
    injects: int = 0
    pending: deque[ReplayEvent] = field(default_factory=deque)


def _check_speed(speed: float) -> float:
    if isinstance(speed, bool) or not speed >= 0 or speed == float("inf"):
        raise TriageError(
            f"speed {speed!r}: give a positive number (30 = thirty times faster), or 0 for no waiting"
        )
    return float(speed)


class Replay:
    """Plays one scenario into a sink. See the module docstring for threads."""

    def __init__(
        self,
        scenario: Scenario,
        sink: Sink,
        *,
        speed: float = 1.0,
        clock: Clock | None = None,
        listener: Listener | None = None,
    ) -> None:
        self.scenario = scenario
        self.sink = sink
        self.clock: Clock = clock or RealClock()
        self.listener = listener
        items = [_Item(i.at.total_seconds(), inject=(n, i)) for n, i in enumerate(scenario.spec.injects)]
        items += [_Item(a.offset_s, alert=a) for a in scenario.alerts]
        # By time; at the same instant injects come first (the briefing before the alerts).
        self._items = sorted(items, key=lambda it: (it.offset_s, it.alert is not None))
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._s = _State(speed=_check_speed(speed), anchor=self.clock.monotonic())

    # -- what a UI reads -----------------------------------------------------------------

    @property
    def speed(self) -> float:
        return self._s.speed

    @property
    def paused(self) -> bool:
        return self._s.paused

    @property
    def finished(self) -> bool:
        return self._s.finished

    @property
    def duration_s(self) -> float:
        return self._items[-1].offset_s if self._items else 0.0

    @property
    def position_s(self) -> float:
        """Where scenario time stands now."""
        with self._lock:
            return self._position()

    @property
    def next_due_s(self) -> float | None:
        """When the next alert or inject falls due (scenario seconds), if any is left."""
        with self._lock:
            return self._items[self._s.next].offset_s if self._s.next < len(self._items) else None

    @property
    def remaining(self) -> tuple[int, int]:
        """Alerts and injects still to play."""
        with self._lock:
            rest = self._items[self._s.next :]
            return sum(it.alert is not None for it in rest), sum(it.inject is not None for it in rest)

    # -- controls (any thread) ---------------------------------------------------------------

    def _position(self) -> float:
        s = self._s
        if s.paused or s.speed == UNLIMITED or not s.started:
            return s.pos
        return s.pos + (self.clock.monotonic() - s.anchor) * s.speed

    def _rebase(self) -> None:
        self._s.pos = self._position()
        self._s.anchor = self.clock.monotonic()

    def _control(self, event: ReplayEvent | None) -> None:
        if event is not None:
            self._s.pending.append(event)
        self._wake.set()

    def pause(self) -> bool:
        """Stop scenario time; returns False if it was already paused or is over."""
        with self._lock:
            if self._s.paused or self._s.finished:
                return False
            self._rebase()
            self._s.paused = True
            self._control(ReplayPaused(self._s.pos))
            return True

    def resume(self) -> bool:
        with self._lock:
            if not self._s.paused or self._s.finished:
                return False
            self._s.anchor = self.clock.monotonic()
            self._s.paused = False
            self._control(ReplayResumed(self._s.pos))
            return True

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on (0: as fast as possible)."""
        speed = _check_speed(speed)
        with self._lock:
            self._rebase()
            self._s.speed = speed
            self._control(SpeedChanged(self._s.pos, speed))

    def skip_ahead(
        self, seconds: float | None = None, *, to: Literal["alert", "inject"] | None = None
    ) -> float:
        """Move scenario time forward by ``seconds``, or to the next alert or inject (``to``)
        after the current position (the end, when there is none).

        Nothing is dropped: alerts and injects skipped over fall due at once, in order.
        Works while paused (the replay stays paused). Returns the new position."""
        if (seconds is None) == (to is None):
            raise TriageError("skip ahead by a number of seconds or to the next alert or inject, not both")
        if seconds is not None and not seconds >= 0:
            raise TriageError(f"skip ahead by {seconds!r} seconds: give a positive number")
        with self._lock:
            self._rebase()
            here = self._s.pos
            if seconds is not None:
                target = here + seconds
            else:
                rest = self._items[self._s.next :]
                wanted = [
                    it.offset_s
                    for it in rest
                    if (it.alert if to == "alert" else it.inject) is not None
                    and it.offset_s > here + EPSILON_S
                ]
                target = wanted[0] if wanted else self.duration_s
            target = max(here, target)
            self._s.pos = target
            self._control(SkippedAhead(here, target))
            return target

    def stop(self) -> None:
        """End the replay early; ``run`` returns with a ``ReplayFinished(stopped=True)``."""
        with self._lock:
            self._s.stopped = True
            self._control(None)

    # -- playing (one thread) ----------------------------------------------------------------

    def step(self) -> list[ReplayEvent]:
        """Play the next thing due now, if any: one inject, or the alerts recorded at one
        instant. Returns what happened, control events (pause, skip, ...) first."""
        with self._lock:
            s = self._s
            out: list[ReplayEvent] = []
            if not s.started:
                s.started = True
                s.anchor = self.clock.monotonic()
                n_alerts, n_injects = self.remaining
                out.append(
                    ReplayStarted(
                        s.pos,
                        self.scenario.spec.id,
                        self.scenario.spec.title,
                        n_alerts,
                        n_injects,
                        self.duration_s,
                        s.speed,
                    )
                )
            while s.pending:
                out.append(s.pending.popleft())
            if s.finished:
                return out
            due: list[_Item] = []
            if not s.paused and not s.stopped and s.next < len(self._items):
                pos = self._position()
                head = self._items[s.next]
                if s.speed == UNLIMITED:
                    pos = s.pos = max(pos, head.offset_s)
                if head.offset_s <= pos + EPSILON_S:
                    due.append(head)
                    s.next += 1
                    while (
                        head.alert is not None
                        and s.next < len(self._items)
                        and self._items[s.next].alert is not None
                        and self._items[s.next].offset_s == head.offset_s
                    ):
                        due.append(self._items[s.next])
                        s.next += 1
        # Deliver outside the lock: a UI thread can pause while the sink writes.
        if due and due[0].inject is not None:
            n, inject = due[0].inject
            out.append(InjectDue(due[0].offset_s, n, inject.label, inject.text))
            s.injects += 1
        elif due:
            alerts = tuple(it.alert for it in due if it.alert is not None)
            out.append(AlertsReplayed(due[0].offset_s, alerts, self.sink.deliver(alerts)))
            s.alerts += len(alerts)
        with self._lock:
            while s.pending:
                out.append(s.pending.popleft())
            if s.stopped or s.next >= len(self._items):
                s.finished = True
                out.append(ReplayFinished(self._position(), s.alerts, s.injects, s.next < len(self._items)))
        return out

    def _due_now(self) -> bool:
        s = self._s
        if s.paused or s.stopped or s.next >= len(self._items):
            return False
        return s.speed == UNLIMITED or self._items[s.next].offset_s <= self._position() + EPSILON_S

    def _wait_s(self) -> float:
        """Clock seconds until the next item is due (a long while when paused)."""
        s = self._s
        if s.paused:
            return IDLE_WAIT_S
        if s.speed == UNLIMITED or s.next >= len(self._items):
            return 0.0
        return max(0.0, (self._items[s.next].offset_s - self._position()) / s.speed)

    def events(self) -> Iterator[ReplayEvent]:
        """Play the scenario to its end (or ``stop``), yielding each event as it happens."""
        while True:
            for event in self.step():
                if self.listener is not None:
                    self.listener(event)
                yield event
            with self._lock:
                if self._s.finished:
                    return
                self._wake.clear()
                if self._s.pending or self._s.stopped or self._due_now():
                    continue
                wait = self._wait_s()
            if wait > 0:
                self.clock.sleep(wait, self._wake)

    def run(self) -> ReplayFinished:
        """Play to the end (or ``stop``); the listener hears every event."""
        last: ReplayEvent | None = None
        for last in self.events():  # noqa: B007 - the last one is the answer
            pass
        assert isinstance(last, ReplayFinished)
        return last
