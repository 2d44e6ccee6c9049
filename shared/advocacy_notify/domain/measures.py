"""The mission's measures: habitual referral (with its Wilson interval), prompt answers, and the rest of the
monthly report's figures, per placing authority and overall, and their trend over months.

Habitual referral is measured directly: of the answered cases where the council had children placed there
(`confirmed`, `referrals_in_progress`) and said whether every child already had an advocate, or had been
referred to one, before Help at Hand got in touch (yes or no), the share that said yes. "Don't know" is
left out of the denominator (and counted apart), as are the answers that are not asked the question (no
children placed, need help). The old measure, answered before any reminder, is `prompt_answer_rate`.

A rate over a handful of cases says little, so each rate comes with its Wilson 95% interval, and
authorities are ranked or compared with the overall rate only when they have at least `min_cases` cases
in the measure (`DEFAULT_MIN_CASES` unless the caller says otherwise).

Pure Python. The facts of one case come from its record (a case document, or a case of `advocacy run
--json`) and its first answer record; every figure is an id, a code, an authority's name or a count.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .answers import ASKS_BEFORE_CONTACT
from .case import CHASING
from .models import AnswerKind

Z_95 = statistics.NormalDist().inv_cdf(0.975)  # 1.95996...: the normal quantile of a two-sided 95% interval
DEFAULT_MIN_CASES = 10  # fewer cases than this in the measure: shown, but never ranked or compared
ANSWERS = tuple(a.value for a in AnswerKind)
ALL = "ALL"  # the gss_code of the overall row
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class MonthError(ValueError):
    """A month that is not YYYY-MM."""


def check_month(month: str) -> str:
    if not MONTH.match(month):
        raise MonthError(f"month must be YYYY-MM, not {month!r}")
    return month


# ------------------------------------------------------------------------------ the interval
def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (Wilson 1927): never outside [0, 1], and honest for small
    samples and for 0% or 100%, where the normal approximation collapses to a point. None when trials is 0."""
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials")
    p = successes / trials
    z2n = z * z / trials
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(p * (1 - p) / trials + z2n / (4 * trials)) / (1 + z2n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends, not a rounding error away
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def habitual_referral(answer: str | None, advocacy_before_contact: bool | None) -> bool | None:
    """A case's part in the habitual-referral measure: True (yes) or False (no) when the council had children
    placed there and knew; None when the case is not in the measure (not answered, no children placed, need
    help, or "don't know")."""
    if answer not in ASKS_BEFORE_CONTACT or advocacy_before_contact is None:
        return None
    return bool(advocacy_before_contact)


# ------------------------------------------------------------------------------ one case
@dataclass(frozen=True)
class MeasuredCase:
    """What happened to one case, as the report counts it."""

    gss_code: str
    la_name: str
    month: str | None  # YYYY-MM the case opened (its cohort)
    status: str | None
    answer: str | None  # the answer kind, None while unanswered
    before_reminder: bool  # answered before any reminder or the escalation
    escalated: bool
    days: float | None  # working days from the first email to the answer
    habitual: bool | None  # its part in the habitual-referral measure (see `habitual_referral`)
    before_contact_unknown: bool  # children placed, and the council did not know


def month_of(case: Mapping[str, Any]) -> str | None:
    """YYYY-MM of the case's opening (or, failing that, of its first email)."""
    for key in ("opened_at", "first_sent", "first_email_at"):
        value = case.get(key)
        if value:
            return str(value)[:7]
    sent = [e.get("sent_at") for e in case.get("emails") or [] if e.get("sent_at")]
    return str(min(sent))[:7] if sent else None


def _answer_kind(case: Mapping[str, Any], answer: Mapping[str, Any] | None) -> str | None:
    for value in ((answer or {}).get("answer"), case.get("answer"), case.get("status")):
        if value in ANSWERS:
            return str(value)
    return None


def case_facts(case: Mapping[str, Any], answer: Mapping[str, Any] | None = None) -> MeasuredCase:
    """The facts of one case. The answer record (answers table) knows how many reminders had gone before the
    answer; without it, the case's own counters say the same (none are sent after an answer)."""
    kind = _answer_kind(case, answer)
    src = answer or {}
    reminders = src.get("reminders_before_answer", case.get("reminders_sent") or 0)
    was_escalated = bool(case.get("escalated") or case.get("escalated_at"))
    escalated_before = src.get("escalated_before_answer", was_escalated)
    days = src.get("working_days_to_answer", case.get("working_days_to_answer"))
    before_contact = src.get("advocacy_before_contact")
    if before_contact is None:
        before_contact = case.get("advocacy_before_contact")
    habitual = habitual_referral(kind, before_contact)
    return MeasuredCase(
        gss_code=str(case.get("gss_code") or ""),
        la_name=str(case.get("la_name") or case.get("gss_code") or ""),
        month=month_of(case),
        status=case.get("status"),
        answer=kind,
        before_reminder=kind is not None and int(reminders or 0) == 0 and not escalated_before,
        escalated=was_escalated or bool(escalated_before) or case.get("status") in {"escalated", "unresolved"},
        days=days if kind is not None and isinstance(days, int | float) else None,
        habitual=habitual,
        before_contact_unknown=kind in ASKS_BEFORE_CONTACT and habitual is None,
    )


def facts_of_cases(cases: Iterable[Mapping[str, Any]], answers: Iterable[Mapping[str, Any]] = ()) -> list[MeasuredCase]:
    """The facts of every case record (other items of the cases table are left out), each with its first answer."""
    first_answer: dict[str, Mapping[str, Any]] = {}
    for a in sorted(answers, key=lambda a: str(a.get("answered_at", ""))):
        first_answer.setdefault(str(a.get("case_id")), a)
    return [
        case_facts(case, first_answer.get(str(case.get("case_id"))))
        for case in cases
        if case.get("sk", "CASE") == "CASE"
    ]


# ------------------------------------------------------------------------------ a group of cases
@dataclass(frozen=True)
class Figures:
    """The figures of a group of cases (one authority's, or every authority's)."""

    cases_opened: int
    answered: int
    answered_before_reminder: int
    escalated: int
    statuses: Mapping[str, int]
    still_open: int
    median_days: float | None
    answers: Mapping[str, int]
    habitual_yes: int
    habitual_cases: int  # the denominator: yes + no
    habitual_unknown: int  # children placed, "don't know": outside the denominator

    @property
    def answered_after_reminder(self) -> int:
        return self.answered - self.answered_before_reminder

    @property
    def prompt_answer_rate(self) -> float | None:
        """Answered before any reminder, of the cases opened (the old "habitual referral" measure)."""
        return self.answered_before_reminder / self.cases_opened if self.cases_opened else None

    @property
    def habitual_referral_rate(self) -> float | None:
        return self.habitual_yes / self.habitual_cases if self.habitual_cases else None

    @property
    def habitual_referral_interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.habitual_yes, self.habitual_cases)


def figures(facts: Sequence[MeasuredCase]) -> Figures:
    answered = [f for f in facts if f.answer is not None]
    days = [f.days for f in answered if f.days is not None]
    statuses: dict[str, int] = {}
    for f in facts:
        statuses[str(f.status)] = statuses.get(str(f.status), 0) + 1
    return Figures(
        cases_opened=len(facts),
        answered=len(answered),
        answered_before_reminder=sum(1 for f in answered if f.before_reminder),
        escalated=sum(1 for f in facts if f.escalated),
        statuses=statuses,
        still_open=sum(1 for f in facts if f.status in CHASING),
        median_days=statistics.median(days) if days else None,
        answers={a: sum(1 for f in answered if f.answer == a) for a in ANSWERS},
        habitual_yes=sum(1 for f in facts if f.habitual is True),
        habitual_cases=sum(1 for f in facts if f.habitual is not None),
        habitual_unknown=sum(1 for f in facts if f.before_contact_unknown),
    )


@dataclass(frozen=True)
class Group:
    """One authority's figures (or the overall ones, gss_code ALL)."""

    gss_code: str
    la_name: str
    figures: Figures


def by_authority(facts: Sequence[MeasuredCase]) -> list[Group]:
    """One group per placing authority, sorted by name, then the overall group (gss_code ALL)."""
    grouped: dict[str, list[MeasuredCase]] = {}
    names: dict[str, str] = {}
    for f in facts:
        grouped.setdefault(f.gss_code, []).append(f)
        names.setdefault(f.gss_code, f.la_name)
    order = sorted(grouped, key=lambda g: (names[g].lower(), g))
    groups = [Group(g, names[g], figures(grouped[g])) for g in order]
    groups.append(Group(ALL, "All authorities", figures(list(facts))))
    return groups


# ------------------------------------------------------------------------------ ranking and comparing
@dataclass(frozen=True)
class Standing:
    """Where an authority stands on habitual referral: ranked and compared only with enough cases."""

    rank: int | None  # 1 = the highest rate among the comparable authorities
    comparison: str  # above overall | below overall | in line with overall | too few cases | no cases


def standings(groups: Sequence[Group], min_cases: int = DEFAULT_MIN_CASES) -> dict[str, Standing]:
    """Ranks the authorities with at least `min_cases` cases in the measure by their rate (equal rates share a
    rank), and compares each with the overall rate: "above" or "below" only when its Wilson interval leaves
    the overall rate out."""
    if min_cases < 1:
        raise ValueError("min_cases must be at least 1")
    overall = next((g.figures.habitual_referral_rate for g in groups if g.gss_code == ALL), None)
    authorities = [g for g in groups if g.gss_code != ALL]
    comparable = [g for g in authorities if g.figures.habitual_cases >= min_cases]
    rates = sorted((g.figures.habitual_referral_rate or 0.0 for g in comparable), reverse=True)
    out: dict[str, Standing] = {}
    for g in authorities:
        f = g.figures
        if f.habitual_cases == 0:
            out[g.gss_code] = Standing(None, "no cases")
        elif f.habitual_cases < min_cases:
            out[g.gss_code] = Standing(None, "too few cases")
        else:
            rate = f.habitual_referral_rate or 0.0
            low, high = f.habitual_referral_interval or (0.0, 1.0)
            if overall is not None and low > overall:
                comparison = "above overall"
            elif overall is not None and high < overall:
                comparison = "below overall"
            else:
                comparison = "in line with overall"
            out[g.gss_code] = Standing(1 + sum(1 for r in rates if r > rate), comparison)
    return out


# ------------------------------------------------------------------------------ the trend over months
@dataclass(frozen=True)
class TrendPoint:
    month: str
    yes: int
    cases: int  # in the measure (yes + no)

    @property
    def rate(self) -> float | None:
        return self.yes / self.cases if self.cases else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.yes, self.cases)


@dataclass(frozen=True)
class TrendLine:
    gss_code: str
    la_name: str
    points: list[TrendPoint]  # one per month of the trend, in order (cases 0 where none)

    @property
    def cases(self) -> int:
        return sum(p.cases for p in self.points)


@dataclass(frozen=True)
class Trend:
    """The habitual-referral rate month by month (the month each case opened), overall and per authority."""

    months: list[str]
    overall: TrendLine
    authorities: list[TrendLine] = field(default_factory=list)  # sorted by name

    def comparable(self, min_cases: int = DEFAULT_MIN_CASES) -> list[TrendLine]:
        """The authorities with at least `min_cases` cases in the measure over the whole trend."""
        return [line for line in self.authorities if line.cases >= min_cases]


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def trend(facts: Sequence[MeasuredCase]) -> Trend:
    """Every month from the first case's to the last case's (months with no case in the measure included)."""
    measured = [f for f in facts if f.month]
    seen = sorted({f.month or "" for f in measured})
    months = _months_between(seen[0], seen[-1]) if seen else []

    def line(gss_code: str, la_name: str, group: Sequence[MeasuredCase]) -> TrendLine:
        points = []
        for month in months:
            in_month = [f.habitual for f in group if f.month == month and f.habitual is not None]
            points.append(TrendPoint(month, sum(1 for h in in_month if h), len(in_month)))
        return TrendLine(gss_code, la_name, points)

    groups = by_authority(measured)
    authorities = [
        line(g.gss_code, g.la_name, [f for f in measured if f.gss_code == g.gss_code])
        for g in groups
        if g.gss_code != ALL
    ]
    return Trend(months, line(ALL, "All authorities", measured), authorities)
