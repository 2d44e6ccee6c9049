"""Working days, the scalable clock, case ids and the chase schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from advocacy_notify.domain.cases import Timers, case_id_for, execution_name, plan_stage
from advocacy_notify.domain.clock import Clock, add_working_days, is_working_day, working_days_between
from advocacy_notify.domain.models import EmailKind


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
    assert plans[0].fires_at == datetime(2026, 12, 2, tzinfo=UTC)  # the morning after the reply-by date
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


def test_clock_scales_time() -> None:
    clock = Clock.from_settings(0.5, "1000@2000000000")
    assert clock.sim_ts(1001.0) == pytest.approx(2000000000 + 86400 * 2)
    target = datetime.fromtimestamp(2000000000 + 86400, tz=UTC)
    assert clock.real_ts_for(target) == pytest.approx(1000.5)
    real = Clock.from_settings(86400)
    assert abs(real.now().timestamp() - datetime.now(UTC).timestamp()) < 2
    assert isinstance(real.timeout_seconds(datetime.fromtimestamp(real.sim_ts() + 10.2, tz=UTC)), int)


def test_case_ids_are_deterministic_and_valid_execution_names() -> None:
    cid = case_id_for("sc123456", "E08000035", date(2026, 11, 2))
    assert cid == "SC123456-E08000035-20261102"
    assert case_id_for("SC123456", "e08000035", date(2026, 11, 2)) == cid
    assert execution_name(cid) == cid
    long_name = execution_name("x" * 100 + "/?*")
    assert len(long_name) <= 80
    assert all(ch.isalnum() or ch in "-_" for ch in long_name)
