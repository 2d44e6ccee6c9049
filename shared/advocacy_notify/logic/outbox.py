"""The outbox: what an answer caused that must still reach another service (resume the workflow, alert staff).

The answer and its outbox entries are written in one transaction (`Cases.record_answer`). `DeliverEffects`
then delivers them: at once from the answer page, and again from the reconciler until each one succeeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..ports import Alerts, Cases, Clock, OutboxEntry, TaskTokens

RESUME = "resume"
ALERT = "alert"


@dataclass(frozen=True)
class Delivered:
    done: int = 0
    failed: int = 0


class DeliverEffects:
    def __init__(self, *, cases: Cases, tasks: TaskTokens, alerts: Alerts, clock: Clock) -> None:
        self.cases, self.tasks, self.alerts, self.clock = cases, tasks, alerts, clock

    def deliver(self, entries: Iterable[OutboxEntry]) -> Delivered:
        """Deliver each entry; one that fails stays in the outbox (with its error) for the next try."""
        done = failed = 0
        for entry in entries:
            try:
                self._one(entry)
            except Exception as exc:  # throttled, a crash: retried by the reconciler
                failed += 1
                self.cases.effect_failed(entry, self.clock.now(), type(exc).__name__)
                continue
            self.cases.effect_done(entry, self.clock.now())
            done += 1
        return Delivered(done=done, failed=failed)

    def pending(self) -> Delivered:
        return self.deliver(self.cases.pending_effects())

    def _one(self, entry: OutboxEntry) -> None:
        if entry.effect == RESUME:
            case = self.cases.get(entry.case_id)
            # No token, or a token that is gone: the workflow is between tasks, and its next task sees the answer.
            if case is not None and case.task_token:
                self.tasks.resume(case.task_token, dict(entry.detail))
        elif entry.effect == ALERT:
            detail = dict(entry.detail)
            self.alerts.alert(str(detail.pop("subject", "advocacy-notify")), detail)
        else:
            raise ValueError(f"unknown effect {entry.effect}")
