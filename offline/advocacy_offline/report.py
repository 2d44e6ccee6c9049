"""`advocacy report`: the monthly report - do authorities refer children to advocacy without being prompted?

For the cases opened in a month (a cohort), per placing authority and overall, as things stand when
the report is made:

- cases opened;
- answered before any reminder: the "habitual referral" measure (the authority answered the first
  email, with no chasing), also as a rate of the cases opened;
- answered after reminders (one or more reminders, or the escalation, came first);
- escalated (the escalation went to the senior contact and Help at Hand, answered later or not);
- unresolved (closed with no answer by the final deadline), still open, undeliverable, failed, closed by staff;
- the median working days from the first email to the answer;
- how many of each answer were given.

The figures hold ids, codes, names of authorities and counts only: no personal data. The CSV is
neutralised against formula injection (OWASP "CSV injection"): a text cell starting with `=`, `+`,
`-`, `@`, a tab or a carriage return is prefixed with a single quote.
"""

from __future__ import annotations

import re
import statistics
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from advocacy_notify.domain import csv_cells
from advocacy_notify.domain.csv_cells import neutralise, unneutralise

from . import console
from .console import CliError
from .options import JsonFlag, Where, acts_on_a_system, run_result

__all__ = ["COLUMNS", "neutralise", "unneutralise", "write_csv"]

ANSWERS = ("confirmed", "referrals_in_progress", "no_children_placed", "need_help")
OPEN = frozenset({"queued", "awaiting_response", "escalated"})
ALL = "ALL"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

COLUMNS = [
    "month",
    "gss_code",
    "la_name",
    "cases_opened",
    "answered",
    "answered_before_reminder",
    "answered_after_reminder",
    "habitual_referral_rate",
    "escalated",
    "unresolved",
    "still_open",
    "delivery_failed",
    "failed",
    "closed_by_staff",
    "median_working_days_to_answer",
    *(f"answer_{a}" for a in ANSWERS),
]


class ReportError(Exception):
    """A one-line reason (exit status 2)."""


# ------------------------------------------------------------------------------ CSV safety (domain.csv_cells)
def write_csv(rows: list[dict[str, Any]], path: Path | str | None, columns: list[str] | None = None) -> str:
    return csv_cells.write_csv(rows, path, columns or (list(rows[0]) if rows else COLUMNS))


# ------------------------------------------------------------------------------ the figures
def _month_of(case: dict[str, Any]) -> str | None:
    for key in ("opened_at", "first_sent", "first_email_at"):
        value = case.get(key)
        if value:
            return str(value)[:7]
    sent = [e.get("sent_at") for e in case.get("emails") or [] if e.get("sent_at")]
    return str(min(sent))[:7] if sent else None


def _answer_of(case: dict[str, Any], answer: dict[str, Any] | None) -> str | None:
    if answer and answer.get("answer") in ANSWERS:
        return str(answer["answer"])
    if case.get("answer") in ANSWERS:
        return str(case["answer"])
    if case.get("status") in ANSWERS:
        return str(case["status"])
    return None


def _facts(case: dict[str, Any], answer: dict[str, Any] | None) -> dict[str, Any]:
    """What happened to one case. The answer record (answers table) knows how many reminders had gone
    before the answer; without it, the case's own counters say the same (none are sent after an answer)."""
    kind = _answer_of(case, answer)
    src = answer or {}
    reminders = src.get("reminders_before_answer", case.get("reminders_sent") or 0)
    escalated_before = src.get("escalated_before_answer", bool(case.get("escalated") or case.get("escalated_at")))
    escalated = bool(case.get("escalated") or case.get("escalated_at")) or case.get("status") in {
        "escalated",
        "unresolved",
    }
    days = src.get("working_days_to_answer", case.get("working_days_to_answer"))
    return {
        "answer": kind,
        "answered": kind is not None,
        "before_reminder": kind is not None and int(reminders or 0) == 0 and not escalated_before,
        "escalated": escalated or bool(escalated_before),
        "days": days if kind is not None and isinstance(days, int | float) else None,
        "status": case.get("status"),
    }


def _row(month: str, gss_code: str, la_name: str, facts: list[dict[str, Any]]) -> dict[str, Any]:
    opened = len(facts)
    answered = [f for f in facts if f["answered"]]
    before = sum(1 for f in answered if f["before_reminder"])
    days = [f["days"] for f in answered if f["days"] is not None]
    median = statistics.median(days) if days else None
    statuses = [f["status"] for f in facts]
    row: dict[str, Any] = {
        "month": month,
        "gss_code": gss_code,
        "la_name": la_name,
        "cases_opened": opened,
        "answered": len(answered),
        "answered_before_reminder": before,
        "answered_after_reminder": len(answered) - before,
        "habitual_referral_rate": f"{100 * before / opened:.1f}%" if opened else "",
        "escalated": sum(1 for f in facts if f["escalated"]),
        "unresolved": statuses.count("unresolved"),
        "still_open": sum(1 for s in statuses if s in OPEN),
        "delivery_failed": statuses.count("delivery_failed"),
        "failed": statuses.count("failed"),
        "closed_by_staff": statuses.count("closed_by_staff"),
        "median_working_days_to_answer": (int(median) if float(median).is_integer() else median)
        if median is not None
        else "",
    }
    for a in ANSWERS:
        row[f"answer_{a}"] = sum(1 for f in answered if f["answer"] == a)
    return row


def check_month(month: str) -> str:
    if not MONTH.match(month):
        raise ReportError(f"month must be YYYY-MM, not {month!r}")
    return month


def monthly_report(
    cases: list[dict[str, Any]], answers: list[dict[str, Any]], month: str | None
) -> list[dict[str, Any]]:
    """Pure. One row per placing authority with a case opened in `month` (YYYY-MM; None: every case),
    sorted by name, then the overall row (gss_code "ALL")."""
    if month is not None:
        check_month(month)
    first_answer: dict[str, dict[str, Any]] = {}
    for a in sorted(answers, key=lambda a: str(a.get("answered_at", ""))):
        first_answer.setdefault(str(a.get("case_id")), a)
    by_la: dict[str, list[dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for case in cases:
        if case.get("sk", "CASE") != "CASE":
            continue
        if month is not None and _month_of(case) != month:
            continue
        gss = str(case.get("gss_code") or "")
        names.setdefault(gss, str(case.get("la_name") or gss))
        by_la.setdefault(gss, []).append(_facts(case, first_answer.get(str(case.get("case_id")))))
    label = month or "all"
    rows = [_row(label, gss, names[gss], by_la[gss]) for gss in sorted(by_la, key=lambda g: (names[g].lower(), g))]
    rows.append(_row(label, ALL, "All authorities", [f for facts in by_la.values() for f in facts]))
    return rows


def report_for_run(result: dict[str, Any], month: str | None = None) -> list[dict[str, Any]]:
    """The report for the result of `advocacy run` (its cases carry status, reminders_sent, escalated,
    working_days_to_answer, answer, first_sent). A run is one period: by default every case counts."""
    return monthly_report(list(result.get("cases", [])), [], month)


def summary_lines(rows: list[dict[str, Any]]) -> list[str]:
    """A short readable summary: the overall figures, then one line per authority."""
    if not rows:
        return ["No cases."]
    total = rows[-1]
    month = total["month"]
    period = "every case" if month == "all" else f"the cases opened in {month}"
    out = [
        f"Report for {period}: {total['cases_opened']} cases opened, {total['answered']} answered, "
        f"{total['answered_before_reminder']} before any reminder "
        f"(habitual referral {total['habitual_referral_rate'] or 'n/a'}), "
        f"{total['answered_after_reminder']} after reminders, {total['escalated']} escalated, "
        f"{total['unresolved']} unresolved, {total['still_open']} still open.",
    ]
    if total["median_working_days_to_answer"] != "":
        out.append(f"Median time to answer: {total['median_working_days_to_answer']} working days.")
    answers = ", ".join(f"{a.replace('_', ' ')} {total[f'answer_{a}']}" for a in ANSWERS)
    out.append(f"Answers: {answers}.")
    authorities = rows[:-1]
    if authorities:
        width = max(len(r["la_name"]) for r in authorities)
        out.append("")
        out.append(f"  {'Authority'.ljust(width)}  opened  before reminder  after  escalated  unresolved  median days")
        for r in authorities:
            out.append(
                f"  {r['la_name'].ljust(width)}  {r['cases_opened']:>6}  {r['answered_before_reminder']:>15}  "
                f"{r['answered_after_reminder']:>5}  {r['escalated']:>9}  {r['unresolved']:>10}  "
                f"{r['median_working_days_to_answer']!s:>11}"
            )
    return out


# ------------------------------------------------------------------------------ the command
def previous_month(today: date | None = None) -> str:
    d = today or datetime.now(UTC).date()
    return f"{d.year - 1}-12" if d.month == 1 else f"{d.year}-{d.month - 1:02d}"


def load_from_target(where: Where) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The CASE items of the cases table and every answer, from a deployed stack or `advocacy serve`."""
    services = where.services()
    cases = [c.document() for c in services.cases.all()]
    return cases, services.answers.all()


@acts_on_a_system
def cmd_report(
    where: Where,
    month: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM", help="The cases opened that month (default: last month; 'all': every case)."),
    ] = None,
    run_json: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="The JSON written by advocacy run --json (a run is one period: all its cases)."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(metavar="FILE.csv", help="Write the report as CSV here.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The monthly report: per authority, answered before any reminder (habitual referral), after, escalated..."""
    try:
        chosen = None if month == "all" else check_month(month or previous_month())
        if run_json:
            result = run_result(run_json)
            if "cases" not in result:
                raise CliError(f"{run_json} is not the JSON of `advocacy run --json`")
            rows = report_for_run(result, chosen if month else None)
        else:
            cases, answers = load_from_target(where)
            rows = monthly_report(cases, answers, chosen)
    except ReportError as exc:
        raise CliError(str(exc)) from None
    if out:
        write_csv(rows, out, COLUMNS)
    if as_json:
        console.say_json(rows)
        return
    for line in summary_lines(rows):
        console.say(line)
    if out:
        console.say(f"\nCSV: {out} ({len(rows) - 1} authorities and the total)")


def register(app: typer.Typer, panel: str | None = None) -> None:
    """Add `advocacy report` to the command line."""
    app.command("report", rich_help_panel=panel)(cmd_report)
