"""Business time: SLA deadlines count only the minutes a branch is open.

All arithmetic happens on UTC instants; a day's opening hours are wall-clock times in the
branch's timezone, turned into instants day by day (so DST days are as long as they are).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_service_desk.domain.errors import DomainError

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Window:
    """One day's opening hours in minutes after local midnight; close may be 1440."""

    open_min: int
    close_min: int

    def __post_init__(self) -> None:
        if not 0 <= self.open_min < self.close_min <= MINUTES_PER_DAY:
            raise DomainError("opening hours must open before they close, within one day")

    @classmethod
    def parse(cls, open_: str, close: str) -> Window:
        """From `HH:MM` texts; `24:00` closes at midnight."""
        return cls(_minutes(open_), _minutes(close))

    def texts(self) -> tuple[str, str]:
        return _text(self.open_min), _text(self.close_min)


def _minutes(hhmm: str) -> int:
    hours, _, minutes = hhmm.partition(":")
    return int(hours) * 60 + int(minutes)


def _text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class BusinessHours:
    """When a branch works: a timezone and seven days (Monday first; None = closed)."""

    timezone: str
    week: tuple[Window | None, ...]

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise DomainError("business hours need exactly seven days, Monday first")
        if not any(self.week):
            raise DomainError("business hours need at least one open day")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise DomainError(f"unknown timezone {self.timezone!r}") from exc

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, moment: datetime) -> date:
        """The branch's calendar day at `moment`."""
        return moment.astimezone(self.zone).date()

    def windows(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (UTC) from the local day of `since` on, in order, forever."""
        day = self.local_date(since)
        while True:
            window = self.week[day.weekday()]
            if window is not None:
                midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
                # Wall-clock arithmetic on an aware datetime, then to UTC: DST-correct.
                opens = (midnight + timedelta(minutes=window.open_min)).astimezone(UTC)
                closes = (midnight + timedelta(minutes=window.close_min)).astimezone(UTC)
                yield opens, closes
            day += timedelta(days=1)

    def add(self, start: datetime, seconds: int) -> datetime:
        """The instant `seconds` of business time after `start` (0: the next open moment)."""
        start = start.astimezone(UTC)
        left = float(max(seconds, 0))
        for opens, closes in self.windows(start):
            if closes <= start:
                continue
            begin = max(opens, start)
            available = (closes - begin).total_seconds()
            if left <= available:
                return begin + timedelta(seconds=left)
            left -= available
        raise AssertionError("unreachable: windows() never ends")

    def between(self, start: datetime, end: datetime) -> int:
        """Business seconds in [start, end); 0 when end is not after start."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = 0.0
        if end <= start:
            return 0
        for opens, closes in self.windows(start):
            if opens >= end:
                break
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            total += max(overlap, 0.0)
        return int(total)


NINE_TO_SIX = Window(9 * 60, 18 * 60)
DEFAULT_HOURS = BusinessHours(timezone="Asia/Shanghai", week=(NINE_TO_SIX,) * 5 + (None, None))
