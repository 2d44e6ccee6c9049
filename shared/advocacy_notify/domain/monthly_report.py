"""The monthly report's rows: one per placing authority with a case opened in the month, then the overall row.

For the cases opened in a month (a cohort), as things stand when the report is made:

- cases opened; answered before any reminder and after (`prompt_answer_rate`: answered before any reminder,
  of the cases opened);
- habitual referral (`domain/measures.py`): `habitual_referral_rate` of `habitual_referral_cases` (the
  denominator: yes and no), with its Wilson 95% interval (`habitual_referral_ci_low`, `_high`), the "don't
  know" answers counted apart, and the authority's rank and comparison with the overall rate, given only
  with at least `min_cases` cases in the measure;
- escalated, unresolved, still open, undeliverable, failed, closed by staff; the median working days to
  answer; how many of each answer;
- on the overall row, the monitoring figures of the month's latest ratings snapshot (`snapshot_*`, from
  `SnapshotSummary.figures()`).

Rates are percentages with one decimal ("66.7%"); a figure that does not exist is "" (no cases, no answers).
The rows hold ids, codes, names of authorities and counts only: no personal data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .measures import (
    ANSWERS,
    DEFAULT_MIN_CASES,
    Group,
    MeasuredCase,
    Standing,
    by_authority,
    check_month,
    facts_of_cases,
    standings,
)

MONITORING_COLUMNS = [
    "snapshot_date",
    "snapshot_compared_with",
    "snapshot_inadequate",
    "snapshot_newly_inadequate",
    "snapshot_still_inadequate",
    "snapshot_no_longer_inadequate",
    "snapshot_unnotified_inadequate_homes",
]
COLUMNS = [
    "month",
    "gss_code",
    "la_name",
    "cases_opened",
    "answered",
    "answered_before_reminder",
    "answered_after_reminder",
    "prompt_answer_rate",
    "habitual_referral_rate",
    "habitual_referral_cases",
    "habitual_referral_yes",
    "habitual_referral_dont_know",
    "habitual_referral_ci_low",
    "habitual_referral_ci_high",
    "habitual_referral_rank",
    "habitual_referral_comparison",
    "escalated",
    "unresolved",
    "still_open",
    "delivery_failed",
    "failed",
    "closed_by_staff",
    "median_working_days_to_answer",
    *(f"answer_{a}" for a in ANSWERS),
    *MONITORING_COLUMNS,
]


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _number(value: float | None) -> int | float | str:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else value


def _row(month: str, group: Group, standing: Standing | None) -> dict[str, Any]:
    f = group.figures
    interval = f.habitual_referral_interval
    row: dict[str, Any] = {
        "month": month,
        "gss_code": group.gss_code,
        "la_name": group.la_name,
        "cases_opened": f.cases_opened,
        "answered": f.answered,
        "answered_before_reminder": f.answered_before_reminder,
        "answered_after_reminder": f.answered_after_reminder,
        "prompt_answer_rate": percent(f.prompt_answer_rate),
        "habitual_referral_rate": percent(f.habitual_referral_rate),
        "habitual_referral_cases": f.habitual_cases,
        "habitual_referral_yes": f.habitual_yes,
        "habitual_referral_dont_know": f.habitual_unknown,
        "habitual_referral_ci_low": percent(interval[0]) if interval else "",
        "habitual_referral_ci_high": percent(interval[1]) if interval else "",
        "habitual_referral_rank": standing.rank if standing and standing.rank is not None else "",
        "habitual_referral_comparison": standing.comparison if standing else "",
        "escalated": f.escalated,
        "unresolved": f.statuses.get("unresolved", 0),
        "still_open": f.still_open,
        "delivery_failed": f.statuses.get("delivery_failed", 0),
        "failed": f.statuses.get("failed", 0),
        "closed_by_staff": f.statuses.get("closed_by_staff", 0),
        "median_working_days_to_answer": _number(f.median_days),
    }
    for a in ANSWERS:
        row[f"answer_{a}"] = f.answers[a]
    row.update(dict.fromkeys(MONITORING_COLUMNS, ""))
    return row


def monitoring_columns(figures: Mapping[str, Any] | None) -> dict[str, Any]:
    """The overall row's monitoring columns from a snapshot's figures (`SnapshotSummary.figures()`, or the
    `monitoring` of `advocacy run --json`): its date and counts ("" for a baseline's comparisons)."""
    if not figures or not figures.get("snapshot_date"):
        return dict.fromkeys(MONITORING_COLUMNS, "")
    return {
        "snapshot_date": figures["snapshot_date"],
        "snapshot_compared_with": figures.get("compared_with") or "",
        **{f"snapshot_{k}": "" if figures.get(k) is None else figures[k] for k in _COUNTS},
    }


_COUNTS = ("inadequate", "newly_inadequate", "still_inadequate", "no_longer_inadequate", "unnotified_inadequate_homes")


def rows_for(
    facts: Sequence[MeasuredCase],
    label: str,
    *,
    min_cases: int = DEFAULT_MIN_CASES,
    monitoring: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One row per authority of `facts`, sorted by name, then the overall row (gss_code "ALL")."""
    groups = by_authority(facts)
    standing = standings(groups, min_cases)
    rows = [_row(label, g, standing.get(g.gss_code)) for g in groups]
    rows[-1].update(monitoring_columns(monitoring))
    return rows


def monthly_rows(
    cases: Iterable[Mapping[str, Any]],
    answers: Iterable[Mapping[str, Any]],
    month: str | None,
    *,
    min_cases: int = DEFAULT_MIN_CASES,
    monitoring: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The rows for the cases opened in `month` (YYYY-MM; None: every case). Raises `MonthError`."""
    if month is not None:
        check_month(month)
    facts = [f for f in facts_of_cases(cases, answers) if month is None or f.month == month]
    return rows_for(facts, month or "all", min_cases=min_cases, monitoring=monitoring)
