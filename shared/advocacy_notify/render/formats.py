"""GOV.UK-style dates, times and counts for emails and pages ("Tuesday 1 December 2026", "2:05pm", "2 reminders")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["count_noun", "long_date", "short_date", "uk_date_time"]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def short_date(d: date) -> str:
    """GOV.UK style: 1 December 2026 (no leading zero, locale independent)."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def long_date(d: date) -> str:
    """GOV.UK style with the weekday: Tuesday 1 December 2026."""
    return f"{_WEEKDAYS[d.weekday()]} {short_date(d)}"


def count_noun(n: int, singular: str, plural: str | None = None) -> str:
    """'1 reminder', '2 reminders'."""
    word = singular if n == 1 else (plural if plural is not None else singular + "s")
    return f"{n} {word}"


def _uk_zone() -> ZoneInfo | None:
    try:
        return ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:  # a runtime without a time zone database
        return None


def uk_date_time(at: datetime) -> str:
    """When something happened, as a person in England reads it: 'Tuesday 1 December 2026 at 2:05pm'
    in UK time (GMT or BST). A naive datetime is taken as UTC; without a time zone database the time
    is shown in UTC and says so."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    zone = _uk_zone()
    local = at.astimezone(zone or UTC)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    when = f"{long_date(local.date())} at {hour}:{local.minute:02d}{suffix}"
    return when if zone is not None else f"{when} UTC"
