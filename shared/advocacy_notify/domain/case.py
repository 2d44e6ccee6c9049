"""A case: one home x one placing authority. Its record, its statuses and the moves between them.

"Open", "answered" and "closed" are defined here and nowhere else. The case repository turns
`may_move(...)` into the condition of every write, so a status only ever changes along an edge below.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from .clock import iso
from .models import CASE_FACTS, AnswerKind, CaseMessage


class CaseStatus(StrEnum):
    QUEUED = "queued"
    AWAITING_RESPONSE = "awaiting_response"
    ESCALATED = "escalated"
    TECHNICAL_FAILURE = "technical_failure"  # SES cannot send for now: retried for hours, then staff told
    DELIVERY_FAILED = "delivery_failed"  # no address of the authority can be reached: waits for staff
    FAILED = "failed"  # the workflow itself failed: waits for staff
    CONFIRMED = "confirmed"
    REFERRALS_IN_PROGRESS = "referrals_in_progress"
    NO_CHILDREN_PLACED = "no_children_placed"
    NEED_HELP = "need_help"
    UNRESOLVED = "unresolved"  # no answer by the final deadline
    CLOSED_BY_STAFF = "closed_by_staff"


S = CaseStatus
# The workflow is chasing: emails go out on their dates.
CHASING = frozenset({S.QUEUED, S.AWAITING_RESPONSE, S.ESCALATED, S.TECHNICAL_FAILURE})
# Nothing will happen until staff act (fix a contact and resend, or close).
WAITING_FOR_STAFF = frozenset({S.DELIVERY_FAILED, S.FAILED})
# Not yet at an outcome: an answer is still welcome, and the case counts as open everywhere.
OPEN = CHASING | WAITING_FOR_STAFF
ANSWERED = frozenset(CaseStatus(a.value) for a in AnswerKind)
CLOSED = frozenset(CaseStatus) - OPEN
# Staff may restart these (after fixing the authority's contacts).
RESENDABLE = WAITING_FOR_STAFF | {S.TECHNICAL_FAILURE}
# Staff may close these by hand.
CLOSABLE = OPEN | {S.UNRESOLVED}


def may_move(current: CaseStatus, to: CaseStatus) -> bool:
    """The edges of a case's life."""
    if to in ANSWERED or to in {S.FAILED}:
        return current in OPEN and current != to  # an answer is welcome, and a workflow may fail, until the end
    if to is S.CLOSED_BY_STAFF:
        return current in CLOSABLE
    if to in {S.DELIVERY_FAILED, S.TECHNICAL_FAILURE}:
        return current in CHASING and current != to  # every address bounced, or SES could not send for hours
    if to is S.QUEUED:
        return current in OPEN and current is not S.QUEUED  # staff start the chase again
    if to in {S.AWAITING_RESPONSE, S.ESCALATED}:
        return current in CHASING  # an email went out (again, after a retry: same status)
    if to is S.UNRESOLVED:
        return current in {S.AWAITING_RESPONSE, S.ESCALATED}  # silence until the final deadline
    return False


def sources_of(to: CaseStatus) -> frozenset[CaseStatus]:
    """Every status a case may be in for a move to `to` (the condition of the write that makes it)."""
    return frozenset(s for s in CaseStatus if may_move(s, to))


def status_for_answer(answer: AnswerKind) -> CaseStatus:
    return CaseStatus(answer.value)


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
        digest = hashlib.sha256(case_id.encode()).hexdigest()[:16]
        name = f"{name[:63]}-{digest}"
    return name


def queue_dedup_id(case_id: str) -> str:
    """An SQS entry and deduplication id for the case: [A-Za-z0-9_-], at most 80 characters (case ids fit)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in case_id)[:80]


def _moment(value: Any) -> Any:
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value or None


# A moment as the tables hold it: ISO 8601 in UTC with milliseconds and Z (sorts as text).
Moment = Annotated[datetime, BeforeValidator(_moment), PlainSerializer(iso, return_type=str)]


class Case(BaseModel):
    """The case record (the `CASE` item of the cases table), typed. Unknown attributes are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    case_id: str
    urn: str
    gss_code: str
    la_name: str
    home_name: str | None = None
    provision_type: str
    home_local_authority: str | None = None
    judgement: str = "Inadequate"
    rating_date: date
    source_bucket: str = ""
    source_key: str = ""
    status: CaseStatus = CaseStatus.QUEUED
    opened_at: Moment | None = None
    expires_at: int | None = None
    queued_at: Moment | None = None
    # the workflow
    workflow_started_at: Moment | None = None
    execution_name: str | None = None
    execution_arn: str | None = None
    task_token: str | None = None
    stage: int | None = None
    link_nonce: str | None = None
    # the chase
    first_sent: date | None = None
    first_email_at: Moment | None = None
    last_email_at: Moment | None = None
    reply_by: date | None = None
    final_deadline: date | None = None
    reminders_sent: int = 0
    emails_sent: int = 0
    escalated_at: Moment | None = None
    # the outcome
    answered_at: Moment | None = None
    answer: AnswerKind | None = None
    children_count: int | None = None
    advocacy_before_contact: bool | None = None
    working_days_to_answer: int | None = None
    closed_at: Moment | None = None
    closed_by: str | None = None
    status_reason: str | None = None
    status_before_close: CaseStatus | None = None
    updated_at: Moment | None = None
    # staff resends
    resend_pending: bool = False
    resent_at: Moment | None = None
    resent_by: str | None = None
    resend_count: int = 0
    requeues: int = 0  # times the reconciler queued it again (its queue message was lost)
    # other ratings of the same home for the same authority that arrived while this case was open
    joined_ratings: list[date] = []

    @classmethod
    def opened(cls, msg: CaseMessage, at: datetime, retention_days: int) -> Case:
        """A new case from its queue message, as ingest claims it (and notify, for a replayed message)."""
        return cls(
            **msg.model_dump(),
            status=CaseStatus.QUEUED,
            opened_at=at,
            expires_at=record_expiry(at, retention_days),
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def is_chasing(self) -> bool:
        return self.status in CHASING

    @property
    def pair(self) -> str:
        """The home x authority this case is about (whatever the rating date)."""
        return f"{self.urn.upper()}#{self.gss_code.upper()}"

    def message(self) -> CaseMessage:
        """The queue message that (re)starts this case."""
        return CaseMessage.model_validate(self.model_dump(include=set(CaseMessage.model_fields)))

    def facts(self) -> dict[str, Any]:
        """What its emails and answer pages say about it (`CaseFacts`' fields), to build them from."""
        return self.model_dump(include=set(CASE_FACTS))

    def document(self) -> dict[str, Any]:
        """The record as the table holds it (None values left out)."""
        return self.model_dump(mode="json", exclude_none=True)


def record_expiry(at: datetime, retention_days: int) -> int:
    """The DynamoDB TTL (epoch seconds) of a record written at `at`: kept `retention_days` (the template's
    RetentionDays), then removed by DynamoDB. The one expiry rule of every table."""
    return int(at.timestamp()) + retention_days * 86400
