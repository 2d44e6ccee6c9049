"""Working days, UK dates and 09:00 chases, case ids and the chase schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from advocacy_notify.domain.case import case_id_for, execution_name
from advocacy_notify.domain.clock import (
    SystemClock,
    add_working_days,
    chase_time,
    is_working_day,
    timeout_seconds,
    uk_date,
    working_days_between,
)
from advocacy_notify.domain.models import EmailKind
from advocacy_notify.domain.schedule import Timers, plan_stage


def test_bank_holidays_and_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 12, 25))  # Christmas Day
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day substitute (26th is a Saturday)
    assert not is_working_day(date(2027, 1, 1))
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert is_working_day(date(2026, 11, 24))


def test_add_working_days_skips_christmas() -> None:
    assert add_working_days(date(2026, 11, 24), 5) == date(2026, 12, 1)
    assert add_working_days(date(2026, 12, 23), 2) == date(2026, 12, 29)  # 24th, then 29th
    assert working_days_between(date(2026, 12, 23), date(2026, 12, 29)) == 2


def test_default_schedule() -> None:
    first = date(2026, 11, 24)
    plans = [plan_stage(s, first, Timers()) for s in range(4)]
    assert [p.kind for p in plans] == [EmailKind.INITIAL, EmailKind.REMINDER, EmailKind.REMINDER, EmailKind.ESCALATION]
    assert [p.reply_by for p in plans[:3]] == [date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15)]
    assert plans[0].fires_at == datetime(2026, 12, 2, 9, tzinfo=UTC)  # 09:00 UK time (GMT) the day after reply-by
    assert plans[3].final
    # escalation goes on 16 December; the final deadline is 20 working days later, over Christmas
    assert plans[3].final_deadline == add_working_days(date(2026, 12, 16), 20) == date(2027, 1, 18)
    with pytest.raises(ValueError, match="no stage"):
        plan_stage(4, first, Timers())


def test_timers_are_parameters() -> None:
    timers = Timers.from_settings("3", 6, 2)
    plans = [plan_stage(s, date(2026, 11, 24), timers) for s in range(3)]
    assert [p.kind for p in plans] == [EmailKind.INITIAL, EmailKind.REMINDER, EmailKind.ESCALATION]
    with pytest.raises(ValueError, match="increase"):
        Timers.from_settings("10,5", 15, 20)


def test_uk_dates_and_chases_at_9am_on_a_working_day() -> None:
    assert uk_date(datetime(2026, 6, 1, 23, 30, tzinfo=UTC)) == date(2026, 6, 2)  # 00:30 BST
    assert uk_date(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) == date(2026, 12, 1)  # 23:30 GMT
    assert chase_time(date(2026, 6, 5)) == datetime(2026, 6, 8, 8, tzinfo=UTC)  # Friday -> Monday 09:00 BST
    assert chase_time(date(2026, 12, 24)) == datetime(2026, 12, 29, 9, tzinfo=UTC)  # over Christmas, GMT
    assert abs(SystemClock().now().timestamp() - datetime.now(UTC).timestamp()) < 2


def test_timeouts_are_whole_seconds_at_real_scale() -> None:
    """AWS takes only a positive integer in TimeoutSecondsPath (the plan at real scale gave 2579004.0)."""
    now = datetime(2026, 11, 24, 10, 0, 0, 400000, tzinfo=UTC)
    fires = plan_stage(0, uk_date(now), Timers()).fires_at
    value = timeout_seconds(now, fires)
    assert isinstance(value, int)
    assert value == 687600  # ceil(7 days 22 h 59 min 59.6 s) to 09:00 on Wednesday 2 December
    assert timeout_seconds(fires, fires) == 1  # never 0 or negative


def test_case_ids_are_deterministic_and_valid_execution_names() -> None:
    cid = case_id_for("sc123456", "E08000035", date(2026, 11, 2))
    assert cid == "SC123456-E08000035-20261102"
    assert case_id_for("SC123456", "e08000035", date(2026, 11, 2)) == cid
    assert execution_name(cid) == cid
    long_name = execution_name("x" * 100 + "/?*")
    assert len(long_name) <= 80
    assert all(ch.isalnum() or ch in "-_" for ch in long_name)
