"""Issue 11, defects 5, 6 and 7: the case queue and the reconciler.

5. One bad message never takes another case with it: a poison message in Leeds's FIFO group goes to the DLQ
   alone, with a work item, and every Leeds case queued behind it gets its emails.
6. Stalled work is noticed: the reconciler (every 6 simulated hours offline) requeues cases whose queue message
   was lost. (Answers whose workflow still waits: tests/integration/test_reliability_answers.py; emails stuck in
   `sending` and workflows that failed while chasing: tests/unit/test_logic_reconcile.py, as the twin's
   StopExecution does not stop an execution waiting for its task token.)
7. The same home x authority with a new rating date while its case is open joins that case, with a work item,
   and opens no second chase; after the case closed, a new rating opens a new case.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from advocacy_notify.domain.clock import parse_iso

from tests.integration.faultkit import BRADFORD, HOMES, LEEDS, lost_cases, provisional_file, record, trial

HOUR = timedelta(hours=1)
RECONCILER_PERIOD = timedelta(hours=6)  # offline (env.py: ReconcileSchedule rate(6 hours))


def test_a_poison_message_in_an_authoritys_group_goes_to_the_dlq_alone(tmp_path: Path) -> None:
    """The poison is queued first, in Leeds's message group; four Leeds cases (and a Bradford one) follow it."""
    homes = [(f"SC85000{i}", f"Poison Row {i}", "Leeds") for i in range(1, 4)]
    homes.append(("SC850004", "Poison Row 4", "Leeds; Bradford"))
    responses = {"Leeds": {"respond_on_day": 1}, "Bradford": {"respond_on_day": 1}}
    with trial(tmp_path, faults=[{"poison": {"authority": "Leeds"}}], responses=responses) as t:
        result = t.run(provisional_file(tmp_path / "leeds.csv", homes))
        cases = result["cases"]
        leeds = [c for c in cases if c["gss_code"] == LEEDS]

        assert t.fired() == [1]
        assert len(leeds) == 4
        for case in leeds + [c for c in cases if c["gss_code"] == BRADFORD]:
            assert [(e["kind"], e["state"]) for e in case["emails"]] == [("initial", "sent")], case["case_id"]
            assert case["status"] == "confirmed", case["case_id"]
        # the poison alone is in the DLQ, with one work item naming its group, and no case's
        assert result["totals"]["dead_letter_messages"] == 1
        items = t.work("unreadable_case_message")
        assert [(w["group"], w.get("case_id")) for w in items] == [(LEEDS, None)]
        assert result["totals"]["staff_work_items"] == {"unreadable_case_message": 1}
        assert lost_cases(result, t.work()) == []
        assert t.duplicates() == 0
        record(
            "poison message in Leeds's FIFO group, ahead of 4 Leeds cases",
            injected=1,
            dead_letter_messages=result["totals"]["dead_letter_messages"],
            work_items=result["totals"]["staff_work_items"],
            leeds_cases_emailed=sum(1 for c in leeds if c["emails"]),
            cases_lost=0,
            duplicate_emails=t.duplicates(),
        )


def test_a_lost_queue_message_is_requeued_by_the_reconciler(tmp_path: Path) -> None:
    """Ingest claims five cases, then SQS loses the batch (the call seems to succeed). The cases sit in `queued`
    with no workflow; the reconciler's next run requeues them and each gets its first email once."""
    faults = [{"service": "sqs", "operation": "SendMessageBatch", "error": "drop"}]
    with trial(tmp_path, faults=faults) as t:
        t.upload(provisional_file(tmp_path / "f.csv", HOMES))
        start = t.env.start

        t.settle(until=start + HOUR)
        assert {t.case(c).status for c in _ids()} == {"queued"}  # lost: nothing would ever send them
        assert t.ses_accepted() == {}

        # (the runner alone would stop here: nothing runs; the reconciler is what must notice)
        t.settle(until=start + RECONCILER_PERIOD + HOUR, done=lambda: len(t.ses_accepted()) == 5)
        result = t.result()
        assert t.fired() == [1]
        assert {c["status"] for c in result["cases"]} == {"awaiting_response"}
        sent = [parse_iso(c["emails"][0]["sent_at"]) for c in result["cases"]]
        assert len(sent) == 5
        assert all(start + HOUR < s <= start + RECONCILER_PERIOD + HOUR for s in sent)
        assert t.metric("ReconcilerRequeued") == 5
        assert t.ses_accepted() == {(c, 0): 1 for c in _ids()}
        assert all("requeued_by_reconciler" in [e["event"] for e in t.history(c).events] for c in _ids())
        assert t.work() == []
        record(
            "SQS SendMessageBatch dropped (5 claimed cases lost in transit)",
            injected=1,
            requeued_by_reconciler=t.metric("ReconcilerRequeued"),
            first_email_delay_hours=round((max(sent) - start).total_seconds() / 3600, 2),
            cases_lost=len(lost_cases(result, t.work())),
            duplicate_emails=t.duplicates(),
        )


def _ids() -> list[str]:
    return [f"{urn}-{gss}-20261102" for urn, gss in _PAIRS]


_PAIRS = [
    ("SC800001", LEEDS),
    ("SC800001", BRADFORD),
    ("SC800001", "E08000036"),
    ("SC800002", "E08000034"),
    ("SC800002", "E08000033"),
]


def test_a_new_rating_for_an_open_case_joins_it_and_after_closing_opens_a_new_case(tmp_path: Path) -> None:
    home = [("SC870001", "Twice Rated", "Leeds")]
    first, joined, later = (f"SC870001-{LEEDS}-{d}" for d in ("20261102", "20261116", "20261123"))
    with trial(tmp_path) as t:
        start = t.env.start
        t.upload(provisional_file(tmp_path / "a.csv", home, rating_date="02/11/2026"))
        t.settle(until=start + HOUR)
        t.upload(provisional_file(tmp_path / "b.csv", home, rating_date="16/11/2026"))
        t.settle(until=start + 2 * HOUR)

        # joined: a work item, the rating recorded on the open case, no second case or email
        assert t.case(joined) is None
        case = t.case(first)
        assert case.status == "awaiting_response"
        assert [d.isoformat() for d in case.joined_ratings] == ["2026-11-16"]
        items = t.work("rating_joined_open_case")
        assert [(w["case_id"], w["rating_date"]) for w in items] == [(first, "2026-11-16")]
        assert t.ses_accepted() == {(first, 0): 1}
        assert [r["joined_open_case"] for r in t.result()["files"]] == [0, 1]

        closed = t.services().staff.close_case(first, reason="home re-inspected", by="staff")
        assert t.case(first).status == "closed_by_staff", closed
        t.upload(provisional_file(tmp_path / "c.csv", home, rating_date="23/11/2026"))
        t.settle(until=start + 4 * HOUR)
        assert t.case(later).status == "awaiting_response"
        assert t.ses_accepted() == {(first, 0): 1, (later, 0): 1}
        assert t.duplicates() == 0
        record(
            "same home x authority rated again while its case is open, then after it closed",
            joined_work_items=len(items),
            first_emails_while_open=1,
            new_case_after_close=True,
            duplicate_emails=t.duplicates(),
        )
