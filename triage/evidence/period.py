"""The calendar month an evidence pack covers, in the configured time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from triage.clock import format_ts
from triage.errors import ArgumentError, ConfigError

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"timezone: {name!r} is not a known time zone (use an IANA name such as UTC or Europe/Berlin)"
        ) from None


def parse_month(value: str) -> tuple[int, int]:
    """``"2026-10"`` -> (2026, 10); anything else is refused with the form expected."""
    m = _MONTH_RE.match(value.strip()) if isinstance(value, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1970:
        raise ArgumentError(f"--month: {value!r} is not a month (use YYYY-MM, e.g. 2026-10)")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True)
class Period:
    """[start, end) of one calendar month in ``timezone``, as UTC timestamps of the log."""

    month: str
    timezone: str
    start: datetime
    end: datetime

    @property
    def start_ts(self) -> str:
        return format_ts(self.start)

    @property
    def end_ts(self) -> str:
        return format_ts(self.end)

    def days(self) -> list[date]:
        first = self.start.astimezone(zone(self.timezone)).date()
        last = (self.end.astimezone(zone(self.timezone)) - timedelta(microseconds=1)).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def local_day(self, dt: datetime) -> str:
        return dt.astimezone(zone(self.timezone)).date().isoformat()

    def contains(self, dt: datetime) -> bool:
        return self.start <= dt < self.end


def month_period(month: str, timezone: str = "UTC") -> Period:
    year, mon = parse_month(month)
    tz = zone(timezone)
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return Period(f"{year:04d}-{mon:02d}", timezone, start.astimezone(UTC), end.astimezone(UTC))
