"""GOV.UK-style dates and counts for emails and pages ("Tuesday 1 December 2026", "2 reminders")."""

from __future__ import annotations

from datetime import date

__all__ = ["count_noun", "long_date", "short_date"]

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
