"""Time: the working-day calendar (England and Wales bank holidays), counted in UK dates (Europe/London).

Use cases read "now" through a `Clock` (a port): the deployed system uses the system clock; the offline
twin hands in its own virtual clock. Nothing here scales or shifts time.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

UK = ZoneInfo("Europe/London")
CHASE_HOUR = 9  # reminders and escalations go out at 09:00 UK time on a working day


class Clock(Protocol):
    """Where "now" comes from: an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales share their bank holidays; subdiv ENG is the published list.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def uk_date(moment: datetime) -> date:
    """The date in the UK at `moment` (an email sent at 00:30 BST is dated that day, not the day before)."""
    return moment.astimezone(UK).date()


def uk_time(d: date, hour: int = 0, minute: int = 0) -> datetime:
    """`hour`:`minute` UK time on `d`, as an aware UTC datetime (GMT or BST as the date has it)."""
    return datetime.combine(d, time(hour, minute), tzinfo=UK).astimezone(UTC)


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _bank_holidays(d.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    d = start
    remaining = days
    while remaining:
        d += timedelta(days=1)
        if is_working_day(d):
            remaining -= 1
    return d


def next_working_day(after: date) -> date:
    return add_working_days(after, 1)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    d = start
    while d < end:
        d += timedelta(days=1)
        if is_working_day(d):
            count += 1
    return count


def chase_time(after: date) -> datetime:
    """When silence after a reply-by date moves a case on: 09:00 UK time on the next working day."""
    return uk_time(next_working_day(after), CHASE_HOUR)


def timeout_seconds(now: datetime, until: datetime) -> int:
    """A Step Functions task timeout that ends at `until`: AWS takes a positive whole number of seconds."""
    return max(1, math.ceil((until - now).total_seconds()))


def iso(moment: datetime) -> str:
    """How the system writes a moment: UTC, milliseconds, `Z` (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
