"""Reading ahead: the next page of a source fetched while the current one is written."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Prefetch(Generic[T]):
    """The items of an iterator fetched one ahead, in a thread of its own: while the caller works
    on one page, the next is being read from the server. Only the thread advances the iterator
    (and closes it, so that a point in time is closed even when the caller stops early); an
    exception it raises reaches the caller where the item would have. Leaving the ``with``
    stops the thread after the fetch in flight, whose page is dropped unread."""

    def __init__(self, items: Iterator[T]) -> None:
        self._items = items
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="triage-prefetch", daemon=True)

    def __enter__(self) -> Iterator[T]:
        self._thread.start()
        return self._iterate()

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put(("item", item)):
                    return
            self._put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            self._put(("error", exc))
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def _put(self, entry: tuple[str, Any]) -> bool:
        while not self._done.is_set():
            try:
                self._queue.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _iterate(self) -> Iterator[T]:
        while True:
            kind, value = self._queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
