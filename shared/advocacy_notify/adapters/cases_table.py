"""The cases table's repository: case records, the email ledger, events, home x authority locks and the outbox.

Items (pk `case_id`, sk `sk`):
- `CASE`: the case record (`domain.case.Case`); the `status-index` GSI (status, opened_at) lists them by status,
  and the `urn-index` GSI (urn, keys only) finds the cases of a home.
- `EMAIL#<stage>`: the email ledger - the intent to send is written before SES is called; while it says
  `sending` it carries `status = "email-sending"`, so the reconciler finds stuck ones through the GSI.
- `EVENT#<time>#<n>`: what happened, for staff (`cases show`).
- `OUTBOX#<effect>`: an effect of an answer still to deliver (resume the workflow, alert staff). It carries
  `status = "outbox"` while pending, so the same GSI lists pending effects; delivering removes it.
- pk `PAIR#<urn>#<gss>`, sk `PAIR`: which case is open for this home and authority (one chase at a time).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from ..domain.case import CLOSED, Case, CaseStatus, record_expiry, sources_of
from ..domain.clock import iso, parse_iso
from ..ports import AnswerRecord, Answers, CaseHistory, Claim, EmailEntry, Links, OutboxEntry, WorkItems
from .dynamo import ConditionFailed, Table, nullable, status_in, transact

CASE = "CASE"
PAIR = "PAIR"
STATUS_INDEX = "status-index"
URN_INDEX = "urn-index"  # the cases of a home (keys only): is a home covered by any case?
OUTBOX = "outbox"  # the status of a pending outbox entry in the status index
SENDING = "email-sending"  # the status of a ledger entry while SES is being called, in the status index


def email_sk(stage: int) -> str:
    return f"EMAIL#{stage:02d}"


def _pair_key(urn: str, gss_code: str) -> dict[str, str]:
    return {"case_id": f"PAIR#{urn.upper()}#{gss_code.upper()}", "sk": PAIR}


def _email(item: Mapping[str, Any]) -> EmailEntry:
    def moment(name: str) -> datetime | None:
        value = item.get(name)
        return parse_iso(str(value)) if value else None

    return EmailEntry(
        case_id=str(item["case_id"]),
        stage=int(item.get("stage", int(str(item["sk"]).split("#")[-1]))),
        kind=str(item.get("kind", "")),
        state=str(item.get("state", "")),
        to=tuple(item.get("to") or ()),
        sent_at=moment("sent_at"),
        message_id=item.get("message_id"),
        error=item.get("error"),
        intended_at=moment("intended_at"),
        delivery=dict(item.get("delivery") or {}),
        complaints=tuple(item.get("complaints") or ()),
    )


class DynamoCases:
    """`ports.Cases` on DynamoDB."""

    def __init__(self, table: Table, retention_days: int) -> None:
        self.table = table
        self.retention_days = retention_days

    def _key(self, case_id: str) -> dict[str, str]:
        return {"case_id": case_id, "sk": CASE}

    # ------------------------------------------------------------------ case records
    def claim(self, case: Case) -> Claim:
        """Record a new case, and lock its home x authority, in one transaction. A case claimed by a run that
        crashed before SQS had it (never queued, no workflow) may be claimed again."""
        doc = {**case.document(), "sk": CASE}
        for _attempt in range(3):
            try:
                transact(
                    self.table.client,
                    [
                        self.table.put_part(
                            doc,
                            condition="attribute_not_exists(case_id) OR "
                            "(attribute_not_exists(queued_at) AND attribute_not_exists(workflow_started_at))",
                        ),
                        self.table.put_part(
                            {**_pair_key(case.urn, case.gss_code), "open_case_id": case.case_id},
                            condition="attribute_not_exists(open_case_id) OR open_case_id = :me",
                            values={"me": case.case_id},
                        ),
                    ],
                )
                return Claim.NEW
            except ConditionFailed:
                pass
            if self.get(case.case_id) is not None:
                return Claim.KNOWN
            holder = self.open_case_for(case.urn, case.gss_code)
            if holder is not None:
                return Claim.JOINED
            # the lock named a case that has closed since (now released): claim again
        raise ConditionFailed(f"cannot claim {case.case_id}: its home x authority lock keeps changing")

    def open_case_for(self, urn: str, gss_code: str) -> Case | None:
        """The open case for this home and authority. A lock left by a case that has closed is released."""
        lock = self.table.get(_pair_key(urn, gss_code))
        holder_id = (lock or {}).get("open_case_id")
        if not holder_id:
            return None
        holder = self.get(str(holder_id))
        if holder is not None and holder.is_open:
            return holder
        self._release(urn, gss_code, str(holder_id))
        return None

    def _release(self, urn: str, gss_code: str, case_id: str) -> None:
        with contextlib.suppress(ConditionFailed):
            self.table.update(
                _pair_key(urn, gss_code),
                {},
                removes=("open_case_id",),
                condition="open_case_id = :me",
                values={"me": case_id},
            )

    def join_rating(self, case_id: str, rating_date: date, source_key: str, at: datetime) -> None:
        item = self.table.get(self._key(case_id)) or {}
        joined = list(item.get("joined_ratings") or [])
        if rating_date.isoformat() not in joined:
            joined.append(rating_date.isoformat())
            self.table.update(self._key(case_id), {"joined_ratings": joined, "updated_at": iso(at)})
        self.add_event(case_id, at, "rating_joined", rating_date=rating_date.isoformat(), source_key=source_key)

    def get(self, case_id: str) -> Case | None:
        item = self.table.get(self._key(case_id))
        return Case.model_validate(item) if item else None

    def mark_queued(self, case_ids: Sequence[str], at: datetime) -> None:
        for case_id in case_ids:
            self.table.update(self._key(case_id), {"queued_at": iso(at)})

    def workflow_started(self, case_id: str, execution_name: str, at: datetime) -> None:
        self.table.update(self._key(case_id), {"execution_name": execution_name, "workflow_started_at": iso(at)})

    def link_nonce(self, case_id: str, new: str) -> str:
        """The case's link nonce: `new` if it has none yet (two racing attempts agree on one)."""
        try:
            item = self.table.update(
                self._key(case_id), {"link_nonce": new}, condition="attribute_not_exists(link_nonce)"
            )
        except ConditionFailed:
            item = self.table.get(self._key(case_id)) or {}
        return str(item["link_nonce"])

    def move(
        self,
        case_id: str,
        to: CaseStatus,
        at: datetime,
        sets: Mapping[str, Any] | None = None,
        removes: Iterable[str] = (),
        add: Mapping[str, int] | None = None,
    ) -> Case | None:
        """Move the case to status `to` if the rules allow it from where it is (else None, nothing written).
        A move to a closed status also releases the home x authority lock."""
        condition, values = status_in(sources_of(to))
        fields = {**(sets or {}), "status": to.value, "updated_at": iso(at)}
        if to in CLOSED:
            fields.setdefault("closed_at", iso(at))
        try:
            item = self.table.update(
                self._key(case_id), fields, condition=condition, values=values, removes=removes, add=add
            )
        except ConditionFailed:
            return None
        case = Case.model_validate(item)
        if to in CLOSED:
            self._release(case.urn, case.gss_code, case.case_id)
        return case

    def update(
        self,
        case_id: str,
        sets: Mapping[str, Any],
        *,
        only_if: Iterable[CaseStatus] | None = None,
        removes: Iterable[str] = (),
    ) -> Case | None:
        """Set fields that are not the status (None when `only_if` did not hold)."""
        condition, values = status_in(only_if) if only_if is not None else (None, None)
        try:
            item = self.table.update(self._key(case_id), sets, condition=condition, values=values, removes=removes)
        except ConditionFailed:
            return None
        return Case.model_validate(item)

    def add_event(self, case_id: str, at: datetime, event: str, **detail: Any) -> None:
        self.table.put(
            {
                "case_id": case_id,
                "sk": f"EVENT#{iso(at)}#{secrets.token_hex(3)}",
                "at": iso(at),
                "event": event,
                "expires_at": record_expiry(at, self.retention_days),
                **detail,
            }
        )

    def history(self, case_id: str) -> CaseHistory | None:
        items = self.table.query("case_id", case_id)
        case = next((i for i in items if i["sk"] == CASE), None)
        if case is None:
            return None
        return CaseHistory(
            case=Case.model_validate(case),
            emails=[_email(i) for i in items if str(i["sk"]).startswith("EMAIL#")],
            events=[i for i in items if str(i["sk"]).startswith("EVENT#")],
            archived_emails=[i for i in items if str(i["sk"]).startswith("RESENT#")],
        )

    def with_status(self, status: CaseStatus) -> list[Case]:
        items = self.table.query("status", status.value, index=STATUS_INDEX)
        return [Case.model_validate(i) for i in items if i.get("sk") == CASE]

    def all(self) -> list[Case]:
        return [Case.model_validate(i) for i in self.table.scan("sk = :c", values={":c": CASE})]

    def covered_homes(self, urns: Iterable[str]) -> set[str]:
        """The URNs among `urns` that some case (open or closed) is about: one query of the URN index each."""
        return {
            urn
            for urn in dict.fromkeys(urns)
            if any(i.get("sk") == CASE for i in self.table.query("urn", urn, index=URN_INDEX))
        }

    # ------------------------------------------------------------------ the email ledger
    def email(self, case_id: str, stage: int) -> EmailEntry | None:
        item = self.table.get({"case_id": case_id, "sk": email_sk(stage)})
        return _email(item) if item else None

    def begin_email(self, entry: EmailEntry, at: datetime) -> EmailEntry | None:
        """Record the intent to send, just before SES is called. None: send now. Otherwise the existing entry:
        this stage's email was sent, may have been sent, or was refused for good."""
        key = {"case_id": entry.case_id, "sk": email_sk(entry.stage)}
        doc = {
            "kind": entry.kind,
            "stage": entry.stage,
            "to": list(entry.to),
            "state": "sending",
            "status": SENDING,
            "opened_at": iso(at),
            "intended_at": iso(at),
            "expires_at": record_expiry(at, self.retention_days),
        }
        try:
            self.table.put(
                {**key, **doc}, condition="attribute_not_exists(sk) OR #state = :ns", values={"ns": "not_sent"}
            )
        except ConditionFailed:
            existing = self.table.get(key)
            return _email(existing) if existing else None
        return None

    def finish_email(self, case_id: str, stage: int, state: str, at: datetime, **fields: Any) -> None:
        sets = {"state": state, "finished_at": iso(at), **fields}
        if state == "sent":
            sets["delivery"] = {}  # filled per recipient by SES events
        self.table.update({"case_id": case_id, "sk": email_sk(stage)}, sets, removes=("status",))

    def record_delivery(
        self, case_id: str, stage: int, recipient: str, status: str, at: datetime, detail: str
    ) -> EmailEntry | None:
        key = {"case_id": case_id, "sk": email_sk(stage)}
        item = self.table.get(key)
        if item is None:
            return None
        delivery = dict(item.get("delivery") or {})
        delivery[recipient] = {"status": status, "at": iso(at), "detail": detail[:80]}
        return _email(self.table.update(key, {"delivery": delivery}))

    def record_complaint(self, case_id: str, stage: int, recipient: str, at: datetime) -> None:
        key = {"case_id": case_id, "sk": email_sk(stage)}
        item = self.table.get(key)
        if item is None:
            return
        complaints = list(item.get("complaints") or [])
        if recipient not in complaints:
            complaints.append(recipient)
            self.table.update(key, {"complaints": complaints, "complained_at": iso(at)})

    def emails_sending(self) -> list[EmailEntry]:
        """Ledger entries still `sending` (SES being called, or an attempt that stopped while it was)."""
        return [_email(i) for i in self.table.query("status", SENDING, index=STATUS_INDEX)]

    def archive_emails(self, case_id: str, resend: int) -> None:
        """Set a case's email ledger aside before staff start it again (the ledger forbids sending a stage twice)."""
        for item in self.table.query("case_id", case_id, prefix="EMAIL#"):
            self.table.put({**item, "sk": f"RESENT#{resend}#{item['sk']}"})
            self.table.delete({"case_id": case_id, "sk": item["sk"]})

    # ------------------------------------------------------------------ answers and their effects
    def record_answer(
        self, answer: AnswerRecord, answers: Answers, links: Links, work: WorkItems, effects: Sequence[OutboxEntry]
    ) -> Case | None:
        """Everything an answer causes, durably and together: the link used, the answer stored, the case
        answered, a need_help work item, and the outbox of effects still to deliver. None when the link was
        used or the case closed meanwhile (nothing written)."""
        at = answer.answered_at
        status = CaseStatus(answer.answer)
        condition, values = status_in(sources_of(status))
        parts = [
            dict(links.use_part(answer.link_hash, at)),
            dict(answers.put_part(answer, record_expiry(at, self.retention_days))),
            self.table.update_part(
                self._key(answer.case_id),
                {
                    "status": status.value,
                    "answer": answer.answer,
                    "answered_at": iso(at),
                    "closed_at": iso(at),
                    "updated_at": iso(at),
                    "children_count": answer.children_count,
                    "advocacy_before_contact": nullable(answer.advocacy_before_contact),  # null: "do not know"
                    "working_days_to_answer": answer.working_days_to_answer,
                },
                condition=condition,
                values=values,
            ),
        ]
        if status is CaseStatus.NEED_HELP:
            parts.append(
                dict(
                    work.raise_part(
                        "need_help",
                        answer.case_id,
                        at,
                        case_id=answer.case_id,
                        gss_code=answer.gss_code,
                        urn=answer.urn,
                    )
                )
            )
        for entry in effects:
            parts.append(
                self.table.put_part(
                    {
                        "case_id": entry.case_id,
                        "sk": f"OUTBOX#{entry.effect}",
                        "status": OUTBOX,
                        "opened_at": iso(entry.created_at),
                        "effect": entry.effect,
                        "detail": dict(entry.detail),
                        "attempts": 0,
                        "expires_at": record_expiry(at, self.retention_days),
                    }
                )
            )
        try:
            transact(self.table.client, parts)
        except ConditionFailed:
            return None
        case = self.get(answer.case_id)
        if case is not None:
            self._release(case.urn, case.gss_code, case.case_id)
        return case

    def pending_effects(self) -> list[OutboxEntry]:
        items = self.table.query("status", OUTBOX, index=STATUS_INDEX)
        return [
            OutboxEntry(
                case_id=str(i["case_id"]),
                effect=str(i["effect"]),
                created_at=parse_iso(str(i["opened_at"])),
                detail=dict(i.get("detail") or {}),
                attempts=int(i.get("attempts") or 0),
            )
            for i in sorted(items, key=lambda i: (str(i.get("opened_at")), str(i["case_id"]), str(i["sk"])))
        ]

    def effect_done(self, entry: OutboxEntry, at: datetime) -> None:
        self.table.update(
            {"case_id": entry.case_id, "sk": f"OUTBOX#{entry.effect}"},
            {"done_at": iso(at)},
            removes=("status",),
        )

    def effect_failed(self, entry: OutboxEntry, at: datetime, error: str) -> None:
        self.table.update(
            {"case_id": entry.case_id, "sk": f"OUTBOX#{entry.effect}"},
            {"last_error": error[:120], "last_attempt_at": iso(at)},
            add={"attempts": 1},
        )
