"""The monthly report, its trend and the monitoring figures, read through the ports: what `advocacy report`
prints and what a staff API would serve. The figures themselves are computed in `domain/measures.py` and
`domain/monthly_report.py`; this use case only gathers the cases, answers and snapshots they come from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.measures import DEFAULT_MIN_CASES, MeasuredCase, Trend, check_month, facts_of_cases, trend
from ..domain.monthly_report import rows_for
from ..domain.snapshot import SnapshotSummary
from ..ports import Answers, Cases, Snapshots


def latest_snapshot(summaries: list[SnapshotSummary], month: str | None = None) -> SnapshotSummary | None:
    """The latest snapshot (in snapshot order) dated in `month` (YYYY-MM), or of all when month is None."""
    found = [s for s in summaries if month is None or s.snapshot_date.isoformat()[:7] == month]
    return found[-1] if found else None


@dataclass(frozen=True)
class MonthlyReport:
    cases: Cases
    answers: Answers
    snapshots: Snapshots

    def facts(self) -> list[MeasuredCase]:
        """Every case's facts (a scan of the case records and of the answers)."""
        return facts_of_cases((c.document() for c in self.cases.all()), self.answers.all())

    def rows(self, month: str | None, *, min_cases: int = DEFAULT_MIN_CASES) -> list[dict[str, Any]]:
        """The report's rows for the cases opened in `month` (YYYY-MM; None: every case), with the monitoring
        figures of that month's latest ratings snapshot on the overall row. Raises `MonthError`."""
        if month is not None:
            check_month(month)
        facts = [f for f in self.facts() if month is None or f.month == month]
        monitoring = latest_snapshot(self.snapshots.summaries(), month)
        figures = monitoring.figures() if monitoring else None
        return rows_for(facts, month or "all", min_cases=min_cases, monitoring=figures)

    def trend(self) -> Trend:
        """Habitual referral month by month, overall and per authority."""
        return trend(self.facts())

    def monitoring(self) -> list[SnapshotSummary]:
        """Every ratings snapshot's figures, in order (the last is the latest)."""
        return self.snapshots.summaries()
