"""The daily gauge: how many cases are in the chase and overdue, how many wait (on SES or on staff), and how
many staff work items are open.

Counters (CasesOpened, EmailsSent, ...) say what happened; the gauge says where things stand, so the
dashboard can show open and overdue cases and an alarm can fire while cases or work items wait for staff.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..domain.case import OPEN, CaseStatus
from ..domain.clock import uk_date
from ..ports import Cases, Clock, WorkItems

IN_CHASE = (CaseStatus.QUEUED, CaseStatus.AWAITING_RESPONSE, CaseStatus.ESCALATED)
WAITING = tuple(sorted(OPEN - set(IN_CHASE)))  # technical_failure (on SES), delivery_failed and failed (on staff)


@dataclass(frozen=True)
class Gauge:
    today: date
    open_by_status: dict[str, int] = field(default_factory=dict)
    overdue_by_status: dict[str, int] = field(default_factory=dict)
    waiting_by_status: dict[str, int] = field(default_factory=dict)
    work_items_open: int = 0
    work_items_by_kind: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Counts only: safe to log."""
        return {
            "today": self.today.isoformat(),
            "open": self.open_by_status,
            "overdue": self.overdue_by_status,
            "waiting": self.waiting_by_status,
            "work_items_open": self.work_items_open,
            "work_items_by_kind": self.work_items_by_kind,
        }


def is_overdue(case: Mapping[str, Any], today: date) -> bool:
    """In the chase, and its reply-by date (ISO) is before today. A case still queued has no reply-by date."""
    reply_by = case.get("reply_by")
    if case.get("status") not in IN_CHASE or not reply_by:
        return False
    try:
        return date.fromisoformat(str(reply_by)[:10]) < today
    except ValueError:
        return False


def count(cases: Iterable[Mapping[str, Any]], work_items: Iterable[Mapping[str, Any]], today: date) -> Gauge:
    """Pure: every status appears, with 0 when there is none (so the graphs show 0, not a gap)."""
    open_by = {s.value: 0 for s in IN_CHASE}
    overdue_by = {s.value: 0 for s in IN_CHASE}
    waiting_by = {s.value: 0 for s in WAITING}
    for case in cases:
        status = case.get("status")
        if status in waiting_by:
            waiting_by[str(status)] += 1
        if status not in open_by:
            continue
        open_by[str(status)] += 1
        if is_overdue(case, today):
            overdue_by[str(status)] += 1
    kinds = Counter(str(w.get("kind", "unknown")) for w in work_items if w.get("state") == "open")
    return Gauge(
        today=today,
        open_by_status=open_by,
        overdue_by_status=overdue_by,
        waiting_by_status=waiting_by,
        work_items_open=sum(kinds.values()),
        work_items_by_kind=dict(sorted(kinds.items())),
    )


class MeasureGauge:
    def __init__(self, *, cases: Cases, work: WorkItems, clock: Clock) -> None:
        self.cases, self.work, self.clock = cases, work, clock

    def __call__(self) -> Gauge:
        """One query of the status index per open status (never a scan of the whole case ledger)."""
        open_cases = [c.document() for s in OPEN for c in self.cases.with_status(s)]
        return count(open_cases, self.work.open_items(), uk_date(self.clock.now()))
