"""The poller's read-ahead: the next page is fetched while the caller holds the current one."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from triage.app.prefetch import Prefetch
from triage.errors import SourceUnavailable


def test_items_arrive_in_order_and_the_next_is_fetched_while_one_is_held() -> None:
    asked: list[threading.Event] = [threading.Event() for _ in range(4)]

    def pages() -> Iterator[int]:
        for i in range(4):
            asked[i].set()
            yield i

    got = []
    with Prefetch(pages()) as items:
        for i in items:
            if i < 3:  # the caller still holds page i: page i + 1 is asked for meanwhile
                assert asked[i + 1].wait(10), f"page {i + 1} was not fetched ahead"
            got.append(i)
    assert got == [0, 1, 2, 3]


def test_a_fetch_that_fails_fails_where_its_page_would_have_arrived() -> None:
    def pages() -> Iterator[int]:
        yield 1
        raise SourceUnavailable("opensearch: connection refused")

    got = []
    with pytest.raises(SourceUnavailable, match="connection refused"), Prefetch(pages()) as items:
        for i in items:
            got.append(i)
    assert got == [1]


def test_stopping_early_closes_the_source_in_its_own_thread() -> None:
    closed = threading.Event()
    fetched: list[int] = []

    def pages() -> Iterator[int]:
        try:
            for i in range(1000):
                fetched.append(i)
                yield i
        finally:
            closed.set()  # the point in time is closed

    prefetch = Prefetch(pages())
    with prefetch as items:
        for i in items:
            if i == 1:
                break
    assert closed.is_set()
    assert not prefetch._thread.is_alive()
    assert len(fetched) <= 4  # one page in hand, one queued, one in flight: never the rest


def test_the_caller_failing_stops_the_reading() -> None:
    closed = threading.Event()

    def pages() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed.set()

    with pytest.raises(RuntimeError, match="disk full"), Prefetch(pages()) as items:
        for _ in items:
            raise RuntimeError("disk full")
    assert closed.is_set()
