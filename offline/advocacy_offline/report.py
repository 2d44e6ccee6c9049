"""`advocacy report`: the monthly report - do authorities refer children to advocacy without being prompted?

For the cases opened in a month (a cohort), per placing authority and overall, as things stand when the
report is made: habitual referral measured directly (`habitual_referral_rate` of `habitual_referral_cases`,
with its Wilson 95% interval), the old measure `prompt_answer_rate` (answered before any reminder), answered
after reminders, escalated, unresolved, still open, undeliverable, failed, closed by staff, the median
working days to answer, how many of each answer, and on the overall row the month's ratings snapshot
(monitoring). Authorities are ranked and compared with the overall rate only with at least `--min-cases`
cases in the measure. The figures are computed in `advocacy_notify.domain.measures` and
`advocacy_notify.domain.monthly_report` (`advocacy_notify.logic.report` reads them from a stack); this
module reads its inputs and prints.

The figures hold ids, codes, names of authorities and counts only: no personal data. The CSV is
neutralised against formula injection (OWASP "CSV injection"): a text cell starting with `=`, `+`,
`-`, `@`, a tab or a carriage return is prefixed with a single quote.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from advocacy_notify.domain import csv_cells
from advocacy_notify.domain import measures as m
from advocacy_notify.domain.csv_cells import neutralise, unneutralise
from advocacy_notify.domain.monthly_report import COLUMNS, monthly_rows

from . import console
from .console import CliError
from .options import JsonFlag, Where, acts_on_a_system, run_result

__all__ = ["COLUMNS", "neutralise", "unneutralise", "write_csv"]

ANSWERS = m.ANSWERS
DEFAULT_MIN_CASES = m.DEFAULT_MIN_CASES


class ReportError(Exception):
    """A one-line reason (exit status 2)."""


# ------------------------------------------------------------------------------ CSV safety (domain.csv_cells)
def write_csv(rows: list[dict[str, Any]], path: Path | str | None, columns: list[str] | None = None) -> str:
    return csv_cells.write_csv(rows, path, columns or (list(rows[0]) if rows else COLUMNS))


# ------------------------------------------------------------------------------ the figures
def check_month(month: str) -> str:
    try:
        return m.check_month(month)
    except m.MonthError as exc:
        raise ReportError(str(exc)) from None


def monthly_report(
    cases: list[dict[str, Any]],
    answers: list[dict[str, Any]],
    month: str | None,
    min_cases: int = DEFAULT_MIN_CASES,
    monitoring: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Pure. One row per placing authority with a case opened in `month` (YYYY-MM; None: every case),
    sorted by name, then the overall row (gss_code "ALL")."""
    try:
        return monthly_rows(cases, answers, month, min_cases=min_cases, monitoring=monitoring)
    except m.MonthError as exc:
        raise ReportError(str(exc)) from None


def report_for_run(
    result: dict[str, Any], month: str | None = None, min_cases: int = DEFAULT_MIN_CASES
) -> list[dict[str, Any]]:
    """The report for the result of `advocacy run` (its cases carry status, reminders_sent, escalated,
    working_days_to_answer, answer, advocacy_before_contact, first_sent; its `monitoring` the latest
    snapshot). A run is one period: by default every case counts."""
    return monthly_report(list(result.get("cases", [])), [], month, min_cases, result.get("monitoring"))


def summary_lines(rows: list[dict[str, Any]]) -> list[str]:
    """A short readable summary of the overall figures (`authority_rows` has the authorities' lines)."""
    if not rows:
        return ["No cases."]
    total = rows[-1]
    month = total["month"]
    period = "every case" if month == "all" else f"the cases opened in {month}"
    out = [
        f"Report for {period}: {total['cases_opened']} cases opened, {total['answered']} answered, "
        f"{total['answered_before_reminder']} before any reminder "
        f"(prompt answers {total['prompt_answer_rate'] or 'n/a'}), "
        f"{total['answered_after_reminder']} after reminders, {total['escalated']} escalated, "
        f"{total['unresolved']} unresolved, {total['still_open']} still open.",
        _habitual_line(total),
    ]
    if total["median_working_days_to_answer"] != "":
        out.append(f"Median time to answer: {total['median_working_days_to_answer']} working days.")
    answers = ", ".join(f"{a.replace('_', ' ')} {total[f'answer_{a}']}" for a in ANSWERS)
    out.append(f"Answers: {answers}.")
    if total["snapshot_date"]:
        out.append(_monitoring_line(total))
    return out


AUTHORITY_COLUMNS = (
    "Authority",
    "opened",
    "before reminder",
    "after",
    "escalated",
    "unresolved",
    "median days",
    "habitual referral (95% interval)",
    "rank",
)


def authority_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """One line per authority (the rows before the overall one), in `AUTHORITY_COLUMNS`."""
    return [
        [
            r["la_name"],
            r["cases_opened"],
            r["answered_before_reminder"],
            r["answered_after_reminder"],
            r["escalated"],
            r["unresolved"],
            r["median_working_days_to_answer"],
            f"{r['habitual_referral_rate']} of {r['habitual_referral_cases']} "
            f"({r['habitual_referral_ci_low']}-{r['habitual_referral_ci_high']})"
            if r["habitual_referral_cases"]
            else "n/a",
            r["habitual_referral_rank"],
        ]
        for r in rows[:-1]
    ]


def _habitual_line(total: dict[str, Any]) -> str:
    if not total["habitual_referral_cases"]:
        return "Habitual referral: n/a (no answer with children placed said yes or no)."
    return (
        f"Habitual referral: {total['habitual_referral_rate']} of {total['habitual_referral_cases']} answers "
        f"with children placed said every child had an advocate (or a referral) before Help at Hand got in "
        f"touch (95% interval {total['habitual_referral_ci_low']} to {total['habitual_referral_ci_high']}); "
        f"{total['habitual_referral_dont_know']} did not know."
    )


def _monitoring_line(total: dict[str, Any]) -> str:
    head = f"Ratings snapshot of {total['snapshot_date']}: {total['snapshot_inadequate']} homes rated Inadequate"
    if not total["snapshot_compared_with"]:
        return head + " (a baseline: nothing before it to compare with)."
    return (
        f"{head}; against {total['snapshot_compared_with']}: {total['snapshot_newly_inadequate']} newly, "
        f"{total['snapshot_still_inadequate']} still, {total['snapshot_no_longer_inadequate']} no longer; "
        f"{total['snapshot_unnotified_inadequate_homes']} newly Inadequate homes no notification covered."
    )


# ------------------------------------------------------------------------------ the command
def previous_month(today: date | None = None) -> str:
    d = today or datetime.now(UTC).date()
    return f"{d.year - 1}-12" if d.month == 1 else f"{d.year}-{d.month - 1:02d}"


def load_from_target(where: Where, month: str | None, min_cases: int) -> list[dict[str, Any]]:
    """The report's rows from a deployed stack or `advocacy serve` (`logic.report.MonthlyReport`)."""
    return where.services().report.rows(month, min_cases=min_cases)


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
    min_cases: Annotated[
        int,
        typer.Option(
            "--min-cases",
            min=1,
            help="Rank and compare an authority's habitual referral only with at least this many cases in the measure.",
        ),
    ] = DEFAULT_MIN_CASES,
    as_json: JsonFlag = False,
) -> None:
    """The monthly report: per authority, habitual referral (with its 95% interval), prompt answers, ..."""
    try:
        chosen = None if month == "all" else check_month(month or previous_month())
        if run_json:
            result = run_result(run_json)
            if "cases" not in result:
                raise CliError(f"{run_json} is not the JSON of `advocacy run --json`")
            rows = report_for_run(result, chosen if month else None, min_cases)
        else:
            rows = load_from_target(where, chosen, min_cases)
    except ReportError as exc:
        raise CliError(str(exc)) from None
    if out:
        write_csv(rows, out, COLUMNS)
    if as_json:
        console.say_json(rows)
        return
    for line in summary_lines(rows):
        console.say(line)
    if len(rows) > 1:
        console.say()
        console.table(AUTHORITY_COLUMNS, authority_rows(rows))
    if out:
        console.say(f"\nCSV: {out} ({len(rows) - 1} authorities and the total)")


def register(app: typer.Typer, panel: str | None = None) -> None:
    """Add `advocacy report` to the command line."""
    app.command("report", rich_help_panel=panel)(cmd_report)
