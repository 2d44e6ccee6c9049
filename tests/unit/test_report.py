"""The monthly report: figures from hand-built cases with known answers, and CSV injection."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from advocacy_offline.report import (
    AUTHORITY_COLUMNS,
    COLUMNS,
    ReportError,
    authority_rows,
    monthly_report,
    neutralise,
    previous_month,
    report_for_run,
    summary_lines,
    unneutralise,
    write_csv,
)

LEEDS, YORK, KENT = "E08000035", "E06000014", "E10000016"


def case(case_id: str, gss: str, la: str, status: str, opened: str = "2026-11-03T09:00:00.000Z", **kw: Any) -> dict:
    return {
        "case_id": case_id,
        "sk": "CASE",
        "gss_code": gss,
        "la_name": la,
        "status": status,
        "opened_at": opened,
        **kw,
    }


def answer(case_id: str, kind: str, reminders: int, escalated: bool, days: int) -> dict:
    return {
        "case_id": case_id,
        "answered_at": "2026-11-20T10:00:00.000Z",
        "answer": kind,
        "reminders_before_answer": reminders,
        "escalated_before_answer": escalated,
        "working_days_to_answer": days,
        "responder_email": "someone@leeds.example",  # never in the report
    }


CASES = [
    # Leeds: two answered at once (prompt), one after a reminder, one unresolved after escalation
    case("L1", LEEDS, "Leeds", "confirmed", reminders_sent=0, answer="confirmed", working_days_to_answer=2),
    case("L2", LEEDS, "Leeds", "referrals_in_progress", reminders_sent=0),
    case("L3", LEEDS, "Leeds", "confirmed", reminders_sent=1),
    case("L4", LEEDS, "Leeds", "unresolved", reminders_sent=2, escalated_at="2026-11-25T09:00:00.000Z"),
    # York: answered after the escalation; one still waiting
    case("Y1", YORK, "York", "need_help", reminders_sent=2, escalated_at="2026-11-25T09:00:00.000Z"),
    case("Y2", YORK, "York", "awaiting_response"),
    # Kent: bounced, and one closed by staff
    case("K1", KENT, "Kent", "delivery_failed"),
    case("K2", KENT, "Kent", "closed_by_staff"),
    # another month: not in November's report
    case("L9", LEEDS, "Leeds", "confirmed", opened="2026-10-30T09:00:00.000Z"),
    # not a case item (an email ledger entry of L1)
    {"case_id": "L1", "sk": "EMAIL#00", "gss_code": LEEDS, "status": "x", "opened_at": "2026-11-03"},
]
ANSWERS = [
    answer("L1", "confirmed", 0, False, 2),
    answer("L2", "referrals_in_progress", 0, False, 4),
    answer("L3", "confirmed", 1, False, 7),
    answer("Y1", "need_help", 2, True, 16),
    answer("L9", "confirmed", 0, False, 1),
]


def _by_gss(rows: list[dict]) -> dict[str, dict]:
    return {r["gss_code"]: r for r in rows}


def test_figures_per_authority_and_overall() -> None:
    rows = monthly_report(CASES, ANSWERS, "2026-11")
    assert [r["la_name"] for r in rows] == ["Kent", "Leeds", "York", "All authorities"]
    by = _by_gss(rows)
    leeds = by[LEEDS]
    assert leeds["cases_opened"] == 4
    assert leeds["answered"] == 3
    assert leeds["answered_before_reminder"] == 2
    assert leeds["answered_after_reminder"] == 1
    assert leeds["prompt_answer_rate"] == "50.0%"  # the old "habitual referral" measure, renamed (issue 13)
    assert (leeds["habitual_referral_rate"], leeds["habitual_referral_cases"]) == ("", 0)  # nobody was asked
    assert leeds["escalated"] == 1
    assert leeds["unresolved"] == 1
    assert leeds["median_working_days_to_answer"] == 4
    assert (leeds["answer_confirmed"], leeds["answer_referrals_in_progress"]) == (2, 1)
    york = by[YORK]
    assert (york["cases_opened"], york["answered_after_reminder"], york["escalated"], york["still_open"]) == (
        2,
        1,
        1,
        1,
    )
    assert york["answer_need_help"] == 1
    assert york["median_working_days_to_answer"] == 16
    kent = by[KENT]
    assert (kent["delivery_failed"], kent["closed_by_staff"], kent["answered"]) == (1, 1, 0)
    assert kent["median_working_days_to_answer"] == ""
    total = by["ALL"]
    assert total["cases_opened"] == 8
    assert total["answered"] == 4
    assert total["answered_before_reminder"] == 2
    assert total["answered_after_reminder"] == 2
    assert total["prompt_answer_rate"] == "25.0%"
    assert total["median_working_days_to_answer"] == 5.5  # of 2, 4, 7, 16
    assert set(rows[0]) == set(COLUMNS)


def test_without_answer_records_the_case_counters_are_used() -> None:
    rows = monthly_report(CASES, [], "2026-11")
    leeds = _by_gss(rows)[LEEDS]
    assert leeds["answered_before_reminder"] == 2  # L1, L2 (reminders_sent 0)
    assert leeds["answered_after_reminder"] == 1
    assert leeds["median_working_days_to_answer"] == 2  # only L1 carries its days


def test_other_months_and_bad_months() -> None:
    october = monthly_report(CASES, ANSWERS, "2026-10")
    assert [r["cases_opened"] for r in october] == [1, 1]
    assert monthly_report(CASES, ANSWERS, "2025-01")[-1]["cases_opened"] == 0
    for bad in ("2026-13", "2026-1", "November", "2026-11-01"):
        with pytest.raises(ReportError):
            monthly_report(CASES, ANSWERS, bad)
    assert previous_month(__import__("datetime").date(2026, 1, 15)) == "2025-12"


def test_report_for_a_run_result() -> None:
    result = {
        "cases": [
            {
                "case_id": "a",
                "gss_code": LEEDS,
                "la_name": "Leeds",
                "status": "confirmed",
                "answer": "confirmed",
                "reminders_sent": 0,
                "escalated": False,
                "working_days_to_answer": 3,
                "first_sent": "2026-12-01",
                "emails": [{"kind": "initial", "sent_at": "2026-12-01T09:00:00Z"}],
            },
            {
                "case_id": "b",
                "gss_code": YORK,
                "la_name": "York",
                "status": "confirmed",
                "answer": "confirmed",
                "reminders_sent": 2,
                "escalated": True,
                "working_days_to_answer": 17,
                "first_sent": "2026-12-01",
                "emails": [],
            },
            {
                "case_id": "c",
                "gss_code": YORK,
                "la_name": "York",
                "status": "unresolved",
                "answer": None,
                "reminders_sent": 2,
                "escalated": True,
                "working_days_to_answer": None,
                "first_sent": "2026-12-01",
                "emails": [],
            },
        ]
    }
    total = report_for_run(result)[-1]
    assert total["month"] == "all"
    assert (total["cases_opened"], total["answered_before_reminder"], total["answered_after_reminder"]) == (3, 1, 1)
    assert (total["escalated"], total["unresolved"], total["median_working_days_to_answer"]) == (2, 1, 10)
    assert report_for_run(result, "2026-11")[-1]["cases_opened"] == 0
    text = "\n".join(summary_lines(report_for_run(result)))
    assert "prompt answers 33.3%" in text


HOSTILE = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+44 1234", "-2+3", "\tTab", "\rCR", "  =1+1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_cells_are_neutralised(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert unneutralise(neutralise(value)) == value


def test_safe_cells_are_unchanged() -> None:
    for value in ("Leeds", "Bristol, City of", "E08000035", "O'Neill House", 5, 2.5, "", "50.0%"):
        assert neutralise(value) == value
    assert unneutralise("'quoted") == "'quoted"


def test_csv_with_hostile_authority_names(tmp_path: Path) -> None:
    cases = [
        case("H1", "E99000001", '=HYPERLINK("http://x","y")', "confirmed", answer="confirmed", reminders_sent=0),
        case("H2", "E99000002", "@SUM(1+1)", "unresolved", reminders_sent=2),
        case("H3", "-E99", "+cmd|' /C calc'!A0", "awaiting_response"),
    ]
    rows = monthly_report(cases, [], "2026-11")
    out = tmp_path / "report.csv"
    write_csv(rows, out, COLUMNS)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8 names right
    parsed = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    for row in parsed:
        for value in row.values():
            assert not value.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), value
    names = {r["la_name"] for r in parsed}
    assert '\'=HYPERLINK("http://x","y")' in names
    assert "'@SUM(1+1)" in names
    assert "'+cmd|' /C calc'!A0" in names
    assert any(r["gss_code"] == "'-E99" for r in parsed)
    assert b"someone@" not in raw


def test_the_authorities_table_has_one_line_per_authority_in_its_columns() -> None:
    rows = monthly_report(CASES, ANSWERS, "2026-11")
    lines = authority_rows(rows)
    assert [line[0] for line in lines] == [r["la_name"] for r in rows[:-1]]
    assert all(len(line) == len(AUTHORITY_COLUMNS) for line in lines)
    for line, row in zip(lines, rows[:-1], strict=True):
        assert line[1] == row["cases_opened"]
        assert line[5] == row["unresolved"]
        assert (
            line[7] == "n/a"
            if not row["habitual_referral_cases"]
            else line[7].startswith(f"{row['habitual_referral_rate']} of {row['habitual_referral_cases']} (")
        )
