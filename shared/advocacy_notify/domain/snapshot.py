"""Ratings snapshots: every in-scope home with its current rating, read from Ofsted's ratings export.

Ofsted's provider-level export lists every home's latest rating and has no placing-authority
column (``OfstedFile.is_ratings_snapshot``). Comparing one month's snapshot with the one before
shows which homes became Inadequate. Unlike :func:`pipeline.process`, nothing is filtered on the
grade: a home rated Good is as much part of a snapshot as one rated Inadequate. Pure Python: the
caller opens the file and decides what to store.

    with open_ofsted(path) as file:
        snapshot = read_snapshot(file)
    snapshot.date          # "as at" date from the title rows, or None (then use the upload date)
    snapshot.inadequate    # URNs of the in-scope homes rated Inadequate

    comparison = compare(snapshot.homes, previous_ratings)  # previous_ratings: {urn: rating}, or None
    comparison.newly_inadequate  # URNs Inadequate now and not in the snapshot before

A stored snapshot is described by its `SnapshotSummary` (the monitoring figures of `advocacy run --json` and
the monthly report); `logic/monitoring.py` decides what to store and which work items a snapshot raises.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .ofsted import OfstedFile, ParsedRow, RowRejected

INADEQUATE = "Inadequate"


@dataclass(frozen=True, slots=True)
class RatedHome:
    """One in-scope home (children's home or residential special school) and its latest rating."""

    urn: str
    name: str | None  # None when the file says REDACTED (children's homes) or leaves it blank
    provision_type: str
    rating: str  # "Outstanding", "Good", "Requires improvement to be good", "Inadequate", ...
    inspection_date: dt.date
    local_authority: str | None  # the LA the home is in


@dataclass(frozen=True, slots=True)
class Snapshot:
    date: dt.date | None  # the date the file's title rows say it is "as at", if they say
    homes: dict[str, RatedHome]  # by URN, in file order
    skipped: int  # rows out of scope, or of homes not yet rated
    rejected: tuple[RowRejected, ...]  # broken rows, with their row numbers and reasons

    @property
    def inadequate(self) -> frozenset[str]:
        """URNs of the homes rated Inadequate."""
        return frozenset(urn for urn, home in self.homes.items() if home.rating == INADEQUATE)

    def fingerprint(self) -> str:
        """The same homes with the same ratings give the same fingerprint, whatever the file's format or order."""
        return fingerprint(self.homes.values())


def read_snapshot(file: OfstedFile) -> Snapshot:
    """Every in-scope rated home in the file, whatever its rating. Reads the file's rows (once).

    A URN listed twice keeps its latest inspection (the first of equal dates).
    """
    homes: dict[str, RatedHome] = {}
    skipped = 0
    rejected: list[RowRejected] = []
    for outcome in file.rows(every_grade=True):
        if isinstance(outcome, ParsedRow):
            earlier = homes.get(outcome.urn)
            if earlier is None or outcome.inspection_date > earlier.inspection_date:
                homes[outcome.urn] = RatedHome(
                    urn=outcome.urn,
                    name=outcome.name,
                    provision_type=outcome.provision_type,
                    rating=outcome.judgement,
                    inspection_date=outcome.inspection_date,
                    local_authority=outcome.local_authority,
                )
        elif isinstance(outcome, RowRejected):
            rejected.append(outcome)
        else:
            skipped += 1
    return Snapshot(date=file.snapshot_date, homes=homes, skipped=skipped, rejected=tuple(rejected))


def fingerprint(homes: Iterable[RatedHome]) -> str:
    lines = sorted(f"{h.urn}|{h.rating}|{h.inspection_date.isoformat()}|{h.provision_type}" for h in homes)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Comparison:
    """One snapshot's Inadequate homes against the snapshot before it (none: a baseline)."""

    homes: int
    inadequate: frozenset[str]
    newly_inadequate: frozenset[str]  # Inadequate now; not Inadequate (or not listed) before
    still_inadequate: frozenset[str]  # Inadequate now and before
    no_longer_inadequate: frozenset[str]  # Inadequate before; now rated better, or no longer listed
    baseline: bool  # nothing before it to compare with: the three sets above are empty


def compare(current: Mapping[str, RatedHome], previous: Mapping[str, str] | None) -> Comparison:
    """`current`'s homes by URN; `previous`: the ratings (by URN) of the snapshot before, or None."""
    now = frozenset(urn for urn, home in current.items() if home.rating == INADEQUATE)
    if previous is None:
        return Comparison(len(current), now, frozenset(), frozenset(), frozenset(), baseline=True)
    before = frozenset(urn for urn, rating in previous.items() if rating == INADEQUATE)
    return Comparison(len(current), now, now - before, now & before, before - now, baseline=False)


@dataclass(frozen=True, slots=True)
class SnapshotSummary:
    """A stored snapshot and its monitoring figures (against the snapshot before it when it was compared)."""

    snapshot_date: dt.date
    date_source: str  # "file" (its title rows) or "upload" (the day it was uploaded)
    fingerprint: str
    object_key: str
    stored_at: dt.datetime
    homes: int
    inadequate: int
    compared_with: dt.date | None  # the snapshot before it; None: a baseline
    newly_inadequate: int | None  # None on a baseline (nothing to compare with)
    still_inadequate: int | None
    no_longer_inadequate: int | None
    unnotified_inadequate_homes: int  # newly Inadequate homes that no case covered when it was compared

    @property
    def baseline(self) -> bool:
        return self.compared_with is None

    @property
    def order(self) -> tuple[dt.date, dt.datetime]:
        """Snapshots are ordered by date; two of the same date (a corrected file) by when they were stored."""
        return (self.snapshot_date, self.stored_at)

    @classmethod
    def baseline_of(
        cls,
        comparison: Comparison,
        *,
        snapshot_date: dt.date,
        date_source: str,
        fingerprint: str,
        object_key: str,
        stored_at: dt.datetime,
    ) -> SnapshotSummary:
        """A snapshot with nothing compared yet (the figures of a baseline)."""
        return cls(
            snapshot_date=snapshot_date,
            date_source=date_source,
            fingerprint=fingerprint,
            object_key=object_key,
            stored_at=stored_at,
            homes=comparison.homes,
            inadequate=len(comparison.inadequate),
            compared_with=None,
            newly_inadequate=None,
            still_inadequate=None,
            no_longer_inadequate=None,
            unnotified_inadequate_homes=0,
        )

    def compared(self, comparison: Comparison, compared_with: dt.date, unnotified: int) -> SnapshotSummary:
        """This snapshot with the figures of its comparison with the snapshot of `compared_with`."""
        return dataclasses.replace(
            self,
            homes=comparison.homes,
            inadequate=len(comparison.inadequate),
            compared_with=compared_with,
            newly_inadequate=len(comparison.newly_inadequate),
            still_inadequate=len(comparison.still_inadequate),
            no_longer_inadequate=len(comparison.no_longer_inadequate),
            unnotified_inadequate_homes=unnotified,
        )

    def figures(self) -> dict[str, Any]:
        """The monitoring figures (the `monitoring` of `advocacy run --json`): dates and counts only."""
        return {
            "snapshot_date": self.snapshot_date.isoformat(),
            "date_source": self.date_source,
            "baseline": self.baseline,
            "compared_with": self.compared_with.isoformat() if self.compared_with else None,
            "homes": self.homes,
            "inadequate": self.inadequate,
            "newly_inadequate": self.newly_inadequate,
            "still_inadequate": self.still_inadequate,
            "no_longer_inadequate": self.no_longer_inadequate,
            "unnotified_inadequate_homes": self.unnotified_inadequate_homes,
            "object_key": self.object_key,
        }
