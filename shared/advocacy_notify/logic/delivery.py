"""SES bounce and complaint events: a bounce must never look like silence."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from ..adapters import repository as repo
from ..adapters import sns, stepfunctions
from ..adapters.dynamodb import ConditionFailed
from ..domain.models import CaseStatus
from ..settings import Settings


class DeliveryEvent(BaseModel):
    event_type: str  # Bounce | Complaint | Reject
    case_id: str | None
    stage: int | None
    detail: str  # e.g. "Permanent/General" - never an address


def parse_ses_event(message: str) -> DeliveryEvent | None:
    """Read an SES event (configuration-set event publishing, or a classic notification)."""
    try:
        doc: dict[str, Any] = json.loads(message)
    except (TypeError, ValueError):
        return None
    event_type = str(doc.get("eventType") or doc.get("notificationType") or "")
    if event_type not in {"Bounce", "Complaint", "Reject"}:
        return None
    tags = (doc.get("mail") or {}).get("tags") or {}
    case_ids = tags.get("case_id") or []
    stages = tags.get("stage") or []
    detail = ""
    if event_type == "Bounce":
        bounce = doc.get("bounce") or {}
        detail = f"{bounce.get('bounceType', '')}/{bounce.get('bounceSubType', '')}"
    elif event_type == "Complaint":
        detail = str((doc.get("complaint") or {}).get("complaintFeedbackType", "complaint"))
    else:
        detail = str((doc.get("reject") or {}).get("reason", "rejected"))
    return DeliveryEvent(
        event_type=event_type,
        case_id=str(case_ids[0]) if case_ids else None,
        stage=int(stages[0]) if stages and str(stages[0]).isdigit() else None,
        detail=detail[:80],
    )


def record_delivery_problem(event: DeliveryEvent, settings: Settings) -> dict[str, Any]:
    now = settings.clock.now()
    if event.case_id is None:
        repo.add_work_item(
            settings.work_table,
            "delivery_unmatched",
            f"{event.event_type}:{now.isoformat()}",
            now,
            event_type=event.event_type,
            detail=event.detail,
        )
        sns.alert(
            settings.alert_topic_arn,
            "advocacy-notify: delivery problem for an unknown case",
            {"event_type": event.event_type, "detail": event.detail},
        )
        return {"case_id": None, "changed": False}
    changed = True
    token = None
    try:
        before = repo.get_case(settings.cases_table, event.case_id) or {}
        token = before.get("task_token")
        repo.update_case(
            settings.cases_table,
            event.case_id,
            {
                "status": CaseStatus.DELIVERY_FAILED.value,
                "status_reason": f"{event.event_type} {event.detail}",
                "closed_at": repo.iso(now),
            },
            only_if_open=True,
            removes=("task_token",),
        )
    except ConditionFailed:
        changed = False
    repo.add_event(
        settings.cases_table,
        event.case_id,
        now,
        f"delivery_{event.event_type.lower()}",
        stage=event.stage,
        detail=event.detail,
    )
    repo.add_work_item(
        settings.work_table,
        "delivery_failed",
        f"{event.case_id}#{event.stage}",
        now,
        case_id=event.case_id,
        event_type=event.event_type,
        detail=event.detail,
    )
    sns.alert(
        settings.alert_topic_arn,
        f"advocacy-notify: email {event.event_type.lower()}",
        {"case_id": event.case_id, "stage": event.stage, "detail": event.detail},
    )
    if changed and token:
        # stop chasing: the state machine catches DeliveryFailed and closes the case
        stepfunctions.fail(token, "DeliveryFailed", f"{event.event_type} {event.detail}")
    return {"case_id": event.case_id, "changed": changed}
