"""The cycle collector's full passes, run while the analyst is idle.

Python's collector runs a full pass (every tracked object not frozen) after ten passes of its
middle generation. In the app, with 100,000 alerts in the workspace, a full pass took 20 to
120 ms, longer as the session went on, and it fell wherever the allocations did: inside the
opening of an alert, one in every few (a pass of 97 ms in a screen that otherwise took 40).
Here the collector's young passes run as ever; its full passes wait until the analyst has
pressed nothing and opened nothing for ``QUIET`` seconds, and run then, no more often than
the collector's own threshold lets one run. A session that is never idle for that long gets
its full pass after ``LATEST`` middle passes whatever it is doing, so what cycles the app
makes are still freed.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

QUIET = 0.5  # seconds without input before a pending full pass runs
CHECK_EVERY = 0.25  # how often the app asks (a timer; a check costs a counter read)
LATEST = 100  # middle passes after which the full pass runs, idle or not
_NEVER = 1 << 30  # the collector's own third threshold while this one decides


class IdleCollector:
    """Install with ``start`` (the collector's own full passes stop), mark input with
    ``active``, call ``tick`` now and then; ``stop`` gives the collector its thresholds back."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last = clock()
        self._saved: tuple[int, int, int] | None = None
        self.due = 10  # middle passes before a full one: the collector's own, read by start
        self.passes = 0  # full passes run here

    def start(self) -> None:
        if self._saved is not None:
            return
        self._saved = young, middle, full = gc.get_threshold()
        self.due = max(full, 1)
        gc.set_threshold(young, middle, _NEVER)

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def active(self) -> None:
        """The analyst did something: a full pass now would be in their way."""
        self._last = self._clock()

    def tick(self) -> bool:
        """Run the pending full pass if it is due and the analyst is idle (or it is overdue);
        whether it ran. A collector paused (an ingest's batch in a worker) is left paused."""
        if self._saved is None or not gc.isenabled():
            return False
        pending = gc.get_count()[2]
        if pending < self.due:
            return False
        if pending < LATEST and self._clock() - self._last < QUIET:
            return False
        gc.collect()
        self.passes += 1
        return True
