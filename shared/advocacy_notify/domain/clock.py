"""Time: the working-day calendar (England and Wales bank holidays) and a scalable clock.

A case's timers are whole working days. A local run shrinks a day to a fraction of a second
with the same state machine definition: every component reads "now" through `Clock`, which
maps real time onto simulated time as `sim = sim_epoch + (real - real_epoch) * 86400 / day_seconds`.
In production `day_seconds` is 86400 and both epochs are 0, so simulated time is real time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import holidays

DAY = 86400.0


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales share their bank holidays; subdiv ENG is the published list.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


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


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    d = start
    while d < end:
        d += timedelta(days=1)
        if is_working_day(d):
            count += 1
    return count


@dataclass(frozen=True, slots=True)
class Clock:
    day_seconds: float = DAY
    real_epoch: float = 0.0
    sim_epoch: float = 0.0

    @classmethod
    def from_settings(cls, day_seconds: float, epoch: str = "") -> Clock:
        """`epoch` is "" (real time) or "<real unix seconds>@<simulated unix seconds>"."""
        if day_seconds <= 0:
            raise ValueError("day_seconds must be positive")
        if not epoch:
            return cls(day_seconds=day_seconds)
        real, _, sim = epoch.partition("@")
        return cls(day_seconds=day_seconds, real_epoch=float(real), sim_epoch=float(sim or real))

    @property
    def scale(self) -> float:
        """Simulated seconds per real second."""
        return DAY / self.day_seconds

    def sim_ts(self, real_ts: float | None = None) -> float:
        real = time.time() if real_ts is None else real_ts
        return self.sim_epoch + (real - self.real_epoch) * self.scale

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.sim_ts(), tz=UTC)

    def real_ts_for(self, sim: datetime) -> float:
        return self.real_epoch + (sim.timestamp() - self.sim_epoch) / self.scale

    def real_seconds_until(self, sim: datetime) -> float:
        return (sim.timestamp() - self.sim_ts()) / self.scale

    def timeout_seconds(self, sim: datetime) -> int | float:
        """A Step Functions timeout that expires at simulated time `sim`.

        AWS only accepts whole seconds, so at real scale (day_seconds >= 1) it is rounded up to
        an int of at least 1. Offline runs with sub-second days keep a fraction (moto accepts it).
        """
        seconds = max(self.real_seconds_until(sim), 0.0)
        if self.day_seconds >= 1:
            return max(1, int(-(-seconds // 1)))
        return max(round(seconds, 3), 0.001)


def start_of_day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)
