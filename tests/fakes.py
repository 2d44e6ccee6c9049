"""In-memory fakes of every port (`advocacy_notify.ports`), for unit tests of the use cases.

They keep the contracts the real adapters keep (conditions, one item per key, all-or-nothing answers);
`tests/integration/test_port_contracts.py` runs the same checks against the DynamoDB adapters under moto.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any

from advocacy_notify.domain.case import CLOSED, Case, CaseStatus, sources_of
from advocacy_notify.domain.clock import iso
from advocacy_notify.domain.contacts import Contacts
from advocacy_notify.domain.models import CaseMessage
from advocacy_notify.domain.snapshot import RatedHome, SnapshotSummary
from advocacy_notify.ports import (
    AnswerRecord,
    CaseHistory,
    Claim,
    DeadLetter,
    EmailEntry,
    LinkRecord,
    OutboxEntry,
)


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class InMemoryCases:
    """`ports.Cases` in memory."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.locks: dict[str, str] = {}  # pair -> open case id
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.emails: dict[tuple[str, int], EmailEntry] = {}
        self.archived: dict[str, list[dict[str, Any]]] = {}
        self.outbox: dict[tuple[str, str], dict[str, Any]] = {}
        self._seq = itertools.count()

    # ------------------------------------------------------------------ records
    def claim(self, case: Case) -> Claim:
        existing = self.records.get(case.case_id)
        if existing is not None and (existing.get("queued_at") or existing.get("workflow_started_at")):
            return Claim.KNOWN
        holder = self.open_case_for(case.urn, case.gss_code)
        if holder is not None and holder.case_id != case.case_id:
            return Claim.KNOWN if existing is not None else Claim.JOINED
        self.records[case.case_id] = case.document()
        self.locks[case.pair] = case.case_id
        return Claim.NEW

    def open_case_for(self, urn: str, gss_code: str) -> Case | None:
        holder = self.locks.get(f"{urn.upper()}#{gss_code.upper()}")
        case = self.get(holder) if holder else None
        if case is not None and case.is_open:
            return case
        self.locks.pop(f"{urn.upper()}#{gss_code.upper()}", None)
        return None

    def join_rating(self, case_id: str, rating_date: date, source_key: str, at: datetime) -> None:
        joined = self.records[case_id].setdefault("joined_ratings", [])
        if rating_date.isoformat() not in joined:
            joined.append(rating_date.isoformat())
        self.add_event(case_id, at, "rating_joined", rating_date=rating_date.isoformat(), source_key=source_key)

    def get(self, case_id: str) -> Case | None:
        doc = self.records.get(case_id)
        return Case.model_validate(doc) if doc else None

    def mark_queued(self, case_ids: Sequence[str], at: datetime) -> None:
        for case_id in case_ids:
            self.records[case_id]["queued_at"] = iso(at)

    def workflow_started(self, case_id: str, execution_name: str, at: datetime) -> None:
        self.records[case_id].update(execution_name=execution_name, workflow_started_at=iso(at))

    def link_nonce(self, case_id: str, new: str) -> str:
        return str(self.records[case_id].setdefault("link_nonce", new))

    def move(
        self,
        case_id: str,
        to: CaseStatus,
        at: datetime,
        sets: Mapping[str, Any] | None = None,
        removes: Iterable[str] = (),
        add: Mapping[str, int] | None = None,
    ) -> Case | None:
        doc = self.records.get(case_id)
        if doc is None or CaseStatus(doc["status"]) not in sources_of(to):
            return None
        self._apply(doc, {**(sets or {}), "status": to.value, "updated_at": iso(at)}, removes, add)
        if to in CLOSED:
            doc.setdefault("closed_at", iso(at))
            if self.locks.get(f"{doc['urn'].upper()}#{doc['gss_code'].upper()}") == case_id:
                del self.locks[f"{doc['urn'].upper()}#{doc['gss_code'].upper()}"]
        return Case.model_validate(doc)

    @staticmethod
    def _apply(
        doc: dict[str, Any], sets: Mapping[str, Any], removes: Iterable[str], add: Mapping[str, int] | None
    ) -> None:
        for k, v in sets.items():
            if v is not None:
                doc[k] = _plain(v)
        for k in removes:
            if sets.get(k) is None:
                doc.pop(k, None)
        for k, n in (add or {}).items():
            doc[k] = int(doc.get(k) or 0) + n

    def update(
        self,
        case_id: str,
        sets: Mapping[str, Any],
        *,
        only_if: Iterable[CaseStatus] | None = None,
        removes: Iterable[str] = (),
    ) -> Case | None:
        doc = self.records.get(case_id)
        if doc is None:
            return None
        if only_if is not None and CaseStatus(doc["status"]) not in set(only_if):
            return None
        self._apply(doc, sets, removes, None)
        return Case.model_validate(doc)

    def add_event(self, case_id: str, at: datetime, event: str, **detail: Any) -> None:
        self.events.setdefault(case_id, []).append({"at": iso(at), "event": event, **detail, "n": next(self._seq)})

    def history(self, case_id: str) -> CaseHistory | None:
        case = self.get(case_id)
        if case is None:
            return None
        emails = [e for (cid, _s), e in sorted(self.emails.items()) if cid == case_id]
        return CaseHistory(case, emails, list(self.events.get(case_id, [])), list(self.archived.get(case_id, [])))

    def with_status(self, status: CaseStatus) -> list[Case]:
        return [c for c in self.all() if c.status is status]

    def all(self) -> list[Case]:
        return [Case.model_validate(d) for d in self.records.values()]

    def covered_homes(self, urns: Iterable[str]) -> set[str]:
        about = {str(d["urn"]) for d in self.records.values()}
        return {u for u in urns if u in about}

    # ------------------------------------------------------------------ the email ledger
    def email(self, case_id: str, stage: int) -> EmailEntry | None:
        return self.emails.get((case_id, stage))

    def begin_email(self, entry: EmailEntry, at: datetime) -> EmailEntry | None:
        existing = self.emails.get((entry.case_id, entry.stage))
        if existing is not None and existing.state != "not_sent":
            return existing
        self.emails[(entry.case_id, entry.stage)] = replace(entry, state="sending", intended_at=at)
        return None

    def finish_email(self, case_id: str, stage: int, state: str, at: datetime, **fields: Any) -> None:
        entry = self.emails[(case_id, stage)]
        sent_at = fields.get("sent_at")
        self.emails[(case_id, stage)] = replace(
            entry,
            state=state,
            message_id=fields.get("message_id", entry.message_id),
            error=fields.get("error", entry.error),
            sent_at=datetime.fromisoformat(sent_at.replace("Z", "+00:00")) if sent_at else entry.sent_at,
        )

    def record_delivery(
        self, case_id: str, stage: int, recipient: str, status: str, at: datetime, detail: str
    ) -> EmailEntry | None:
        entry = self.emails.get((case_id, stage))
        if entry is None:
            return None
        delivery = {**entry.delivery, recipient: {"status": status, "at": iso(at), "detail": detail}}
        self.emails[(case_id, stage)] = replace(entry, delivery=delivery)
        return self.emails[(case_id, stage)]

    def record_complaint(self, case_id: str, stage: int, recipient: str, at: datetime) -> None:
        entry = self.emails.get((case_id, stage))
        if entry is not None and recipient not in entry.complaints:
            self.emails[(case_id, stage)] = replace(entry, complaints=(*entry.complaints, recipient))

    def emails_sending(self) -> list[EmailEntry]:
        return [e for e in self.emails.values() if e.state == "sending"]

    def archive_emails(self, case_id: str, resend: int) -> None:
        for key in [k for k in self.emails if k[0] == case_id]:
            entry = self.emails.pop(key)
            self.archived.setdefault(case_id, []).append(
                {"sk": f"RESENT#{resend}#EMAIL#{key[1]:02d}", "kind": entry.kind, "state": entry.state}
            )

    # ------------------------------------------------------------------ answers and their effects
    def record_answer(
        self,
        answer: AnswerRecord,
        answers: InMemoryAnswers,
        links: InMemoryLinks,
        work: InMemoryWork,
        effects: Sequence[OutboxEntry],
    ) -> Case | None:
        link = links.records.get(answer.link_hash)
        doc = self.records.get(answer.case_id)
        status = CaseStatus(answer.answer)
        if link is None or link.used_at is not None or doc is None:
            return None
        if CaseStatus(doc["status"]) not in sources_of(status):
            return None
        links.records[answer.link_hash] = replace(link, used_at=answer.answered_at)
        answers.items.append({**answer.__dict__, "answered_at": iso(answer.answered_at)})
        if status is CaseStatus.NEED_HELP:
            work.raise_item(
                "need_help",
                answer.case_id,
                answer.answered_at,
                case_id=answer.case_id,
                gss_code=answer.gss_code,
                urn=answer.urn,
            )
        for entry in effects:
            self.outbox[(entry.case_id, entry.effect)] = {"entry": entry, "pending": True, "attempts": 0}
        moved = self.move(
            answer.case_id,
            status,
            answer.answered_at,
            {
                "answer": answer.answer,
                "answered_at": answer.answered_at,
                "children_count": answer.children_count,
                "advocacy_before_contact": answer.advocacy_before_contact,
                "working_days_to_answer": answer.working_days_to_answer,
            },
        )
        return moved

    def pending_effects(self) -> list[OutboxEntry]:
        return [replace(v["entry"], attempts=v["attempts"]) for _k, v in sorted(self.outbox.items()) if v["pending"]]

    def effect_done(self, entry: OutboxEntry, at: datetime) -> None:
        self.outbox[(entry.case_id, entry.effect)]["pending"] = False

    def effect_failed(self, entry: OutboxEntry, at: datetime, error: str) -> None:
        self.outbox[(entry.case_id, entry.effect)]["attempts"] += 1


class InMemoryLinks:
    def __init__(self) -> None:
        self.records: dict[str, LinkRecord] = {}

    def put(self, link_hash: str, case_id: str, expires: datetime) -> None:
        self.records.setdefault(link_hash, LinkRecord(link_hash, case_id, expires))

    def get(self, link_hash: str) -> LinkRecord | None:
        return self.records.get(link_hash)

    def use_part(self, link_hash: str, at: datetime) -> Mapping[str, Any]:
        return {"link_hash": link_hash}


class InMemoryAnswers:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def put_part(self, answer: AnswerRecord, expires_at: int) -> Mapping[str, Any]:
        return {"case_id": answer.case_id}

    def for_case(self, case_id: str) -> list[dict[str, Any]]:
        return [a for a in self.items if a["case_id"] == case_id]

    def all(self) -> list[dict[str, Any]]:
        return list(self.items)


class InMemorySnapshots:
    """`ports.Snapshots` in memory: a snapshot's homes, and its summary once complete."""

    def __init__(self) -> None:
        self.homes_of: dict[tuple[str, str], dict[str, RatedHome]] = {}
        self.summary_of: dict[tuple[str, str], SnapshotSummary] = {}

    @staticmethod
    def _key(summary: SnapshotSummary) -> tuple[str, str]:
        return (summary.snapshot_date.isoformat(), summary.fingerprint)

    def save_homes(self, summary: SnapshotSummary, homes: Sequence[RatedHome]) -> None:
        self.homes_of[self._key(summary)] = {h.urn: h for h in homes}

    def put_summary(self, summary: SnapshotSummary) -> None:
        self.summary_of[self._key(summary)] = summary

    def summaries(self) -> list[SnapshotSummary]:
        return sorted(self.summary_of.values(), key=lambda s: s.order)

    def homes(self, summary: SnapshotSummary) -> dict[str, RatedHome]:
        return dict(self.homes_of[self._key(summary)])


class InMemoryDirectory:
    def __init__(self, contacts: Iterable[Contacts] = ()) -> None:
        self.records = {c.gss_code: c for c in contacts}
        self.audits: dict[str, list[dict[str, Any]]] = {}

    def contacts(self, gss_code: str) -> Contacts | None:
        return self.records.get(gss_code)

    def save(self, contacts: Contacts, *, by: str, at: datetime) -> bool:
        if self.records.get(contacts.gss_code) == contacts:
            return False
        self.records[contacts.gss_code] = contacts
        self.audits.setdefault(contacts.gss_code, []).append({"by": by, "at": iso(at)})
        return True

    def all_contacts(self) -> list[Contacts]:
        return list(self.records.values())

    def audit(self, gss_code: str) -> list[dict[str, Any]]:
        return list(self.audits.get(gss_code, []))


class InMemoryWork:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    @staticmethod
    def item_id(kind: str, key: str) -> str:
        return f"{kind}#{hashlib.sha256(key.encode()).hexdigest()[:20]}"

    def raise_item(self, kind: str, key: str, at: datetime, **detail: Any) -> bool:
        item_id = self.item_id(kind, key)
        if item_id in self.items:
            return False
        self.items[item_id] = {
            "item_id": item_id,
            "kind": kind,
            "key": key,
            "created_at": iso(at),
            "state": "open",
            **detail,
        }
        return True

    def raise_part(self, kind: str, key: str, at: datetime, **detail: Any) -> Mapping[str, Any]:
        return {"kind": kind}

    def open_items(self) -> list[dict[str, Any]]:
        return [i for i in self.items.values() if i["state"] == "open"]

    def all(self) -> list[dict[str, Any]]:
        return list(self.items.values())

    def done(self, item_id: str, *, by: str, note: str, at: datetime) -> bool:
        if item_id not in self.items:
            return False
        self.items[item_id].update(state="done", resolved_by=by, resolution=note)
        return True

    def kinds(self) -> list[str]:
        return sorted(i["kind"] for i in self.items.values())


@dataclass
class SentMail:
    raw: bytes
    sender: str
    to: tuple[str, ...]
    tags: dict[str, str]


@dataclass
class FakeMailer:
    sent: list[SentMail] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)  # raised by the next sends, in order
    message_ids: Iterator[int] = field(default_factory=itertools.count)

    def send(self, raw: bytes, *, sender: str, to: Sequence[str], tags: Mapping[str, str]) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(SentMail(raw, sender, tuple(to), dict(tags)))
        return f"msg-{next(self.message_ids)}"


@dataclass
class FakePacer:
    wait: float = 0.0  # seconds to this send's slot
    asked: int = 0

    def reserve(self, at: datetime) -> float:
        self.asked += 1
        return self.wait


class FakeLinkKey:
    def __init__(self, secret: bytes = b"k" * 48, failures: int = 0) -> None:
        self._secret = secret
        self.failures = failures

    def secret(self) -> bytes:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("ThrottlingException")
        return self._secret


@dataclass
class FakeWorkflow:
    started: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    live_tokens: set[str] = field(default_factory=set)
    resumed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    resume_failures: list[Exception] = field(default_factory=list)

    def start(self, name: str, payload: Mapping[str, Any]) -> bool:
        if name in self.started:
            return False
        self.started[name] = dict(payload)
        self.statuses[name] = "RUNNING"
        return True

    def resume(self, token: str, output: Mapping[str, Any]) -> bool:
        if self.resume_failures:
            raise self.resume_failures.pop(0)
        if token not in self.live_tokens:
            return False
        self.live_tokens.discard(token)
        self.resumed.append((token, dict(output)))
        return True

    def fail(self, token: str, error: str, cause: str) -> bool:
        if token not in self.live_tokens:
            return False
        self.live_tokens.discard(token)
        self.failed.append((token, error))
        return True

    def status(self, name: str) -> str | None:
        return self.statuses.get(name)

    def stop(self, name: str, error: str, cause: str) -> bool:
        if name not in self.statuses:
            return False
        self.statuses[name] = "ABORTED"
        self.stopped.append(name)
        return True

    def ended_without_success(self) -> list[tuple[str, str]]:
        return [(n, s) for n, s in self.statuses.items() if s in {"FAILED", "TIMED_OUT", "ABORTED"}]


@dataclass
class FakeAlerts:
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def alert(self, subject: str, detail: Mapping[str, Any]) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((subject, dict(detail)))


class FakeFiles:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def open(self, bucket: str, key: str, version_id: str | None = None) -> IO[bytes]:
        return io.BytesIO(self.objects[(bucket, key)])

    def put_json(self, bucket: str, key: str, document: Any) -> None:
        self.objects[(bucket, key)] = json.dumps(document, default=str).encode()

    def put_text_chunks(self, bucket: str, key: str, chunks: Iterator[str]) -> None:
        self.objects[(bucket, key)] = "".join(chunks).encode()

    def get_json(self, bucket: str, key: str) -> Any | None:
        body = self.objects.get((bucket, key))
        return json.loads(body) if body is not None else None

    def keys(self, bucket: str, prefix: str) -> list[str]:
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))


@dataclass
class FakeQueue:
    sent: list[CaseMessage] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)  # case ids SQS refuses

    def send(self, messages: Sequence[CaseMessage]) -> list[str]:
        failed = [m.case_id for m in messages if m.case_id in self.failing]
        self.sent.extend(m for m in messages if m.case_id not in self.failing)
        return failed


@dataclass
class FakeDeadLetters:
    letters: list[DeadLetter] = field(default_factory=list)
    sent_back: list[tuple[DeadLetter, str]] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)  # received: invisible until their visibility timeout

    def put(self, body: str, group: str, dedup_id: str) -> None:
        self.letters.append(DeadLetter(body, group, f"r{len(self.letters)}"))

    def receive(self, max_messages: int) -> list[DeadLetter]:
        visible = [letter for letter in self.letters if letter.receipt not in self.in_flight][:max_messages]
        self.in_flight.update(letter.receipt for letter in visible)
        return visible

    def send_back(self, letter: DeadLetter, dedup_id: str) -> None:
        self.sent_back.append((letter, dedup_id))
        self.letters = [x for x in self.letters if x.receipt != letter.receipt]
