"""SES delivery events: each email's status per recipient, as GOV.UK Notify models it.

`sending` -> `delivered`, `permanent-failure` (a hard bounce), `temporary-failure` (a soft bounce: the chase
goes on) or `technical-failure` (SES rejected or could not render it). Complaints are recorded apart: the
email was delivered. One dead address raises a "fix this contact" work item while the chase goes on to the
others; only when no address of the authority can be reached does the case wait for staff.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..domain.case import CaseStatus
from ..ports import Alerts, Cases, Clock, Directory, TaskTokens, WorkItems

DELIVERED = "delivered"
PERMANENT = "permanent-failure"
TEMPORARY = "temporary-failure"
TECHNICAL = "technical-failure"
SENDING = "sending"


@dataclass(frozen=True)
class DeliveryEvent:
    event_type: str  # Delivery | Bounce | Complaint | Reject | DeliveryDelay | RenderingFailure
    case_id: str | None
    stage: int | None
    status: str | None  # the recipients' new status; None for a complaint
    recipients: tuple[str, ...] = ()
    detail: str = ""  # e.g. "Permanent/General" - never an address
    complaint: bool = False


def _recipients(doc: dict[str, Any], section: str, field_name: str) -> tuple[str, ...]:
    entries = (doc.get(section) or {}).get(field_name) or []
    out = []
    for e in entries:
        address = e.get("emailAddress") if isinstance(e, dict) else e
        if isinstance(address, str) and address:
            out.append(address.strip())
    return tuple(out)


def parse_ses_event(message: str) -> DeliveryEvent | None:
    """Read an SES event (configuration-set event publishing, or a classic notification)."""
    try:
        doc: dict[str, Any] = json.loads(message)
    except (TypeError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    event_type = str(doc.get("eventType") or doc.get("notificationType") or "")
    mail = doc.get("mail") or {}
    tags = mail.get("tags") or {}
    case_ids = tags.get("case_id") or []
    stages = tags.get("stage") or []
    everyone = tuple(str(a) for a in mail.get("destination") or [])
    if event_type == "Bounce":
        bounce = doc.get("bounce") or {}
        kind = str(bounce.get("bounceType", ""))
        status, recipients = (
            (PERMANENT if kind == "Permanent" else TEMPORARY),
            _recipients(doc, "bounce", "bouncedRecipients"),
        )
        detail = f"{kind}/{bounce.get('bounceSubType', '')}"
    elif event_type == "Delivery":
        status, recipients, detail = DELIVERED, _recipients(doc, "delivery", "recipients"), "delivered"
    elif event_type == "DeliveryDelay":
        delay = doc.get("deliveryDelay") or {}
        status, recipients = SENDING, _recipients(doc, "deliveryDelay", "delayedRecipients")
        detail = f"delayed/{delay.get('delayType', '')}"
    elif event_type in {"Reject", "RenderingFailure"}:
        status, recipients = TECHNICAL, everyone
        detail = str((doc.get("reject") or {}).get("reason") or event_type)
    elif event_type == "Complaint":
        status, recipients = None, _recipients(doc, "complaint", "complainedRecipients")
        detail = str((doc.get("complaint") or {}).get("complaintFeedbackType") or "complaint")
    else:
        return None
    return DeliveryEvent(
        event_type=event_type,
        case_id=str(case_ids[0]) if case_ids else None,
        stage=int(stages[0]) if stages and str(stages[0]).isdigit() else None,
        status=status,
        recipients=recipients,
        detail=detail[:80],
        complaint=event_type == "Complaint",
    )


@dataclass
class DeliveryOutcome:
    case_id: str | None
    recorded: int = 0  # recipients whose status was recorded
    failures: int = 0  # of them, permanent, temporary or technical failures
    complaints: int = 0
    contacts_to_fix: list[str] = field(default_factory=list)  # roles, never addresses
    case_waits_for_staff: bool = False


def _address_key(address: str) -> str:
    return hashlib.sha256(address.lower().encode()).hexdigest()[:16]


class RecordDelivery:
    def __init__(
        self,
        *,
        cases: Cases,
        directory: Directory,
        work: WorkItems,
        alerts: Alerts,
        tasks: TaskTokens,
        clock: Clock,
        help_at_hand_email: str,
    ) -> None:
        self.cases, self.directory, self.work, self.alerts = cases, directory, work, alerts
        self.tasks, self.clock, self.help_at_hand_email = tasks, clock, help_at_hand_email.lower()

    def __call__(self, event: DeliveryEvent) -> DeliveryOutcome:
        now = self.clock.now()
        out = DeliveryOutcome(case_id=event.case_id)
        if event.case_id is None or event.stage is None or self.cases.get(event.case_id) is None:
            if event.status not in {DELIVERED, SENDING}:  # a failure nobody can place: staff look
                self._unmatched(event)
            return out
        for address in event.recipients:
            if event.complaint:
                self.cases.record_complaint(event.case_id, event.stage, address, now)
                out.complaints += 1
                continue
            assert event.status is not None
            self.cases.record_delivery(event.case_id, event.stage, address, event.status, now, event.detail)
            out.recorded += 1
            out.failures += event.status in {PERMANENT, TEMPORARY, TECHNICAL}
            if event.status == PERMANENT and address.lower() != self.help_at_hand_email:
                role = self._fix_contact(event, address)
                if role:
                    out.contacts_to_fix.append(role)
        if event.complaint:
            self.cases.add_event(event.case_id, now, "complaint", stage=event.stage, detail=event.detail)
            self.work.raise_item(
                "complaint", f"{event.case_id}#{event.stage}", now, case_id=event.case_id, stage=event.stage
            )
            return out
        if event.status in {PERMANENT, TECHNICAL}:
            self.cases.add_event(event.case_id, now, f"delivery_{event.status}", stage=event.stage, detail=event.detail)
            out.case_waits_for_staff = self._unreachable(event.case_id, now, event.detail)
        return out

    def _fix_contact(self, event: DeliveryEvent, address: str) -> str | None:
        case = self.cases.get(event.case_id or "")
        if case is None:
            return None
        contacts = self.directory.contacts(case.gss_code)
        roles = [
            role
            for role in ("advocacy_lead", "childrens_services", "senior_contact")
            if contacts is not None and (getattr(contacts, role) or "").lower() == address.lower()
        ]
        role = roles[0] if roles else "unknown"
        detail = {
            "case_id": case.case_id,
            "gss_code": case.gss_code,
            "role": role,
            "stage": event.stage,
            "detail": event.detail,
        }
        if self.work.raise_item("fix_contact", f"{case.gss_code}#{_address_key(address)}", self.clock.now(), **detail):
            self.alerts.alert("advocacy-notify: an authority's email address bounced", detail)
        return role

    def _unreachable(self, case_id: str, now: Any, detail: str) -> bool:
        """Every address of the authority this case has written to is dead: the case waits for staff."""
        history = self.cases.history(case_id)
        if history is None or not history.case.is_chasing:
            return False  # answered or closed: the delivery status is recorded, nothing else to do
        latest: dict[str, str] = {}
        for email in sorted(history.emails, key=lambda e: e.stage):
            for address in email.to:
                if address.lower() == self.help_at_hand_email:
                    continue
                status = (email.delivery.get(address) or {}).get("status", SENDING)
                latest[address.lower()] = str(status)
        if not latest or any(s not in {PERMANENT, TECHNICAL} for s in latest.values()):
            return False
        moved = self.cases.move(
            case_id,
            CaseStatus.DELIVERY_FAILED,
            now,
            {"status_reason": f"no address reachable: {detail}"[:120]},
            removes=("task_token",),
        )
        if moved is None:
            return False
        info = {"case_id": case_id, "gss_code": moved.gss_code, "detail": detail}
        self.work.raise_item("delivery_failed", case_id, now, **info)
        self.alerts.alert("advocacy-notify: a case cannot reach its authority", info)
        if history.case.task_token:  # stop waiting: the workflow ends, the case waits for staff
            self.tasks.fail(history.case.task_token, "DeliveryFailed", f"no address reachable: {detail}")
        return True

    def _unmatched(self, event: DeliveryEvent) -> None:
        now = self.clock.now()
        self.work.raise_item(
            "delivery_unmatched",
            f"{event.event_type}:{event.detail}:{now.isoformat()}",
            now,
            event_type=event.event_type,
            detail=event.detail,
        )
