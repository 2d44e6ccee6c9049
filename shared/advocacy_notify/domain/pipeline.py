"""From rows of an Ofsted file to homes and cases: filter, validate, resolve, deduplicate.

A home is its URN within a file. Streaming: a home comes out as soon as its rows end (the long
layout's consecutive rows for one home are merged), so no row is held. When the long layout's rows
for a home are not all together, the later ones come out as a ``HomeOut`` with ``more`` set,
holding only the placing authorities and cases they add; the rating date and the other details
are those of the home's first rows. Only each home's URN, rating date and placing-authority names
are remembered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .authorities import AuthorityDirectory
from .case import case_id_for
from .models import AuthorityMatch, CaseMessage, CaseRef, Home, Rejected, Skipped
from .ofsted import OfstedFile, ParsedRow, RowRejected, RowSkipped


@dataclass(slots=True)
class HomeOut:
    row: int
    home: Home
    cases: list[CaseRef]
    rows: int = 1  # rows of the file merged into this home (long layout)
    # More rows for a home already yielded (long layout, rows apart): `home.placing_authorities`
    # and `cases` hold only what they add; the home had `earlier_authorities` before them.
    more: bool = False
    earlier_authorities: int = 0

    @property
    def first_authorities(self) -> bool:
        """These later rows give a home, so far without a placing authority, its first ones."""
        return self.more and not self.earlier_authorities and bool(self.home.placing_authorities)


Outcome = HomeOut | Skipped | Rejected


def _merge(rows: list[ParsedRow], directory: AuthorityDirectory, seen: dict[str, tuple[date, str]]) -> HomeOut:
    first = rows[0]
    earlier = seen.get(first.urn)
    rating_date, joined = earlier if earlier is not None else (first.inspection_date, "")
    known: tuple[str, ...] = tuple(joined.split("\n")) if joined else ()  # from the home's earlier rows
    names: list[str] = []
    for r in rows:
        for n in r.placing_authorities:
            if n not in names and n not in known:
                names.append(n)
    # names never hold a line break (the reader splits on them): one string per home keeps memory small
    seen[first.urn] = (rating_date, "\n".join((*known, *names)))
    matches: list[AuthorityMatch] = [directory.resolve(n) for n in names]
    taken = {m.gss_code for m in map(directory.resolve, known) if m.status == "resolved"}
    cases: list[CaseRef] = []
    for m in matches:
        if m.status == "resolved" and m.gss_code and m.gss_code not in taken:
            taken.add(m.gss_code)
            cid = case_id_for(first.urn, m.gss_code, rating_date)
            # built from validated parts: no need to validate again (100k-row files)
            cases.append(CaseRef.model_construct(case_id=cid, urn=first.urn, gss_code=m.gss_code))
    home = Home.model_construct(
        urn=first.urn,
        name=first.name,
        provision_type=first.provision_type,
        judgement=first.judgement,
        inspection_date=rating_date,
        local_authority=first.local_authority,
        registration_status=first.registration_status,
        placing_authorities=matches,
    )
    return HomeOut(
        row=first.row,
        home=home,
        cases=cases,
        rows=len(rows),
        more=earlier is not None,
        earlier_authorities=len(known),
    )


def process(file: OfstedFile, directory: AuthorityDirectory) -> Iterator[Outcome]:
    """Yield each home (with its resolved authorities and new cases), skipped row and rejected row."""
    seen: dict[str, tuple[date, str]] = {}  # URN -> the home's rating date and placing names so far
    group: list[ParsedRow] = []
    for outcome in file.rows():
        if isinstance(outcome, ParsedRow):
            if group and group[0].urn != outcome.urn:
                yield _merge(group, directory, seen)
                group = []
            group.append(outcome)
        elif isinstance(outcome, RowSkipped):
            yield Skipped(row=outcome.row, reason=outcome.reason)
        elif isinstance(outcome, RowRejected):
            yield Rejected(row=outcome.row, errors=list(outcome.errors))
    if group:
        yield _merge(group, directory, seen)


def case_message(home: Home, case: CaseRef, la_name: str, bucket: str, key: str) -> CaseMessage:
    return CaseMessage(
        case_id=case.case_id,
        urn=case.urn,
        gss_code=case.gss_code,
        la_name=la_name,
        home_name=home.name,
        provision_type=home.provision_type,
        home_local_authority=home.local_authority,
        judgement=home.judgement,
        rating_date=home.inspection_date,
        source_bucket=bucket,
        source_key=key,
    )


@dataclass
class Counts:
    rows_read: int = 0
    homes: int = 0
    cases: int = 0
    skipped: int = 0
    rejected: int = 0
    unresolved_authorities: int = 0
    homes_without_placing_authority: int = 0

    def add(self, outcome: Outcome) -> None:
        if isinstance(outcome, HomeOut):
            self.rows_read += outcome.rows
            self.cases += len(outcome.cases)
            self.unresolved_authorities += sum(m.status != "resolved" for m in outcome.home.placing_authorities)
            if not outcome.more:
                self.homes += 1
                if not outcome.home.placing_authorities:
                    self.homes_without_placing_authority += 1
            elif outcome.first_authorities:
                self.homes_without_placing_authority -= 1
        elif isinstance(outcome, Skipped):
            self.rows_read += 1
            self.skipped += 1
        else:
            self.rows_read += 1
            self.rejected += 1


@dataclass
class Collector:
    """Everything `advocacy validate --json` prints: each home whole, however its rows are spread."""

    homes: dict[str, HomeOut] = field(default_factory=dict)  # by URN
    skipped: list[Skipped] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    rows_read: int = 0

    def add_all(self, outcomes: Iterable[Outcome]) -> Collector:
        for o in outcomes:
            self.rows_read += o.rows if isinstance(o, HomeOut) else 1
            if isinstance(o, HomeOut):
                prev = self.homes.get(o.home.urn)
                if prev is None:
                    self.homes[o.home.urn] = o
                else:  # later rows of the home: only what they add
                    merged = prev.home.model_copy(
                        update={"placing_authorities": [*prev.home.placing_authorities, *o.home.placing_authorities]}
                    )
                    self.homes[o.home.urn] = HomeOut(
                        row=prev.row, home=merged, cases=[*prev.cases, *o.cases], rows=prev.rows + o.rows
                    )
            elif isinstance(o, Skipped):
                self.skipped.append(o)
            else:
                self.rejected.append(o)
        return self

    def report(self) -> dict[str, Any]:
        homes = list(self.homes.values())
        unresolved = [m for h in homes for m in h.home.placing_authorities if m.status != "resolved"]
        return {
            "rows_read": self.rows_read,
            "homes": [
                {
                    "urn": h.home.urn,
                    "name": h.home.name,
                    "provision_type": h.home.provision_type,
                    "judgement": h.home.judgement,
                    "inspection_date": h.home.inspection_date.isoformat(),
                    "local_authority": h.home.local_authority,
                    "row": h.row,
                    "placing_authorities": [
                        {"input": m.input, "status": m.status, "gss_code": m.gss_code, "name": m.name}
                        for m in h.home.placing_authorities
                    ],
                }
                for h in homes
            ],
            "cases": [c.model_dump() for h in homes for c in h.cases],
            "skipped": len(self.skipped),
            "skipped_rows": [s.model_dump() for s in self.skipped],
            "rejected": [r.model_dump() for r in self.rejected],
            "unresolved_authorities": [
                {
                    "input": m.input,
                    "status": m.status,
                    "candidates": [c.model_dump() for c in m.candidates],
                    "urns": sorted({h.home.urn for h in homes if m in h.home.placing_authorities}),
                }
                for m in _unique_inputs(unresolved)
            ],
            "homes_without_placing_authority": [h.home.urn for h in homes if not h.home.placing_authorities],
        }


def _unique_inputs(matches: list[AuthorityMatch]) -> list[AuthorityMatch]:
    seen: dict[str, AuthorityMatch] = {}
    for m in matches:
        seen.setdefault(m.input, m)
    return list(seen.values())
