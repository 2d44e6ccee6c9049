"""The case workflow's tasks: plan a stage, send its email and wait, close a case."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from ..adapters import repository as repo
from ..adapters import sesv2, sns, stepfunctions
from ..adapters.dynamodb import ConditionFailed
from ..adapters.secrets import link_secret
from ..domain import links
from ..domain.cases import StagePlan, plan_stage, status_after_email
from ..domain.clock import start_of_day, working_days_between
from ..domain.emails import EmailContext
from ..domain.models import OPEN_STATUSES, CaseStatus, EmailKind
from ..render.emails import render_email
from ..render.mime import build_mime
from ..settings import Settings

ANSWERED = frozenset({"confirmed", "referrals_in_progress", "no_children_placed", "need_help"})


class PlanRequest(BaseModel):
    case_id: str
    stage: int = 0
    first_sent: date | None = None


class PlanResult(BaseModel):
    stage: int
    kind: str
    final: bool
    next_stage: int
    first_sent: date
    timeout_seconds: float
    reply_by: date
    fires_at: datetime


class SendRequest(BaseModel):
    task_token: str
    execution_arn: str
    case_id: str
    stage: int
    first_sent: date


class CloseRequest(BaseModel):
    case_id: str
    outcome: str  # unresolved | delivery_failed | failed
    execution_arn: str | None = None
    error: dict[str, Any] | None = None


class CaseNotFound(Exception):
    pass


class NoContacts(Exception):
    """The directory has no address for this authority: staff must add one, then resend."""


class DeliveryFailed(Exception):
    """The email bounced or SES rejected it."""


def plan(req: PlanRequest, settings: Settings) -> PlanResult:
    clock = settings.clock
    first_sent = req.first_sent or clock.now().date()
    stage = plan_stage(req.stage, first_sent, settings.timers)
    timeout = clock.timeout_seconds(stage.fires_at)
    return PlanResult(
        stage=stage.stage,
        kind=stage.kind.value,
        final=stage.final,
        next_stage=stage.next_stage,
        first_sent=first_sent,
        timeout_seconds=timeout,
        reply_by=stage.reply_by,
        fires_at=stage.fires_at,
    )


def _link(settings: Settings, case: dict[str, Any], final_deadline: date) -> str:
    link = links.link_id(link_secret(settings.link_secret_id), case["case_id"], case["link_nonce"])
    expires = start_of_day(final_deadline + timedelta(days=1))
    repo.put_link(settings.links_table, links.link_hash(link), case["case_id"], expires)
    return links.link_url(settings.public_base_url, link)


def send(req: SendRequest, settings: Settings) -> dict[str, Any]:
    """Store the task token with the case, then send this stage's email exactly once."""
    table = settings.cases_table
    now = settings.clock.now()
    case = repo.get_case(table, req.case_id)
    if case is None:
        raise CaseNotFound(req.case_id)
    if case["status"] not in {s.value for s in OPEN_STATUSES}:
        # answered (or closed by staff) between stages: finish the workflow instead of chasing
        stepfunctions.succeed(req.task_token, {"status": case["status"], "closed_before_stage": req.stage})
        return {"action": "closed", "status": case["status"]}
    stage = plan_stage(req.stage, req.first_sent, settings.timers)
    try:
        case = repo.update_case(
            table,
            req.case_id,
            {
                "task_token": req.task_token,
                "execution_arn": req.execution_arn,
                "stage": req.stage,
                "first_sent": case.get("first_sent") or req.first_sent.isoformat(),
                "link_nonce": case.get("link_nonce") or links.new_nonce(),
                "updated_at": repo.iso(now),
            },
            only_if_open=True,
        )
    except ConditionFailed:
        latest = repo.get_case(table, req.case_id) or {}
        stepfunctions.succeed(req.task_token, {"status": latest.get("status"), "closed_before_stage": req.stage})
        return {"action": "closed", "status": latest.get("status")}
    contacts = repo.get_contacts(settings.directory_table, case["gss_code"])
    to = []
    if contacts is not None:
        to = (
            contacts.escalation(settings.help_at_hand_email)
            if stage.kind is EmailKind.ESCALATION
            else contacts.first_contact()
        )
    if contacts is None or not to:
        repo.add_work_item(
            settings.work_table,
            "no_contacts",
            case["gss_code"],
            now,
            gss_code=case["gss_code"],
            case_id=req.case_id,
        )
        raise NoContacts(case["gss_code"])
    return _send_once(req, settings, case, stage, to, now)


def _send_once(
    req: SendRequest, settings: Settings, case: dict[str, Any], stage: StagePlan, to: list[str], now: datetime
) -> dict[str, Any]:
    table = settings.cases_table
    existing = repo.begin_email(
        table,
        req.case_id,
        req.stage,
        {
            "kind": stage.kind.value,
            "stage": req.stage,
            "to": to,
            "intended_at": repo.iso(now),
            "expires_at": repo.expires_at(now),
        },
    )
    if existing is not None:
        if existing.get("state") == "rejected":  # a retry of a stage SES refused: still undeliverable
            raise DeliveryFailed(str(existing.get("error", "rejected")))
        if existing.get("state") == "sending":
            # a previous attempt crashed between SES and the ledger: it may have been sent.
            # Never risk a duplicate; tell staff instead.
            repo.add_work_item(
                settings.work_table,
                "email_uncertain",
                f"{req.case_id}#{req.stage}",
                now,
                case_id=req.case_id,
                stage=req.stage,
                email_kind=stage.kind.value,
            )
            sns.alert(
                settings.alert_topic_arn,
                "advocacy-notify: email may not have been sent",
                {"case_id": req.case_id, "stage": req.stage, "kind": stage.kind.value},
            )
        _record_stage(table, req, stage, now)  # the email (probably) went: the case moves on all the same
        return {"action": "already_sent", "kind": stage.kind.value, "state": existing.get("state")}
    link = _link(settings, case, stage.final_deadline)
    first_sent = req.first_sent
    ctx = EmailContext(
        kind=stage.kind,
        case_id=req.case_id,
        la_name=case["la_name"],
        urn=case["urn"],
        home_name=case.get("home_name"),
        provision_type=case["provision_type"],
        home_local_authority=case.get("home_local_authority"),
        rating_date=date.fromisoformat(case["rating_date"]),
        sent_on=now.date(),
        deadline=stage.reply_by,
        link_url=link,
        link_expires=stage.final_deadline,
        working_days_waiting=working_days_between(first_sent, now.date()),
        reminder_number=stage.reminder_number,
        first_sent_on=first_sent,
        final_deadline=stage.final_deadline,
        help_at_hand=settings.help_at_hand,
    )
    rendered = render_email(ctx)
    raw = build_mime(
        rendered,
        sender=settings.sender_email,
        to=to,
        reply_to=settings.help_at_hand_email,
        case_id=req.case_id,
        kind=stage.kind,
    )
    try:
        message_id = sesv2.send_raw(
            raw,
            sender=settings.sender_email,
            to=to,
            configuration_set=settings.ses_configuration_set,
            tags={"case_id": _tag(req.case_id), "stage": str(req.stage), "kind": stage.kind.value},
        )
    except sesv2.EmailThrottled:
        repo.finish_email(table, req.case_id, req.stage, "not_sent")
        raise
    except sesv2.EmailRejected as exc:
        repo.finish_email(table, req.case_id, req.stage, "rejected", error=str(exc))
        raise DeliveryFailed(str(exc)) from exc
    repo.finish_email(
        table,
        req.case_id,
        req.stage,
        "sent",
        message_id=message_id,
        sent_at=repo.iso(now),
        subject_kind=stage.kind.value,
    )
    _record_stage(table, req, stage, now)
    repo.add_event(
        table,
        req.case_id,
        now,
        f"email_{stage.kind.value}",
        stage=req.stage,
        message_id=message_id,
        recipients=len(to),
    )
    return {"action": "sent", "kind": stage.kind.value, "message_id": message_id, "recipients": len(to)}


def _record_stage(table: str, req: SendRequest, stage: StagePlan, now: datetime) -> None:
    """The case's status after this stage's email. Only SETs, so a retry records the same thing."""
    sets = {
        "status": status_after_email(stage.kind).value,
        "last_email_at": repo.iso(now),
        "reply_by": stage.reply_by.isoformat(),
        "final_deadline": stage.final_deadline.isoformat(),
        "reminders_sent": stage.reminder_number,
        "emails_sent": req.stage + 1,
    }
    if req.stage == 0:
        sets["first_email_at"] = repo.iso(now)
    if stage.kind is EmailKind.ESCALATION:
        sets["escalated_at"] = repo.iso(now)
    with contextlib.suppress(ConditionFailed):  # answered or closed meanwhile: the answer stands
        repo.update_case(table, req.case_id, sets, only_if_open=True)


def _tag(value: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in value)[:256]


def close(req: CloseRequest, settings: Settings) -> dict[str, Any]:
    """Close a silent, undeliverable or failed case (unless it was answered meanwhile) and alert staff."""
    now = settings.clock.now()
    status = CaseStatus(req.outcome)
    reason = None
    if req.error:
        reason = str(req.error.get("Error") or req.error.get("error") or "")[:120]
    try:
        repo.update_case(
            settings.cases_table,
            req.case_id,
            {"status": status.value, "closed_at": repo.iso(now), "status_reason": reason},
            only_if_open=True,
            removes=("task_token",),
        )
    except ConditionFailed:
        latest = repo.get_case(settings.cases_table, req.case_id) or {}
        if status is CaseStatus.DELIVERY_FAILED and latest.get("status") == "delivery_failed":
            return {"status": "delivery_failed", "changed": False}
        return {"status": latest.get("status"), "changed": False}
    repo.add_event(settings.cases_table, req.case_id, now, f"closed_{status.value}", reason=reason)
    repo.add_work_item(settings.work_table, status.value, req.case_id, now, case_id=req.case_id, reason=reason)
    sns.alert(
        settings.alert_topic_arn,
        f"advocacy-notify: case {status.value}",
        {
            "case_id": req.case_id,
            "status": status.value,
            "reason": reason,
            "execution_arn": req.execution_arn,
        },
    )
    return {"status": status.value, "changed": True}
