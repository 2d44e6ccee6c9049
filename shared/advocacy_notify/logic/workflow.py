"""The case workflow's tasks: send a stage's email exactly once, wait for the answer, close or mark a case.

The state machine (statemachine/case.asl.json) calls `SendStage` for each email (the first, the reminders,
the escalation), then `AwaitAnswer`, whose task token an answer resumes; silence until the stage's timeout
moves the case on. `MarkCase` records an outcome the workflow reached (unresolved, failed, technical failure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

from ..domain import links
from ..domain.case import CHASING, Case, CaseStatus
from ..domain.clock import iso, timeout_seconds, uk_date, working_days_between
from ..domain.emails import EmailContext, HelpAtHand
from ..domain.models import EmailKind
from ..domain.schedule import StagePlan, Timers, link_expiry, plan_stage
from ..ports import (
    Alerts,
    Cases,
    Clock,
    Directory,
    EmailEntry,
    EmailRejected,
    EmailThrottled,
    EmailUnavailable,
    EmailUncertain,
    LinkKey,
    Links,
    Mailer,
    SendPacer,
    TaskTokens,
    WorkItems,
)

__all__ = [
    "AwaitAnswer",
    "AwaitRequest",
    "CaseNotFound",
    "MailConfig",
    "MarkCase",
    "MarkRequest",
    "SendStage",
    "StageRequest",
    "StageResult",
    "Undeliverable",
]


class StageRequest(BaseModel):
    case_id: str
    stage: int = 0
    first_sent: date | None = None
    paced: bool = False  # its sending slot was reserved, and the workflow has waited for it
    attempt: int = 0  # the state's retry count ($$.State.RetryCount): a retry reserves a new slot


class StageResult(BaseModel):
    action: Literal["sent", "already_sent", "uncertain", "closed", "paced"]
    case_id: str
    stage: int
    kind: EmailKind
    final: bool = False
    next_stage: int = 0
    first_sent: date | None = None
    reply_by: date | None = None
    fires_at: datetime | None = None
    timeout_seconds: int = 1  # whole seconds: AWS refuses anything else in TimeoutSecondsPath
    status: CaseStatus | None = None
    recipients: int = 0
    message_id: str | None = None
    wait_seconds: int = 0  # paced: how long the workflow waits for this email's sending slot


class AwaitRequest(BaseModel):
    task_token: str
    execution_arn: str
    case_id: str
    stage: int


class MarkRequest(BaseModel):
    case_id: str
    outcome: Literal["unresolved", "failed", "technical_failure"]
    execution_arn: str | None = None
    error: dict[str, Any] | None = None


class CaseNotFound(Exception):
    pass


class Undeliverable(Exception):
    """No address of the authority can be used, or SES refused the message for good: the case waits for staff."""


@dataclass(frozen=True)
class MailConfig:
    sender: str
    help_at_hand: HelpAtHand
    public_base_url: str
    timers: Timers


def _tag(value: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in value)[:256]


class SendStage:
    """Send one stage's email, once. All preparation (the link, the key, the message) comes first; the ledger
    says `sending` only while SES is being called, so "uncertain" means SES itself may have sent it."""

    def __init__(
        self,
        *,
        cases: Cases,
        links: Links,
        directory: Directory,
        work: WorkItems,
        alerts: Alerts,
        mailer: Mailer,
        pacer: SendPacer,
        link_key: LinkKey,
        clock: Clock,
        config: MailConfig,
    ) -> None:
        self.cases, self.links, self.directory, self.work = cases, links, directory, work
        self.alerts, self.mailer, self.pacer, self.link_key = alerts, mailer, pacer, link_key
        self.clock, self.config = clock, config

    def __call__(self, req: StageRequest) -> StageResult:
        now = self.clock.now()
        case = self.cases.get(req.case_id)
        if case is None:
            raise CaseNotFound(req.case_id)
        kind = EmailKind.INITIAL if req.stage == 0 else EmailKind.REMINDER
        if not case.is_chasing:  # answered, closed or waiting for staff meanwhile: stop chasing
            return StageResult(action="closed", case_id=case.case_id, stage=req.stage, kind=kind, status=case.status)
        existing = self.cases.email(case.case_id, req.stage)
        first_sent = self._first_sent(req, case, existing, now)
        plan = plan_stage(req.stage, first_sent, self.config.timers)
        if existing is not None and existing.state != "not_sent":
            return self._already(case, plan, existing, first_sent, now)
        to = self._recipients(case, plan, now)
        raw = self._message(case, plan, first_sent, to, now)  # may fail: nothing is in the ledger yet
        if not req.paced or req.attempt > 0:
            wait = self.pacer.reserve(now)
            if wait > 0:  # the account's rate: the workflow waits for this email's slot, then sends
                return StageResult(
                    action="paced", case_id=case.case_id, stage=req.stage, kind=plan.kind, wait_seconds=math.ceil(wait)
                )
        entry = EmailEntry(case_id=case.case_id, stage=req.stage, kind=plan.kind.value, state="sending", to=tuple(to))
        racing = self.cases.begin_email(entry, now)
        if racing is not None:  # another attempt got there first
            return self._already(case, plan, racing, first_sent, now)
        tags = {"case_id": _tag(case.case_id), "stage": str(req.stage), "kind": plan.kind.value}
        try:
            message_id = self.mailer.send(raw, sender=self.config.sender, to=to, tags=tags)
        except (EmailThrottled, EmailUnavailable) as exc:
            self.cases.finish_email(case.case_id, req.stage, "not_sent", now, error=str(exc)[:80])
            raise
        except EmailRejected as exc:
            self.cases.finish_email(case.case_id, req.stage, "rejected", now, error=str(exc)[:80])
            self._undeliverable(case, req.stage, now, f"SES refused the message: {exc}"[:120])
            raise Undeliverable(str(exc)) from exc
        except EmailUncertain as exc:
            self.cases.finish_email(case.case_id, req.stage, "uncertain", now, error=str(exc)[:80])
            self._uncertain(case, plan, now)
            self._record_stage(case, plan, first_sent, now)
            return self._result("uncertain", case, plan, first_sent, now)
        self.cases.finish_email(case.case_id, req.stage, "sent", now, message_id=message_id, sent_at=iso(now))
        self._record_stage(case, plan, first_sent, now)
        self.cases.add_event(
            case.case_id, now, f"email_{plan.kind.value}", stage=req.stage, message_id=message_id, recipients=len(to)
        )
        result = self._result("sent", case, plan, first_sent, now)
        return result.model_copy(update={"recipients": len(to), "message_id": message_id})

    # ------------------------------------------------------------------ steps
    @staticmethod
    def _first_sent(req: StageRequest, case: Case, existing: EmailEntry | None, now: datetime) -> date:
        """Stage 0's date is the day its email actually goes (a retry after it went keeps that day)."""
        if req.first_sent is not None:
            return req.first_sent
        if case.first_sent is not None:
            return case.first_sent
        if existing is not None and existing.sent_at is not None:
            return uk_date(existing.sent_at)
        return uk_date(now)

    def _already(
        self, case: Case, plan: StagePlan, existing: EmailEntry, first_sent: date, now: datetime
    ) -> StageResult:
        if existing.state == "rejected":  # a retry of a stage SES refused: still undeliverable
            self._undeliverable(case, plan.stage, now, str(existing.error or "rejected"))
            raise Undeliverable(str(existing.error or "rejected"))
        if existing.state == "sending":
            # an attempt stopped while SES was being called: it may have been sent. Never risk a duplicate.
            self.cases.finish_email(case.case_id, plan.stage, "uncertain", now, error="attempt stopped while sending")
            self._uncertain(case, plan, now)
        self._record_stage(case, plan, first_sent, now)
        action: Literal["already_sent", "uncertain"] = "already_sent" if existing.state == "sent" else "uncertain"
        return self._result(action, case, plan, first_sent, now)

    def _recipients(self, case: Case, plan: StagePlan, now: datetime) -> list[str]:
        contacts = self.directory.contacts(case.gss_code)
        to: list[str] = []
        if contacts is not None:
            to = (
                contacts.escalation(self.config.help_at_hand.email)
                if plan.kind is EmailKind.ESCALATION
                else contacts.first_contact()
            )
        if not to:
            self.work.raise_item("no_contacts", case.gss_code, now, gss_code=case.gss_code, case_id=case.case_id)
            self._undeliverable(case, plan.stage, now, "no contact address in the directory")
            raise Undeliverable(case.gss_code)
        return to

    def _message(self, case: Case, plan: StagePlan, first_sent: date, to: list[str], now: datetime) -> bytes:
        # only the send task renders emails: the other workflow tasks' cold starts do not load Jinja
        from ..render.emails import render_email
        from ..render.mime import build_mime

        nonce = case.link_nonce or self.cases.link_nonce(case.case_id, links.new_nonce())
        link = links.link_id(self.link_key.secret(), case.case_id, nonce)
        self.links.put(links.link_hash(link), case.case_id, link_expiry(first_sent, self.config.timers))
        ctx = EmailContext(
            **case.facts(),
            kind=plan.kind,
            sent_on=uk_date(now),
            deadline=plan.reply_by,
            link_url=links.link_url(self.config.public_base_url, link),
            link_expires=plan.final_deadline,
            working_days_waiting=working_days_between(first_sent, uk_date(now)),
            reminder_number=plan.reminder_number,
            first_sent_on=first_sent,
            final_deadline=plan.final_deadline,
            help_at_hand=self.config.help_at_hand,
        )
        return build_mime(
            render_email(ctx),
            sender=self.config.sender,
            to=to,
            reply_to=self.config.help_at_hand.email,
            case_id=case.case_id,
            kind=plan.kind,
            stage=plan.stage,
            date_sent=now,
        )

    def _record_stage(self, case: Case, plan: StagePlan, first_sent: date, now: datetime) -> None:
        """The case's status after this stage's email. Only SETs, so a retry records the same thing."""
        sets: dict[str, Any] = {
            "stage": plan.stage,
            "first_sent": first_sent.isoformat(),
            "last_email_at": iso(now),
            "reply_by": plan.reply_by.isoformat(),
            "final_deadline": plan.final_deadline.isoformat(),
            "reminders_sent": plan.reminder_number,
            "emails_sent": plan.stage + 1,
        }
        if plan.stage == 0:
            sets["first_email_at"] = iso(now)
        if plan.kind is EmailKind.ESCALATION:
            sets["escalated_at"] = iso(now)
        self.cases.move(case.case_id, plan.status_after, now, sets)  # answered or closed meanwhile: it stands

    def _result(
        self,
        action: Literal["sent", "already_sent", "uncertain"],
        case: Case,
        plan: StagePlan,
        first_sent: date,
        now: datetime,
    ) -> StageResult:
        return StageResult(
            action=action,
            case_id=case.case_id,
            stage=plan.stage,
            kind=plan.kind,
            final=plan.final,
            next_stage=plan.next_stage,
            first_sent=first_sent,
            reply_by=plan.reply_by,
            fires_at=plan.fires_at,
            timeout_seconds=timeout_seconds(now, plan.fires_at),
            status=plan.status_after,
        )

    def _uncertain(self, case: Case, plan: StagePlan, now: datetime) -> None:
        detail = {
            "case_id": case.case_id,
            "stage": plan.stage,
            "email_kind": plan.kind.value,
            "gss_code": case.gss_code,
        }
        if self.work.raise_item("email_uncertain", f"{case.case_id}#{plan.stage}", now, **detail):
            self.alerts.alert("advocacy-notify: an email may not have been sent", detail)

    def _undeliverable(self, case: Case, stage: int, now: datetime, reason: str) -> None:
        moved = self.cases.move(case.case_id, CaseStatus.DELIVERY_FAILED, now, {"status_reason": reason[:120]})
        detail = {"case_id": case.case_id, "gss_code": case.gss_code, "stage": stage, "reason": reason[:120]}
        if moved is not None:
            self.cases.add_event(case.case_id, now, "delivery_failed", stage=stage, reason=reason[:120])
        if self.work.raise_item("delivery_failed", f"{case.case_id}#{stage}", now, **detail):
            self.alerts.alert("advocacy-notify: a case cannot reach its authority", detail)


class AwaitAnswer:
    """Keep the task token with the case while the workflow waits. If the case was answered (or stopped) before
    the token could be kept, resume at once: an answer is never left waiting for a timeout."""

    def __init__(self, *, cases: Cases, tasks: TaskTokens, clock: Clock) -> None:
        self.cases, self.tasks, self.clock = cases, tasks, clock

    def __call__(self, req: AwaitRequest) -> dict[str, Any]:
        now = self.clock.now()
        kept = self.cases.update(
            req.case_id,
            {"task_token": req.task_token, "execution_arn": req.execution_arn, "updated_at": iso(now)},
            only_if=CHASING,
        )
        if kept is not None:
            return {"action": "waiting", "case_id": req.case_id, "stage": req.stage}
        latest = self.cases.get(req.case_id)
        status = latest.status.value if latest else None
        self.tasks.resume(req.task_token, {"status": status, "ended_before_stage": req.stage})
        return {"action": "resumed", "case_id": req.case_id, "status": status}


class MarkCase:
    """Record an outcome the workflow reached, with a staff work item and an alert."""

    OUTCOMES: ClassVar[dict[str, CaseStatus]] = {
        "unresolved": CaseStatus.UNRESOLVED,
        "failed": CaseStatus.FAILED,
        "technical_failure": CaseStatus.TECHNICAL_FAILURE,
    }

    def __init__(self, *, cases: Cases, work: WorkItems, alerts: Alerts, clock: Clock) -> None:
        self.cases, self.work, self.alerts, self.clock = cases, work, alerts, clock

    def __call__(self, req: MarkRequest) -> dict[str, Any]:
        now = self.clock.now()
        status = self.OUTCOMES[req.outcome]
        reason = str((req.error or {}).get("Error") or (req.error or {}).get("error") or "")[:120] or None
        moved = self.cases.move(req.case_id, status, now, {"status_reason": reason}, removes=("task_token",))
        if moved is None:
            # answered or closed meanwhile, or a repeat (a technical failure again after another budget of retries)
            latest = self.cases.get(req.case_id)
            return {"status": latest.status.value if latest else None, "changed": False, "work_item": False}
        self.cases.add_event(req.case_id, now, f"marked_{status.value}", reason=reason)
        detail = {"case_id": req.case_id, "gss_code": moved.gss_code, "status": status.value, "reason": reason}
        raised = self.work.raise_item(status.value, req.case_id, now, **detail)
        self.alerts.alert(f"advocacy-notify: case {status.value}", {**detail, "execution_arn": req.execution_arn})
        return {"status": status.value, "changed": True, "work_item": raised}
