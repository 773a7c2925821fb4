"""The one wall clock: ``now_ts`` reads the clock ``set_clock`` installed, and on the system's
clock writes what ``format_ts(utc_now())`` writes, without making a datetime."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from triage import clock

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_now_ts_on_the_system_clock_is_the_formatted_reading() -> None:
    for _ in range(2_000):  # across many readings, some of them in a new second
        before = clock.format_ts(datetime.now(UTC))
        stamp = clock.now_ts()
        after = clock.format_ts(datetime.now(UTC))
        assert STAMP.match(stamp), stamp
        assert before <= stamp <= after
        assert clock.parse_time(stamp).tzinfo is not None


def test_now_ts_follows_a_clock_set_and_restored() -> None:
    fixed = datetime(2026, 11, 2, 3, 4, 5, 600, tzinfo=UTC)
    clock.set_clock(lambda: fixed)
    try:
        assert clock.now_ts() == "2026-11-02T03:04:05.000600Z"
    finally:
        clock.set_clock(None)
    assert clock.now_ts() > "2026-11-02T03:04:05.000600Z"


@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9998, 1, 1)),
    st.integers(min_value=0, max_value=999),
)
def test_the_fast_stamp_writes_what_format_ts_writes(moment: datetime, nanos: int) -> None:
    """The system clock's path, from a reading in nanoseconds, and format_ts agree (the
    nanoseconds below a microsecond dropped), the cached second's text reused or not."""
    dt = moment.replace(tzinfo=UTC)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    ns = ((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1000 + nanos
    assert clock._stamp(ns) == clock.format_ts(dt)
    assert clock._stamp(ns) == clock.format_ts(dt)  # the second's text now cached
