"""The daily gauge: how many cases are open and overdue, by status, and how many staff work items wait.

Counters (CasesOpened, EmailsSent, ...) say what happened; the gauge says where things stand, so the
dashboard can show open and overdue cases and an alarm can fire while work items wait for staff.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..adapters import dynamodb as ddb
from ..domain.models import OPEN_STATUSES
from ..settings import Settings

STATUS_INDEX = "status-index"
OPEN = tuple(sorted(s.value for s in OPEN_STATUSES))


@dataclass(frozen=True)
class Gauge:
    today: date
    open_by_status: dict[str, int] = field(default_factory=dict)
    overdue_by_status: dict[str, int] = field(default_factory=dict)
    work_items_open: int = 0
    work_items_by_kind: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Counts only: safe to log."""
        return {
            "today": self.today.isoformat(),
            "open": self.open_by_status,
            "overdue": self.overdue_by_status,
            "work_items_open": self.work_items_open,
            "work_items_by_kind": self.work_items_by_kind,
        }


def is_overdue(case: dict[str, Any], today: date) -> bool:
    """Open, and its reply-by date (ISO) is before today. A case still queued has no reply-by date."""
    reply_by = case.get("reply_by")
    if case.get("status") not in OPEN or not reply_by:
        return False
    try:
        return date.fromisoformat(str(reply_by)[:10]) < today
    except ValueError:
        return False


def count(cases: Iterable[dict[str, Any]], work_items: Iterable[dict[str, Any]], today: date) -> Gauge:
    """Pure: every open status appears, with 0 when there is none (so the graphs show 0, not a gap)."""
    open_by = dict.fromkeys(OPEN, 0)
    overdue_by = dict.fromkeys(OPEN, 0)
    for case in cases:
        status = case.get("status")
        if status not in open_by:
            continue
        open_by[status] += 1
        if is_overdue(case, today):
            overdue_by[status] += 1
    kinds = Counter(str(w.get("kind", "unknown")) for w in work_items if w.get("state") == "open")
    return Gauge(
        today=today,
        open_by_status=open_by,
        overdue_by_status=overdue_by,
        work_items_open=sum(kinds.values()),
        work_items_by_kind=dict(sorted(kinds.items())),
    )


def open_cases(settings: Settings) -> list[dict[str, Any]]:
    """Query the status index once per open status (never a scan of the whole case ledger)."""
    out: list[dict[str, Any]] = []
    for status in OPEN:
        out.extend(ddb.query(settings.cases_table, "status", status, index=STATUS_INDEX))
    return out


def open_work_items(settings: Settings) -> list[dict[str, Any]]:
    return list(ddb.scan(settings.work_table, "#state = :open", values={":open": "open"}, names={"#state": "state"}))


def measure(settings: Settings) -> Gauge:
    return count(open_cases(settings), open_work_items(settings), settings.clock.now().date())
