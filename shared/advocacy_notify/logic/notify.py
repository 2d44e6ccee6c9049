"""Notify: one queued case becomes one named Step Functions execution; a message that cannot become one goes
to the dead-letter queue alone, with a staff work item, and never takes another case with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ..domain.case import Case, execution_name
from ..domain.models import CaseMessage
from ..ports import Cases, Clock, DeadLetters, Workflow, WorkItems

# A valid message that keeps failing is moved aside on this delivery, long before the queue's own redrive
# (maxReceiveCount, higher): the other cases of its authority, failed with it to keep the group's order,
# never reach the DLQ because of it.
DIVERT_AFTER = 3


def workflow_input(case_id: str, gss_code: str, urn: str) -> dict[str, Any]:
    return {
        "case": {"case_id": case_id, "gss_code": gss_code, "urn": urn},
        "plan": {"stage": 0, "first_sent": None, "paced": False},
    }


class StartCase:
    """Start the case's workflow. A repeat (same case id) opens nothing and sends nothing."""

    def __init__(self, *, cases: Cases, workflow: Workflow, clock: Clock, retention_days: int) -> None:
        self.cases, self.workflow, self.clock, self.retention_days = cases, workflow, clock, retention_days

    def __call__(self, msg: CaseMessage) -> dict[str, Any]:
        now = self.clock.now()
        # ingest normally claimed the case; a message replayed from elsewhere (e.g. the DLQ) may not have
        self.cases.claim(Case.opened(msg, now, self.retention_days))
        name = execution_name(msg.case_id)
        started = self.workflow.start(name, workflow_input(msg.case_id, msg.gss_code, msg.urn))
        if started:
            self.cases.workflow_started(msg.case_id, name, now)
            self.cases.add_event(msg.case_id, now, "workflow_started")
        return {"case_id": msg.case_id, "started": started}


class HandleCaseMessage:
    """One record of a queue batch: start its case, or move it to the DLQ alone."""

    def __init__(
        self,
        *,
        start: Callable[[CaseMessage], dict[str, Any]],
        dead_letters: DeadLetters,
        work: WorkItems,
        clock: Clock,
    ) -> None:
        self.start, self.dead_letters, self.work, self.clock = start, dead_letters, work, clock

    def __call__(self, body: str, group: str, message_id: str, receive_count: int) -> dict[str, Any]:
        try:
            msg = CaseMessage.model_validate_json(body)
        except ValidationError:
            return self._divert(body, group, message_id, "unreadable_case_message", None)
        try:
            return self.start(msg)
        except Exception:
            if receive_count < DIVERT_AFTER:
                raise  # reported as a batch item failure: retried
            return self._divert(body, group, message_id, "case_message_failed", msg)

    def _divert(self, body: str, group: str, message_id: str, kind: str, msg: CaseMessage | None) -> dict[str, Any]:
        self.dead_letters.put(body, group, f"{message_id}-dlq"[:128])
        detail: dict[str, Any] = {"message_id": message_id, "group": group}
        if msg is not None:
            detail.update(case_id=msg.case_id, urn=msg.urn, gss_code=msg.gss_code)
        self.work.raise_item(kind, message_id, self.clock.now(), **detail)
        return {"case_id": msg.case_id if msg else None, "started": False, "dead_lettered": kind}
