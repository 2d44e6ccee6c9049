"""Issue 11's timing rules, as a council would see them, and its long-layout count.

- Dates are UK dates: a first email sent at 00:30 BST is dated that day, and its reply-by date counts from it.
- Reminders and escalations go at 09:00 UK time on a working day, never at midnight, a weekend or a bank holiday.
- A first email goes at once whatever the day; its reply-by count starts on the next working day.
- A long-layout file whose rows for one home are not consecutive: the ingest report and `advocacy validate`
  count the same homes.

The expected dates are worked out by hand from the calendar (England's bank holidays: Fri 25 and Mon 28
December 2026, Fri 1 January 2027) and the default timers (reminders after 5 and 10 working days, the
escalation after 15), never from the code under test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from tests.integration.faultkit import LEEDS, PROJECT, by_case, long_file, provisional_file, record, trial


def test_a_first_email_sent_at_half_past_midnight_bst_is_dated_by_the_uk_date(tmp_path: Path) -> None:
    # 23:30 UTC on Tue 23 June 2026 is 00:30 BST on Wed 24 June
    start = datetime(2026, 6, 23, 23, 30, tzinfo=UTC)
    with trial(tmp_path, start=start) as t:
        t.upload(
            provisional_file(tmp_path / "f.csv", [("SC880001", "Midnight House", "Leeds")], rating_date="15/06/2026")
        )
        case_id = f"SC880001-{LEEDS}-20260615"
        t.settle(until=datetime(2026, 7, 2, 12, 0, tzinfo=UTC))
        case = by_case(t.result())[case_id]

        initial, reminder = case["emails"]
        assert initial["sent_at"].startswith("2026-06-23T23:3")  # at once, in UTC still the 23rd
        assert case["first_sent"] == "2026-06-24"
        # 5 working days from Wed 24 June: Thu 25, Fri 26, Mon 29, Tue 30, Wed 1 July
        assert "Please confirm by Wednesday 1 July 2026" in t.email_texts(case_id)[0]
        # the reminder: 09:00 BST (08:00 UTC) on the working day after the reply-by date
        assert (reminder["kind"], reminder["sent_at"]) == ("reminder", "2026-07-02T08:00:00.000Z")
        record(
            "first email at 00:30 BST",
            first_sent=case["first_sent"],
            reply_by="Wednesday 1 July 2026",
            reminder_at=reminder["sent_at"],
        )


def test_reminders_and_the_escalation_go_at_nine_on_working_days_over_christmas(tmp_path: Path) -> None:
    """First email on Christmas Eve (Thu 24 December 2026); the reply-by count starts on Tue 29 December."""
    with trial(tmp_path, start=date(2026, 12, 24)) as t:
        t.upload(provisional_file(tmp_path / "f.csv", [("SC890001", "Holly House", "Leeds")], rating_date="14/12/2026"))
        case_id = f"SC890001-{LEEDS}-20261214"
        t.settle(until=datetime(2027, 1, 20, 12, 0, tzinfo=UTC))
        case = by_case(t.result())[case_id]

        assert case["first_sent"] == "2026-12-24"
        # working days after Thu 24 Dec: Tue 29 (1), Wed 30, Thu 31, Mon 4 Jan, Tue 5 Jan (5)
        assert "Please confirm by Tuesday 5 January 2027" in t.email_texts(case_id)[0]
        chased = [(e["kind"], e["sent_at"]) for e in case["emails"][1:]]
        assert chased == [
            ("reminder", "2027-01-06T09:00:00.000Z"),  # the working day after Tue 5 Jan, 09:00 GMT
            ("reminder", "2027-01-13T09:00:00.000Z"),  # 10 working days: Tue 12 Jan
            ("escalation", "2027-01-20T09:00:00.000Z"),  # 15 working days: Tue 19 Jan
        ]
        assert case["status"] == "escalated"
        record(
            "a chase over Christmas 2026 and New Year",
            first_sent=case["first_sent"],
            chased_at=[at for _kind, at in chased],
        )


def test_a_long_layout_file_with_a_home_on_rows_apart_counts_the_same_as_validate(tmp_path: Path) -> None:
    rows = [
        ("SC890101", "Apart House", "Leeds"),
        ("SC890102", "Between House", "Leeds"),
        ("SC890101", "Apart House", "Bradford"),
    ]
    path = long_file(tmp_path / "long.csv", rows)
    validated = subprocess.run(
        [sys.executable, "-m", "advocacy_offline.cli", "validate", str(path), "--json"],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        check=True,
    )
    report = json.loads(validated.stdout)
    with trial(tmp_path) as t:
        t.upload(path)
        (ingested,) = t.result(check=False)["files"]

    assert len(report["homes"]) == 2
    assert len(report["cases"]) == 3
    assert (ingested["homes"], ingested["cases"], ingested["queued"]) == (2, 3, 3)
    record("long layout, one home's rows apart", validate_homes=len(report["homes"]), ingest_homes=ingested["homes"])
