"""The reconciler: on a schedule, find work that stalled and repair it safely, or tell staff.

- a case claimed but with no workflow after a grace period (its queue message was lost): queue it again
  (notify is idempotent on the case id and executions are named after it, so a repeat opens nothing);
- an answer whose effects have not all been delivered (the workflow still waits, an alert not sent): deliver
  them again (the outbox);
- an email stuck in `sending` (an attempt stopped while SES was called): mark it uncertain, tell staff;
- a workflow that failed, timed out or was stopped while its case was still being chased: the case is
  marked failed and staff told (they resend it).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from ..domain.case import CaseStatus
from ..ports import Alerts, CaseQueue, Cases, Clock, Workflow, WorkItems
from .outbox import DeliverEffects

CLAIM_GRACE = timedelta(minutes=30)
MAX_REQUEUES = 2  # then a person looks (the message keeps failing: it is in the DLQ with a work item)
SENDING_GRACE = timedelta(minutes=15)
_RESEND_SUFFIX = re.compile(r"-r\d+$")


@dataclass
class Findings:
    """What the reconciler found and did (its metrics)."""

    requeued: int = 0
    effects_delivered: int = 0
    effects_failing: int = 0
    emails_uncertain: int = 0
    workflows_failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Reconcile:
    def __init__(
        self,
        *,
        cases: Cases,
        queue: CaseQueue,
        workflow: Workflow,
        work: WorkItems,
        alerts: Alerts,
        effects: DeliverEffects,
        clock: Clock,
    ) -> None:
        self.cases, self.queue, self.workflow, self.work = cases, queue, workflow, work
        self.alerts, self.effects, self.clock = alerts, effects, clock

    def __call__(self) -> Findings:
        found = Findings()
        self._unstarted(found)
        delivered = self.effects.pending()
        found.effects_delivered, found.effects_failing = delivered.done, delivered.failed
        self._stuck_sending(found)
        self._failed_workflows(found)
        return found

    def _unstarted(self, found: Findings) -> None:
        now = self.clock.now()
        lost = [
            c
            for c in self.cases.with_status(CaseStatus.QUEUED)
            if c.workflow_started_at is None and c.opened_at is not None and now - c.opened_at > CLAIM_GRACE
        ]
        again = [c for c in lost if c.requeues < MAX_REQUEUES]
        for c in lost:
            if c.requeues >= MAX_REQUEUES:
                detail = {"case_id": c.case_id, "gss_code": c.gss_code, "urn": c.urn, "requeues": c.requeues}
                if self.work.raise_item("case_not_started", c.case_id, now, **detail):
                    self.alerts.alert("advocacy-notify: a case could not be started", detail)
        if again and not self.queue.send([c.message() for c in again]):
            for c in again:
                self.cases.update(c.case_id, {"requeues": c.requeues + 1}, only_if=[CaseStatus.QUEUED])
                self.cases.add_event(c.case_id, now, "requeued_by_reconciler")
            found.requeued += len(again)

    def _stuck_sending(self, found: Findings) -> None:
        now = self.clock.now()
        for entry in self.cases.emails_sending():
            if entry.intended_at is None or now - entry.intended_at < SENDING_GRACE:
                continue  # being sent right now
            self.cases.finish_email(entry.case_id, entry.stage, "uncertain", now, error="stuck in sending")
            detail: dict[str, Any] = {"case_id": entry.case_id, "stage": entry.stage, "email_kind": entry.kind}
            if self.work.raise_item("email_uncertain", f"{entry.case_id}#{entry.stage}", now, **detail):
                self.alerts.alert("advocacy-notify: an email may not have been sent", detail)
            found.emails_uncertain += 1

    def _failed_workflows(self, found: Findings) -> None:
        now = self.clock.now()
        for name, status in self.workflow.ended_without_success():
            case = self.cases.get(_RESEND_SUFFIX.sub("", name))
            if case is None or not case.is_chasing or case.execution_name not in {name, None}:
                continue  # answered, closed or restarted since: nothing stalled
            moved = self.cases.move(
                case.case_id, CaseStatus.FAILED, now, {"status_reason": f"workflow {status}"}, removes=("task_token",)
            )
            if moved is None:
                continue
            detail = {"case_id": case.case_id, "gss_code": case.gss_code, "execution": name, "status": status}
            self.work.raise_item("failed", case.case_id, now, **detail)
            self.alerts.alert("advocacy-notify: a case workflow stopped", detail)
            found.workflows_failed += 1
