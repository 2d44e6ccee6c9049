"""What Help at Hand staff do to the running system: look at cases, close or resend one, mark work done,
import the directory, move dead-lettered cases back. The command line (and, one day, a staff API) call these.

Nothing here returns a responder's or contact's email address except `show_case` (staff follow a case up)
and `export_directory` (the directory itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from ..domain.authorities import AuthorityDirectory
from ..domain.case import CLOSABLE, RESENDABLE, CaseStatus, execution_name, queue_dedup_id
from ..domain.clock import iso, uk_date
from ..domain.directory_csv import DIRECTORY_COLUMNS, parse_directory_csv
from ..domain.models import CaseMessage
from ..ports import Answers, Cases, Clock, DeadLetters, Directory, Workflow, WorkItems
from .gauge import is_overdue
from .notify import workflow_input

SECRET_FIELDS = frozenset({"task_token", "link_nonce"})  # never shown
# a resend starts the case again: what the earlier attempt left on the case is removed
RESET_ON_RESEND = (
    "task_token",
    "execution_arn",
    "stage",
    "first_sent",
    "first_email_at",
    "last_email_at",
    "reply_by",
    "final_deadline",
    "reminders_sent",
    "emails_sent",
    "escalated_at",
    "closed_at",
    "status_reason",
    "link_nonce",  # a new link, with an expiry from the new dates
)


class StaffError(Exception):
    """A one-line reason (the command line exits 2, no traceback)."""


@dataclass
class ImportResult:
    changed: list[str] = field(default_factory=list)  # GSS codes
    unchanged: list[str] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)  # {row, gss_code, errors} - never the values

    def summary(self) -> dict[str, Any]:
        return {
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "invalid": len(self.invalid),
            "changed_gss_codes": self.changed,
            "invalid_rows": self.invalid,
        }


class Staff:
    def __init__(
        self,
        *,
        cases: Cases,
        answers: Answers,
        workflow: Workflow,
        work: WorkItems,
        directory: Directory,
        dead_letters: DeadLetters,
        clock: Clock,
    ) -> None:
        self.cases, self.answers, self.workflow, self.work = cases, answers, workflow, work
        self.directory, self.dead_letters, self.clock = directory, dead_letters, clock

    # ------------------------------------------------------------------ cases
    def list_cases(self, status: str | None = None, overdue: bool = False) -> list[dict[str, Any]]:
        """Cases as staff see them in a list: ids, codes, dates and counts - no contact or responder."""
        found = self.cases.with_status(CaseStatus(status)) if status else self.cases.all()
        today = uk_date(self.clock.now())
        rows = []
        for c in found:
            late = is_overdue(c.document(), today)
            if overdue and not late:
                continue
            rows.append(
                {
                    "case_id": c.case_id,
                    "status": c.status.value,
                    "gss_code": c.gss_code,
                    "la_name": c.la_name,
                    "urn": c.urn,
                    "opened_at": iso(c.opened_at) if c.opened_at else None,
                    "reply_by": c.reply_by.isoformat() if c.reply_by else None,
                    "overdue": late,
                    "reminders_sent": c.reminders_sent,
                    "escalated": c.escalated_at is not None,
                }
            )
        return sorted(rows, key=lambda r: (str(r["opened_at"] or ""), r["case_id"]))

    def show_case(self, case_id: str) -> dict[str, Any]:
        history = self.cases.history(case_id)
        if history is None:
            raise StaffError(f"no case {case_id}")
        return {
            "case": {k: v for k, v in history.case.document().items() if k not in SECRET_FIELDS},
            "emails": [
                {
                    "stage": e.stage,
                    "kind": e.kind,
                    "state": e.state,
                    "to": list(e.to),
                    "sent_at": iso(e.sent_at) if e.sent_at else None,
                    "intended_at": iso(e.intended_at) if e.intended_at else None,
                    "message_id": e.message_id,
                    "error": e.error,
                    "delivery": {a: dict(d) for a, d in e.delivery.items()},
                    "complaints": list(e.complaints),
                }
                for e in sorted(history.emails, key=lambda e: e.stage)
            ],
            "resent_emails": [
                {k: i.get(k) for k in ("sk", "kind", "state", "sent_at")} for i in history.archived_emails
            ],
            "events": [
                {k: v for k, v in i.items() if k not in {"case_id", "sk", "expires_at"}} for i in history.events
            ],
            "answers": [{k: v for k, v in a.items() if k != "expires_at"} for a in self.answers.for_case(case_id)],
        }

    def close_case(self, case_id: str, reason: str, by: str) -> dict[str, Any]:
        """Close a case by hand (closed_by_staff) and end its workflow's waiting."""
        if not reason.strip():
            raise StaffError("give a --reason")
        now = self.clock.now()
        case = self.cases.get(case_id)
        if case is None:
            raise StaffError(f"no case {case_id}")
        if case.status not in CLOSABLE:
            raise StaffError(f"case {case_id} is {case.status.value}: only an open or unresolved case can be closed")
        moved = self.cases.move(
            case_id,
            CaseStatus.CLOSED_BY_STAFF,
            now,
            {"closed_by": by, "status_reason": reason[:500], "status_before_close": case.status.value},
            removes=("task_token",),
        )
        if moved is None:
            latest = self.cases.get(case_id)
            now_status = latest.status.value if latest else None
            raise StaffError(f"case {case_id} changed meanwhile (now {now_status}); nothing done")
        workflow = self._end_workflow(case.task_token, case.execution_name, "ClosedByStaff", "closed by staff")
        self.cases.add_event(case_id, now, "closed_by_staff", by=by, reason=reason[:500], workflow=workflow)
        done = self._resolve_work_items(case_id, by, now, f"case closed: {reason}")
        return {
            "case_id": case_id,
            "status": CaseStatus.CLOSED_BY_STAFF.value,
            "was": case.status.value,
            "workflow": workflow,
            "work_items_done": done,
        }

    def _end_workflow(self, token: str | None, name: str | None, error: str, cause: str) -> str:
        """Resume the waiting task (it sees the case closed and finishes), else stop a running execution."""
        if token and self.workflow.resume(token, {"status": "closed_by_staff", "closed_by_staff": True}):
            return "resumed"
        if name and self.workflow.status(name) == "RUNNING" and self.workflow.stop(name, error, cause):
            return "stopped"
        return "none"

    def resend_case(self, case_id: str, by: str) -> dict[str, Any]:
        """Start a case again from its first email, after staff fixed its contact: an undeliverable, failed or
        technically failed case, or one whose email may not have gone (an open `email_uncertain` item)."""
        now = self.clock.now()
        case = self.cases.get(case_id)
        if case is None:
            raise StaffError(f"no case {case_id}")
        uncertain = any(
            w.get("kind") == "email_uncertain" and w.get("case_id") == case_id for w in self.work.open_items()
        )
        if not (case.status in RESENDABLE or case.resend_pending or (uncertain and case.is_open)):
            raise StaffError(
                f"case {case_id} is {case.status.value}: only a delivery_failed, failed or technical_failure case, "
                "or one with an uncertain email, can be resent"
            )
        contacts = self.directory.contacts(case.gss_code)
        if contacts is None or not contacts.first_contact():
            raise StaffError(f"authority {case.gss_code} has no contact address: fix the directory first")
        if case.resend_pending:  # an earlier resend stopped half way: finish it
            updated = case
        else:
            moved = self.cases.move(
                case_id,
                CaseStatus.QUEUED,
                now,
                {"resend_pending": True, "resent_at": iso(now), "resent_by": by},
                removes=RESET_ON_RESEND,
                add={"resend_count": 1},
            )
            if moved is None:
                raise StaffError(f"case {case_id} changed meanwhile; nothing done")
            updated = moved
            self._end_workflow(case.task_token, case.execution_name, "ResentByStaff", "resent by staff")
        n = max(updated.resend_count, 1)
        self.cases.archive_emails(case_id, n)  # the ledger forbids sending a stage twice: set the old aside
        name = execution_name(f"{case_id}-r{n}")
        started = self.workflow.start(name, workflow_input(case_id, case.gss_code, case.urn))
        self.cases.update(
            case_id, {"execution_name": name, "workflow_started_at": iso(now)}, removes=("resend_pending",)
        )
        self.cases.add_event(case_id, now, "resent", by=by, resend=n, execution_name=name, was=case.status.value)
        done = self._resolve_work_items(case_id, by, now, "case resent")
        return {
            "case_id": case_id,
            "status": CaseStatus.QUEUED.value,
            "execution_name": name,
            "started": started,
            "work_items_done": done,
        }

    def _resolve_work_items(self, case_id: str, by: str, at: datetime, note: str) -> int:
        items = [w for w in self.work.open_items() if w.get("case_id") == case_id]
        return sum(self.work.done(str(w["item_id"]), by=by, note=note, at=at) for w in items)

    # ------------------------------------------------------------------ the directory
    def export_directory(self, include_missing: bool = False) -> list[dict[str, Any]]:
        rows = {c.gss_code: {k: getattr(c, k) or "" for k in DIRECTORY_COLUMNS} for c in self.directory.all_contacts()}
        if include_missing:
            for la in AuthorityDirectory.default().all():
                empty = dict.fromkeys(DIRECTORY_COLUMNS[2:], "")
                rows.setdefault(la.gss_code, {"gss_code": la.gss_code, "la_name": la.name, **empty})
        return sorted(rows.values(), key=lambda r: (str(r["la_name"]).lower(), r["gss_code"]))

    def import_directory(self, text: str, by: str, dry_run: bool = False) -> ImportResult:
        """Apply every valid row; each change is audited. Invalid rows are reported and not applied."""
        if not by.strip():
            raise StaffError("give --by NAME: every change to the directory is audited")
        try:
            parsed = parse_directory_csv(text)
        except ValueError as exc:
            raise StaffError(str(exc)) from None
        result = ImportResult(invalid=parsed.invalid)
        now = self.clock.now()
        for _row, contacts in parsed.valid:
            if dry_run:
                changed = self.directory.contacts(contacts.gss_code) != contacts
            else:
                changed = self.directory.save(contacts, by=by.strip(), at=now)
            (result.changed if changed else result.unchanged).append(contacts.gss_code)
        return result

    def audit_entries(self, gss_code: str) -> list[dict[str, Any]]:
        return self.directory.audit(gss_code)

    # ------------------------------------------------------------------ the dead-letter queue
    def redrive(self, max_messages: int | None = None) -> dict[str, Any]:
        """Move cases from the DLQ back to the case queue (each in its authority's group, the case id as the
        deduplication id). Safe to repeat: notify is idempotent on the case id. A message that is not a case
        stays in the DLQ for a person to look at."""
        moved: list[str] = []
        left = 0
        while max_messages is None or len(moved) < max_messages:
            want = 10 if max_messages is None else min(10, max_messages - len(moved))
            letters = self.dead_letters.receive(want)
            progressed = False
            for letter in letters:
                try:
                    msg = CaseMessage.model_validate_json(letter.body)
                except ValidationError:
                    left += 1
                    continue
                self.dead_letters.send_back(
                    letter if letter.group else replace(letter, group=msg.gss_code), queue_dedup_id(msg.case_id)
                )
                moved.append(msg.case_id)
                progressed = True
            if not progressed:
                break
        return {"moved": len(moved), "case_ids": moved, "left_in_dlq": left}

    # ------------------------------------------------------------------ work items
    def list_work(self, all_states: bool = False, fields: Sequence[str] = ()) -> list[dict[str, Any]]:
        items = self.work.all() if all_states else self.work.open_items()
        rows = [{k: i[k] for k in fields if i.get(k) is not None} if fields else dict(i) for i in items]
        return sorted(rows, key=lambda r: (str(r.get("created_at", "")), str(r.get("item_id"))))

    def work_done(self, item_id: str, by: str, note: str) -> dict[str, Any]:
        if not self.work.done(item_id, by=by, note=note, at=self.clock.now()):
            raise StaffError(f"no work item {item_id}")
        return {"item_id": item_id, "state": "done"}
