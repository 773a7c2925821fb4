"""Time in triage is UTC and explicit, and every reading of the wall clock goes through here.

``utc_now`` (and ``now_ts``, ``epoch_s``) read the one wall clock, which ``set_clock`` freezes or
replaces: during a tabletop exercise it is ``ScenarioTime``, so that every time written, shown
and scored is scenario time. Durations and waiting use a monotonic clock instead, never the
wall clock: ``Clock`` is that clock's interface (read it, sleep on it), ``RealClock`` the
system's and ``ManualClock`` one that moves only when told to (tests). The tabletop replay's
scenario time runs on a ``Clock``.

Timestamps are stored as fixed-width ISO 8601 strings with microseconds and a
``Z`` suffix, so that string order is time order and range queries work on text.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from dateutil import parser as dateparser


def _system_now() -> datetime:
    return datetime.now(UTC)


_now: Callable[[], datetime] = _system_now


def utc_now() -> datetime:
    return _now()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Freeze or replace the clock (tests, exercises). ``None`` restores the real one."""
    global _now
    _now = fn if fn is not None else _system_now


def current_clock() -> Callable[[], datetime]:
    """The clock ``utc_now`` reads now (to put it back after ``set_clock``)."""
    return _now


class ScenarioTime:
    """The clock of an exercise: the moment it started plus the scenario time played since,
    which runs at the replay's speed, stands still while it is paused and jumps when it skips.
    Installed with ``set_clock`` while an exercise plays, it is the one clock: events are
    stamped with it, ages and targets run on it, and the minutes measure in it."""

    def __init__(self, start: datetime, position_s: Callable[[], float]) -> None:
        if start.tzinfo is None:
            raise ValueError("naive datetime: triage only handles times with a time zone")
        self.start = start
        self.position_s = position_s

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=self.position_s())


class Clock(Protocol):
    """A monotonic clock to measure and wait on (never the wall clock: see ``utc_now``)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        """Return after ``seconds``, or as soon as ``wake`` is set."""
        ...


class RealClock:
    """The system's monotonic clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        wake.wait(max(seconds, 0.0))


class ManualClock:
    """A clock that moves only when told to: ``sleep`` moves it forward at once (tests)."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        self.slept.append(seconds)
        if not wake.is_set():
            self.now += max(seconds, 0.0)


def epoch_s() -> float:
    """Now as seconds since the epoch (what search servers' epoch-millisecond sort values count)."""
    return utc_now().timestamp()


def format_ts(dt: datetime) -> str:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: triage only handles times with a time zone")
    # isoformat is several times faster than strftime; same fixed-width result.
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def display_time(value: str | datetime | None) -> str:
    """A time as people read it, in every output they read (the CLI, the terminal app, the
    exercise minutes): to the second, with its zone, ``2026-10-01 07:44:30 UTC``. JSON
    outputs keep the stored timestamp instead."""
    if value is None or value == "":
        return "-"
    try:
        dt = value if isinstance(value, datetime) else parse_time(value)
    except ValueError:
        return str(value)
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


_second: tuple[int, str] = (-1, "")  # the last whole second now_ts wrote, and its text


def now_ts() -> str:
    """``format_ts(utc_now())``. On the system clock, the same text from the clock's reading
    without a datetime: each event's stamp is read so, and formatting a datetime took a few
    microseconds of every append."""
    if _now is not _system_now:
        return format_ts(_now())
    return _stamp(time.time_ns())


def _stamp(ns: int) -> str:
    """``format_ts`` of the moment ``ns`` nanoseconds after the epoch, floored to the
    microsecond as ``datetime.now`` floors it (the second's text is kept for the next call)."""
    global _second
    seconds, micros = divmod(ns // 1000, 1_000_000)
    cached = _second
    if cached[0] != seconds:
        text = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        cached = _second = (seconds, text)
    return f"{cached[1]}.{micros:06d}Z"


_EPOCH_RE = re.compile(r"^\d{9,16}(\.\d+)?$")


def parse_time(value: object) -> datetime:
    """Parse what sources send: ISO 8601 in its many spellings, or epoch seconds/milliseconds.

    A time without a zone is taken as UTC (what SIEMs mean when they omit it).
    Raises ``ValueError`` for anything else.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    elif isinstance(value, (int, float)) or (isinstance(value, str) and _EPOCH_RE.match(value)):
        num = float(value)
        if num > 1e11:  # milliseconds
            num /= 1000.0
        dt = datetime.fromtimestamp(num, UTC)
    elif isinstance(value, str):
        if len(value) > 64:
            raise ValueError("not a time: value too long")
        try:
            # The common case (ISO 8601 from a SIEM) without dateutil's overhead.
            dt = datetime.fromisoformat(value)
        except ValueError:
            dt = _parse_slow(value)
    else:
        raise ValueError(f"not a time: {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _parse_slow(value: str) -> datetime:
    try:
        return dateparser.isoparse(value)
    except (ValueError, OverflowError):
        try:
            return dateparser.parse(value)
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"not a time: {value!r}") from exc


_DURATION_RE = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | int) -> timedelta:
    """``"15m"``, ``"4h"``, ``"2d"`` or a number of seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError("duration must be positive")
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError(f"not a duration: {value!r} (use e.g. 15m, 4h, 2d)")
    m = _DURATION_RE.match(value)
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"not a duration: {value!r} (use e.g. 15m, 4h, 2d)")
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def format_duration(td: timedelta) -> str:
    secs = int(td.total_seconds())
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size and secs % size == 0:
            return f"{sign}{secs // size}{unit}"
    if secs >= 3600:
        return f"{sign}{secs // 3600}h{(secs % 3600) // 60:02d}m"
    if secs >= 60:
        return f"{sign}{secs // 60}m{secs % 60:02d}s"
    return f"{sign}{secs}s"
