"""From rows of an Ofsted file to homes and cases: filter, validate, resolve, deduplicate.

Streaming: homes come out as soon as their rows end (the long layout's consecutive rows for one
home are merged), so memory stays flat however long the file is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
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


Outcome = HomeOut | Skipped | Rejected


def _merge(rows: list[ParsedRow], directory: AuthorityDirectory, seen_cases: set[str]) -> HomeOut:
    first = rows[0]
    names: list[str] = []
    for r in rows:
        for n in r.placing_authorities:
            if n not in names:
                names.append(n)
    matches: list[AuthorityMatch] = [directory.resolve(n) for n in names]
    cases: list[CaseRef] = []
    for m in matches:
        if m.status == "resolved" and m.gss_code:
            cid = case_id_for(first.urn, m.gss_code, first.inspection_date)
            if cid not in seen_cases:
                seen_cases.add(cid)
                # built from validated parts: no need to validate again (100k-row files)
                cases.append(CaseRef.model_construct(case_id=cid, urn=first.urn, gss_code=m.gss_code))
    home = Home.model_construct(
        urn=first.urn,
        name=first.name,
        provision_type=first.provision_type,
        judgement=first.judgement,
        inspection_date=first.inspection_date,
        local_authority=first.local_authority,
        registration_status=first.registration_status,
        placing_authorities=matches,
    )
    return HomeOut(row=first.row, home=home, cases=cases, rows=len(rows))


def process(file: OfstedFile, directory: AuthorityDirectory) -> Iterator[Outcome]:
    """Yield each home (with its resolved authorities and new cases), skipped row and rejected row."""
    seen_cases: set[str] = set()
    group: list[ParsedRow] = []
    for outcome in file.rows():
        if isinstance(outcome, ParsedRow):
            if group and (group[0].urn != outcome.urn or group[0].inspection_date != outcome.inspection_date):
                yield _merge(group, directory, seen_cases)
                group = []
            group.append(outcome)
        elif isinstance(outcome, RowSkipped):
            yield Skipped(row=outcome.row, reason=outcome.reason)
        elif isinstance(outcome, RowRejected):
            yield Rejected(row=outcome.row, errors=list(outcome.errors))
    if group:
        yield _merge(group, directory, seen_cases)


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
            self.homes += 1
            self.cases += len(outcome.cases)
            self.unresolved_authorities += sum(m.status != "resolved" for m in outcome.home.placing_authorities)
            if not outcome.home.placing_authorities:
                self.homes_without_placing_authority += 1
        elif isinstance(outcome, Skipped):
            self.rows_read += 1
            self.skipped += 1
        else:
            self.rows_read += 1
            self.rejected += 1


@dataclass
class Collector:
    """Everything `advocacy validate --json` prints: merges homes by URN across the whole file."""

    homes: dict[tuple[str, str], HomeOut] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    rows_read: int = 0

    def add_all(self, outcomes: Iterable[Outcome]) -> Collector:
        for o in outcomes:
            self.rows_read += o.rows if isinstance(o, HomeOut) else 1
            if isinstance(o, HomeOut):
                key = (o.home.urn, o.home.inspection_date.isoformat())
                if key in self.homes:
                    prev = self.homes[key]
                    known = {m.input for m in prev.home.placing_authorities}
                    extra = [m for m in o.home.placing_authorities if m.input not in known]
                    merged = prev.home.model_copy(
                        update={"placing_authorities": [*prev.home.placing_authorities, *extra]}
                    )
                    self.homes[key] = HomeOut(
                        row=prev.row, home=merged, cases=[*prev.cases, *o.cases], rows=prev.rows + o.rows
                    )
                else:
                    self.homes[key] = o
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
