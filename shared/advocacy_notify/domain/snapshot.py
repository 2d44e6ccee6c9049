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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
