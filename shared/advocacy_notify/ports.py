"""The ports: what the use cases (`logic/`) need from the outside world, named for the need.

Each is a small Protocol. The real adapters (`adapters/`) implement them with boto3 clients and are built
by `wiring`; the unit tests hand in in-memory fakes (`tests/fakes.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any, Protocol

from .domain.case import Case, CaseStatus
from .domain.clock import Clock
from .domain.models import CaseMessage

if TYPE_CHECKING:  # annotations only: a function that never reads a file or a contact does not load their rules
    from .domain.contacts import Contacts
    from .domain.snapshot import RatedHome, SnapshotSummary

__all__ = [
    "Alerts",
    "AnswerRecord",
    "Answers",
    "CaseHistory",
    "CaseQueue",
    "Cases",
    "Claim",
    "Clock",
    "DeadLetter",
    "DeadLetters",
    "Directory",
    "EmailEntry",
    "EmailRejected",
    "EmailThrottled",
    "EmailUnavailable",
    "EmailUncertain",
    "Files",
    "LinkKey",
    "LinkRecord",
    "Links",
    "Mailer",
    "OutboxEntry",
    "SendPacer",
    "Snapshots",
    "TaskTokens",
    "WorkItems",
    "Workflow",
]


# ------------------------------------------------------------------ what a mailer may raise
class EmailThrottled(Exception):
    """SES asked us to slow down. Nothing was sent."""


class EmailUnavailable(Exception):
    """SES cannot send for now (sending paused, the service unavailable, a configuration to fix). Nothing was sent."""


class EmailRejected(Exception):
    """SES refused this message for good. Nothing was sent."""


class EmailUncertain(Exception):
    """The request may have reached SES (a timeout, or a server error after it was sent): it may have been sent."""


# ------------------------------------------------------------------ records the ports exchange
class Claim(StrEnum):
    NEW = "new"  # claimed now: queue it
    KNOWN = "known"  # the same case (same home, authority and rating) is already known
    JOINED = "joined"  # another case for this home and authority is open: the rating joined it


@dataclass(frozen=True)
class EmailEntry:
    """One stage's email in the ledger (`EMAIL#<stage>` of the cases table)."""

    case_id: str
    stage: int
    kind: str
    state: str  # sending | sent | not_sent | rejected | uncertain
    to: tuple[str, ...] = ()
    sent_at: datetime | None = None
    message_id: str | None = None
    error: str | None = None
    intended_at: datetime | None = None
    # per recipient: {address: {"status": delivered | permanent-failure | ..., "at": iso}}
    delivery: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    complaints: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutboxEntry:
    """Something an answer caused that must reach another service: retried until it does."""

    case_id: str
    effect: str  # resume | alert
    created_at: datetime
    detail: Mapping[str, Any] = field(default_factory=dict)
    attempts: int = 0


@dataclass(frozen=True)
class CaseHistory:
    case: Case
    emails: list[EmailEntry]
    events: list[dict[str, Any]]
    archived_emails: list[dict[str, Any]]


@dataclass(frozen=True)
class LinkRecord:
    link_hash: str
    case_id: str
    expires: datetime
    used_at: datetime | None = None


@dataclass(frozen=True)
class AnswerRecord:
    """What an authority answered, with who and when (the answers table's item)."""

    case_id: str
    link_hash: str
    answered_at: datetime
    answer: str
    children_count: int
    advocacy_before_contact: bool | None
    responder_name: str
    responder_role: str
    responder_email: str
    notes: str
    gss_code: str
    urn: str
    reminders_before_answer: int
    escalated_before_answer: bool
    working_days_to_answer: int


# ------------------------------------------------------------------ the ports
class Cases(Protocol):
    """The cases table: case records, the email ledger, events, and the outbox of answers' effects."""

    def claim(self, case: Case) -> Claim: ...
    def get(self, case_id: str) -> Case | None: ...
    def open_case_for(self, urn: str, gss_code: str) -> Case | None: ...
    def join_rating(self, case_id: str, rating_date: date, source_key: str, at: datetime) -> None: ...
    def mark_queued(self, case_ids: Sequence[str], at: datetime) -> None: ...
    def workflow_started(self, case_id: str, execution_name: str, at: datetime) -> None: ...
    def link_nonce(self, case_id: str, new: str) -> str: ...
    def move(
        self,
        case_id: str,
        to: CaseStatus,
        at: datetime,
        sets: Mapping[str, Any] | None = None,
        removes: Iterable[str] = (),
        add: Mapping[str, int] | None = None,
    ) -> Case | None: ...
    def update(
        self,
        case_id: str,
        sets: Mapping[str, Any],
        *,
        only_if: Iterable[CaseStatus] | None = None,
        removes: Iterable[str] = (),
    ) -> Case | None: ...
    def add_event(self, case_id: str, at: datetime, event: str, **detail: Any) -> None: ...
    def history(self, case_id: str) -> CaseHistory | None: ...
    def with_status(self, status: CaseStatus) -> list[Case]: ...
    def all(self) -> list[Case]: ...
    def covered_homes(self, urns: Iterable[str]) -> set[str]: ...  # the URNs some case (open or not) is about
    # the email ledger
    def email(self, case_id: str, stage: int) -> EmailEntry | None: ...
    def begin_email(self, entry: EmailEntry, at: datetime) -> EmailEntry | None: ...
    def finish_email(self, case_id: str, stage: int, state: str, at: datetime, **fields: Any) -> None: ...
    def record_delivery(
        self, case_id: str, stage: int, recipient: str, status: str, at: datetime, detail: str
    ) -> EmailEntry | None: ...
    def record_complaint(self, case_id: str, stage: int, recipient: str, at: datetime) -> None: ...
    def emails_sending(self) -> list[EmailEntry]: ...
    def archive_emails(self, case_id: str, resend: int) -> None: ...
    # an answer, with everything it causes, in one transaction
    def record_answer(
        self, answer: AnswerRecord, answers: Answers, links: Links, work: WorkItems, effects: Sequence[OutboxEntry]
    ) -> Case | None: ...
    def pending_effects(self) -> list[OutboxEntry]: ...
    def effect_done(self, entry: OutboxEntry, at: datetime) -> None: ...
    def effect_failed(self, entry: OutboxEntry, at: datetime, error: str) -> None: ...


class Links(Protocol):
    def put(self, link_hash: str, case_id: str, expires: datetime) -> None: ...
    def get(self, link_hash: str) -> LinkRecord | None: ...
    def use_part(self, link_hash: str, at: datetime) -> Mapping[str, Any]: ...


class Answers(Protocol):
    def put_part(self, answer: AnswerRecord, expires_at: int) -> Mapping[str, Any]: ...
    def for_case(self, case_id: str) -> list[dict[str, Any]]: ...
    def all(self) -> list[dict[str, Any]]: ...


class Directory(Protocol):
    """The authorities' contacts, kept by staff (every change audited)."""

    def contacts(self, gss_code: str) -> Contacts | None: ...
    def save(self, contacts: Contacts, *, by: str, at: datetime) -> bool: ...
    def all_contacts(self) -> list[Contacts]: ...
    def audit(self, gss_code: str) -> list[dict[str, Any]]: ...


class WorkItems(Protocol):
    """Staff work items: one per (kind, key), so repeats of the same problem do not pile up."""

    def raise_item(self, kind: str, key: str, at: datetime, **detail: Any) -> bool: ...
    def raise_part(self, kind: str, key: str, at: datetime, **detail: Any) -> Mapping[str, Any]: ...
    def open_items(self) -> list[dict[str, Any]]: ...
    def all(self) -> list[dict[str, Any]]: ...
    def done(self, item_id: str, *, by: str, note: str, at: datetime) -> bool: ...


class Snapshots(Protocol):
    """Ofsted's ratings snapshots: each one's in-scope homes and ratings, and its summary (monitoring figures)."""

    def save_homes(self, summary: SnapshotSummary, homes: Sequence[RatedHome]) -> None: ...
    def put_summary(self, summary: SnapshotSummary) -> None: ...  # written last: the snapshot is then complete
    def summaries(self) -> list[SnapshotSummary]: ...  # every complete snapshot, in order (`SnapshotSummary.order`)
    def homes(self, summary: SnapshotSummary) -> dict[str, RatedHome]: ...  # by URN


class Mailer(Protocol):
    """Sends one raw MIME email. Raises `EmailThrottled`, `EmailUnavailable`, `EmailRejected` (nothing was
    sent) or `EmailUncertain` (the request may have reached SES)."""

    def send(self, raw: bytes, *, sender: str, to: Sequence[str], tags: Mapping[str, str]) -> str: ...


class SendPacer(Protocol):
    """Paces sends under the account's SES rate: reserves the next sending slot, and says how many seconds
    away it is (0: send now)."""

    def reserve(self, at: datetime) -> float: ...


class LinkKey(Protocol):
    def secret(self) -> bytes: ...


class TaskTokens(Protocol):
    """A waiting task of the case workflow, by its token: resume it, or fail it. False: the token is gone."""

    def resume(self, token: str, output: Mapping[str, Any]) -> bool: ...
    def fail(self, token: str, error: str, cause: str) -> bool: ...


class Workflow(TaskTokens, Protocol):
    """The case state machine."""

    def start(self, name: str, payload: Mapping[str, Any]) -> bool: ...
    def status(self, name: str) -> str | None: ...
    def stop(self, name: str, error: str, cause: str) -> bool: ...
    def ended_without_success(self) -> list[tuple[str, str]]: ...


class Alerts(Protocol):
    def alert(self, subject: str, detail: Mapping[str, Any]) -> None: ...


class Files(Protocol):
    def open(self, bucket: str, key: str, version_id: str | None = None) -> IO[bytes]: ...
    def put_json(self, bucket: str, key: str, document: Any) -> None: ...
    def put_text_chunks(self, bucket: str, key: str, chunks: Iterator[str]) -> None: ...
    def get_json(self, bucket: str, key: str) -> Any | None: ...
    def keys(self, bucket: str, prefix: str) -> list[str]: ...


class CaseQueue(Protocol):
    def send(self, messages: Sequence[CaseMessage]) -> list[str]: ...


@dataclass(frozen=True)
class DeadLetter:
    body: str
    group: str
    receipt: str


class DeadLetters(Protocol):
    """The case dead-letter queue: a message that cannot be handled goes there alone; staff move cases back."""

    def put(self, body: str, group: str, dedup_id: str) -> None: ...
    def receive(self, max_messages: int) -> list[DeadLetter]: ...
    def send_back(self, letter: DeadLetter, dedup_id: str) -> None: ...
