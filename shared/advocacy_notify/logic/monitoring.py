"""Monitoring: Ofsted's monthly ratings snapshots, stored and compared month to month.

A ratings snapshot (a file with no placing-authority column) is not a notification: it opens no case. Ingest
hands it here, and this use case:

- stores its in-scope homes and their ratings (`ports.Snapshots`), dated by the file's "as at" title row, or
  else the day it was uploaded (UK date);
- compares it with the snapshot before it: `inadequate`, `newly_inadequate`, `still_inadequate` and
  `no_longer_inadequate`;
- raises staff work items. The first snapshot is a baseline: one `ratings_baseline` summary item (with the
  Inadequate homes no case covers), never one per home. A later one raises one `unnotified_inadequate_home`
  item (with its `urn`) per newly Inadequate home that no case, open or closed, is about: staff then ask
  Ofsted which authorities placed children there. Homes a case covers, and homes still Inadequate, raise
  nothing.

Order and repeats:
- Snapshots are ordered by date; two different snapshots of the same date (a corrected file) by when they
  were stored, so the later one is compared with the earlier.
- The same snapshot again (the same homes and ratings, for the same date, or undated) is already recorded:
  nothing is stored, compared or raised.
- An older snapshot uploaded after a newer one is compared with the one before it by date; the one after it
  is compared again with it (its figures change). An item is keyed by the home and the date of the
  inspection that rated it Inadequate, so a home is never raised twice for the same rating, whichever
  snapshot finds it first.
- The work items are raised before the summary is written, and the summary marks the snapshot complete:
  a retry after a crash finds no summary, compares again and raises only what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.clock import uk_date
from ..domain.snapshot import Comparison, RatedHome, Snapshot, SnapshotSummary, compare
from ..ports import Alerts, Cases, Clock, Snapshots, WorkItems

UNNOTIFIED = "unnotified_inadequate_home"
BASELINE = "ratings_baseline"
MAX_LISTED = 500  # URNs listed in one work item or alert


@dataclass(frozen=True)
class SnapshotOutcome:
    summary: SnapshotSummary
    already_recorded: bool  # the same snapshot was recorded before: nothing was stored or raised
    work_items: int  # staff work items raised now
    newly_inadequate: tuple[str, ...] = ()  # URNs, for the file's report
    unnotified: tuple[str, ...] = ()  # URNs of the newly Inadequate homes no case covers

    @property
    def baseline(self) -> bool:
        return self.summary.baseline

    def metrics(self) -> dict[str, int]:
        """The figures the dashboard charts: the comparisons only when there was something to compare with."""
        s = self.summary
        out = {"RatingsSnapshots": 1, "InadequateHomes": s.inadequate}
        if not s.baseline:
            out.update(
                NewlyInadequateHomes=s.newly_inadequate or 0,
                StillInadequateHomes=s.still_inadequate or 0,
                NoLongerInadequateHomes=s.no_longer_inadequate or 0,
                UnnotifiedInadequateHomes=s.unnotified_inadequate_homes,
            )
        return out


class RecordSnapshot:
    def __init__(self, *, snapshots: Snapshots, cases: Cases, work: WorkItems, alerts: Alerts, clock: Clock) -> None:
        self.snapshots, self.cases, self.work, self.alerts, self.clock = snapshots, cases, work, alerts, clock

    def __call__(self, snapshot: Snapshot, object_key: str) -> SnapshotOutcome:
        now = self.clock.now()
        date, source = (snapshot.date, "file") if snapshot.date else (uk_date(now), "upload")
        fingerprint = snapshot.fingerprint()
        stored = self.snapshots.summaries()
        for earlier in stored:
            if earlier.fingerprint == fingerprint and (earlier.snapshot_date == date or source == "upload"):
                return SnapshotOutcome(earlier, already_recorded=True, work_items=0)
        before = [s for s in stored if s.order <= (date, now)]
        after = [s for s in stored if s.order > (date, now)]
        previous = before[-1] if before else None
        comparison = compare(snapshot.homes, self._ratings(previous))
        blank = SnapshotSummary.baseline_of(
            comparison,
            snapshot_date=date,
            date_source=source,
            fingerprint=fingerprint,
            object_key=object_key,
            stored_at=now,
        )
        self.snapshots.save_homes(blank, list(snapshot.homes.values()))
        summary, raised, unnotified = self._raise(blank, comparison, snapshot.homes, previous, now)
        if after:  # an older snapshot came late: the next one now compares with it
            _, later_raised, _ = self._compare_again(after[0], snapshot.homes, summary, now)
            raised += later_raised
        self.snapshots.put_summary(summary)
        return SnapshotOutcome(
            summary,
            already_recorded=False,
            work_items=raised,
            newly_inadequate=tuple(sorted(comparison.newly_inadequate)),
            unnotified=unnotified,
        )

    def _ratings(self, summary: SnapshotSummary | None) -> dict[str, str] | None:
        if summary is None:
            return None
        return {urn: home.rating for urn, home in self.snapshots.homes(summary).items()}

    def _raise(
        self,
        summary: SnapshotSummary,
        comparison: Comparison,
        homes: dict[str, RatedHome],
        previous: SnapshotSummary | None,
        now: datetime,
    ) -> tuple[SnapshotSummary, int, tuple[str, ...]]:
        """The work items of a compared snapshot; its summary with the figures of that comparison."""
        if comparison.baseline:
            uncovered = sorted(comparison.inadequate - self.cases.covered_homes(comparison.inadequate))
            first = self.work.raise_item(
                BASELINE,
                f"{summary.snapshot_date.isoformat()}#{summary.fingerprint[:16]}",
                now,
                snapshot_date=summary.snapshot_date.isoformat(),
                object_key=summary.object_key,
                homes=comparison.homes,
                inadequate=len(comparison.inadequate),
                inadequate_without_case=len(uncovered),
                urns=uncovered[:MAX_LISTED],
            )
            self._alert(summary, "a first ratings snapshot was recorded (a baseline)", int(first), uncovered)
            return summary, int(first), ()
        uncovered = sorted(comparison.newly_inadequate - self.cases.covered_homes(comparison.newly_inadequate))
        raised = 0
        for urn in uncovered:
            home = homes[urn]
            raised += self.work.raise_item(
                UNNOTIFIED,
                f"{urn}#{home.inspection_date.isoformat()}",
                now,
                urn=urn,
                inspection_date=home.inspection_date.isoformat(),
                provision_type=home.provision_type,
                home_local_authority=home.local_authority,
                snapshot_date=summary.snapshot_date.isoformat(),
                object_key=summary.object_key,
            )
        self._alert(summary, "newly Inadequate homes that no notification covered", raised, uncovered)
        assert previous is not None
        return summary.compared(comparison, previous.snapshot_date, len(uncovered)), raised, tuple(uncovered)

    def _compare_again(
        self, later: SnapshotSummary, homes_before: dict[str, RatedHome], before: SnapshotSummary, now: datetime
    ) -> tuple[SnapshotSummary, int, tuple[str, ...]]:
        """A snapshot compared again with one that came late and is before it: its new figures, and the items
        for the homes newly Inadequate in it that no item has been raised for."""
        homes = self.snapshots.homes(later)
        comparison = compare(homes, {urn: home.rating for urn, home in homes_before.items()})
        updated, raised, uncovered = self._raise(later, comparison, homes, before, now)
        self.snapshots.put_summary(updated)
        return updated, raised, uncovered

    def _alert(self, summary: SnapshotSummary, subject: str, raised: int, urns: list[str]) -> None:
        if not raised:
            return
        self.alerts.alert(
            f"advocacy-notify: {subject}",
            {
                "snapshot_date": summary.snapshot_date.isoformat(),
                "key": summary.object_key,
                "work_items": raised,
                "urns": urns[:MAX_LISTED],
            },
        )
