"""Case rules: ids, execution names, the chase schedule and status transitions."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from .clock import add_working_days, start_of_day
from .models import AnswerKind, CaseStatus, EmailKind

_EXECUTION_NAME_BAD = re.compile(r"[^A-Za-z0-9_-]")


def case_id_for(urn: str, gss_code: str, rating_date: date) -> str:
    """Deterministic: the same home, authority and rating always give the same id."""
    return f"{urn.upper()}-{gss_code.upper()}-{rating_date.isoformat().replace('-', '')}"


def execution_name(case_id: str) -> str:
    """A Step Functions execution name: at most 80 characters from [A-Za-z0-9_-].

    Naming the execution after the case makes a repeated start open nothing new.
    """
    name = _EXECUTION_NAME_BAD.sub("_", case_id)
    if len(name) > 80:
        import hashlib

        digest = hashlib.sha256(case_id.encode()).hexdigest()[:16]
        name = f"{name[:63]}-{digest}"
    return name


class Timers(BaseModel):
    """Chase timers in working days. Reminders count from the first email; the final
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


class StagePlan(BaseModel):
    """What one stage of the case workflow sends, and when its wait ends."""

    model_config = ConfigDict(frozen=True)

    stage: int
    kind: EmailKind
    reminder_number: int = 0
    reply_by: date  # the date the authority is asked to answer by
    fires_at: datetime  # simulated time at which silence moves the case on
    final: bool  # True for the escalation stage: its timeout closes the case as unresolved
    final_deadline: date
    next_stage: int


def escalation_date(first_sent: date, timers: Timers) -> date:
    return add_working_days(first_sent, timers.escalation_days) + timedelta(days=1)


def final_deadline(first_sent: date, timers: Timers) -> date:
    return add_working_days(escalation_date(first_sent, timers), timers.final_days)


def plan_stage(stage: int, first_sent: date, timers: Timers) -> StagePlan:
    """Stage 0 is the first email, 1..N the reminders, N+1 the escalation.

    Each stage waits until the start of the day after its reply-by date; a silent case then
    moves to the next stage. The escalation stage waits until the final deadline.
    """
    n = len(timers.reminder_days)
    if stage < 0 or stage > n + 1:
        raise ValueError(f"no stage {stage}")
    final = final_deadline(first_sent, timers)
    if stage <= n:
        kind = EmailKind.INITIAL if stage == 0 else EmailKind.REMINDER
        next_days = timers.reminder_days[stage] if stage < n else timers.escalation_days
        reply_by = add_working_days(first_sent, next_days)
        return StagePlan(
            stage=stage,
            kind=kind,
            reminder_number=stage,
            reply_by=reply_by,
            fires_at=start_of_day(reply_by + timedelta(days=1)),
            final=False,
            final_deadline=final,
            next_stage=stage + 1,
        )
    return StagePlan(
        stage=stage,
        kind=EmailKind.ESCALATION,
        reminder_number=n,
        reply_by=final,
        fires_at=start_of_day(final + timedelta(days=1)),
        final=True,
        final_deadline=final,
        next_stage=stage + 1,
    )


def status_after_email(kind: EmailKind) -> CaseStatus:
    return CaseStatus.ESCALATED if kind is EmailKind.ESCALATION else CaseStatus.AWAITING_RESPONSE


def status_for_answer(answer: AnswerKind) -> CaseStatus:
    return CaseStatus(answer.value)


class HistoryEntry(BaseModel):
    at: datetime
    event: str
    detail: dict[str, str | int | float | None] = Field(default_factory=dict)
