"""The chase schedule: which email each stage of a case sends, its reply-by date, and when silence moves on.

Dates are UK dates. A first email goes at once, whatever the day; the working days it gives count from
the next working day. Reminders and the escalation go at 09:00 UK time on a working day.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from .case import CaseStatus
from .clock import add_working_days, chase_time, next_working_day
from .models import EmailKind


class Timers(BaseModel):
    """Chase timers in working days. Reminders and the escalation count from the first email; the final
    deadline counts from the escalation."""

    model_config = ConfigDict(frozen=True)

    reminder_days: tuple[int, ...] = (5, 10)
    escalation_days: int = 15
    final_days: int = 20

    @classmethod
    def from_settings(cls, reminders: str, escalation: int, final: int) -> Timers:
        days = tuple(int(x) for x in reminders.replace(";", ",").split(",") if x.strip())
        return cls(reminder_days=days, escalation_days=escalation, final_days=final)

    def model_post_init(self, __context: object) -> None:
        seq = [*self.reminder_days, self.escalation_days]
        if any(b <= a for a, b in itertools.pairwise(seq)) or min(seq, default=1) < 1:
            raise ValueError("reminder days must increase and come before the escalation")
        if self.final_days < 1:
            raise ValueError("final_days must be at least 1")

    @property
    def stages(self) -> int:
        """Emails in a full chase: the first, the reminders, the escalation."""
        return len(self.reminder_days) + 2


class StagePlan(BaseModel):
    """What one stage of the case workflow sends, and when its wait ends."""

    model_config = ConfigDict(frozen=True)

    stage: int
    kind: EmailKind
    reminder_number: int = 0
    reply_by: date  # the date the authority is asked to answer by
    fires_at: datetime  # when silence moves the case on (09:00 UK time, the working day after reply_by)
    final: bool  # True for the escalation stage: its timeout closes the case as unresolved
    final_deadline: date
    next_stage: int

    @property
    def status_after(self) -> CaseStatus:
        return CaseStatus.ESCALATED if self.kind is EmailKind.ESCALATION else CaseStatus.AWAITING_RESPONSE


def escalation_date(first_sent: date, timers: Timers) -> date:
    """The working day the escalation goes (the morning after the last reply-by date)."""
    return next_working_day(add_working_days(first_sent, timers.escalation_days))


def final_deadline(first_sent: date, timers: Timers) -> date:
    return add_working_days(escalation_date(first_sent, timers), timers.final_days)


def link_expiry(first_sent: date, timers: Timers) -> datetime:
    """An answer link works until the case would close as unresolved."""
    return chase_time(final_deadline(first_sent, timers))


def plan_stage(stage: int, first_sent: date, timers: Timers) -> StagePlan:
    """Stage 0 is the first email, 1..N the reminders, N+1 the escalation.

    Each stage waits until 09:00 UK time on the working day after its reply-by date; a silent case then
    moves to the next stage. The escalation stage waits until the final deadline.
    """
    n = len(timers.reminder_days)
    if stage < 0 or stage > n + 1:
        raise ValueError(f"no stage {stage}")
    final = final_deadline(first_sent, timers)
    if stage <= n:
        next_days = timers.reminder_days[stage] if stage < n else timers.escalation_days
        reply_by = add_working_days(first_sent, next_days)
        return StagePlan(
            stage=stage,
            kind=EmailKind.INITIAL if stage == 0 else EmailKind.REMINDER,
            reminder_number=stage,
            reply_by=reply_by,
            fires_at=chase_time(reply_by),
            final=False,
            final_deadline=final,
            next_stage=stage + 1,
        )
    return StagePlan(
        stage=stage,
        kind=EmailKind.ESCALATION,
        reminder_number=n,
        reply_by=final,
        fires_at=chase_time(final),
        final=True,
        final_deadline=final,
        next_stage=stage + 1,
    )
