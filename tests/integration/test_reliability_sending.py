"""Issue 11, defect 2: a first email is never skipped yet recorded as sent.

All preparation (the answer link, the link key, the message) comes before the ledger says `sending`, so a
failure there leaves nothing behind and the workflow's retry sends the email. "Uncertain" is only possible when
the SES call itself may have gone through (a 5xx or a timeout from SES): then staff get an `email_uncertain`
work item, and `cases resend` accepts the case. And the old table's crash after SES accepted the email, before
the ledger recorded it: nothing is sent twice.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.faultkit import HOMES, LEEDS, by_case, lost_cases, provisional_file, record, trial

FIRST_HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("label", "fault"),
    [
        # the link key: throttled through every attempt of the client (6), so the task itself fails once
        ("GetSecretValue throttled", {"service": "secretsmanager", "operation": "GetSecretValue"}),
        # the answer link's record: the links table refuses the write through every attempt
        ("links table PutItem failing", {"service": "dynamodb", "operation": "PutItem", "match": "link_hash"}),
    ],
)
def test_a_failure_while_preparing_the_first_email_still_sends_it_once(
    tmp_path: Path, label: str, fault: dict[str, Any]
) -> None:
    faults = [{**fault, "error": "ThrottlingException", "times": 6}]
    with trial(tmp_path, faults=faults) as t:
        t.upload(provisional_file(tmp_path / "f.csv", HOMES))
        t.settle(until=t.env.start + FIRST_HOUR)
        result = t.result()

        assert t.fired() == [6]
        assert "send_email" in {c.function for c in t.env.calls if c.error}  # the fault reached the task
        assert len(result["cases"]) == 5
        for case in result["cases"]:
            assert case["status"] == "awaiting_response", case["case_id"]
            assert [(e["kind"], e["state"]) for e in case["emails"]] == [("initial", "sent")], case["case_id"]
        assert t.work("email_uncertain") == []
        assert {key: n for key, n in t.ses_accepted().items()} == {(c["case_id"], 0): 1 for c in result["cases"]}
        record(
            f"{label} before the first email",
            injected=6,
            cases=len(result["cases"]),
            first_emails_sent=sum(1 for c in result["cases"] if c["emails"]),
            emails_uncertain=0,
            cases_lost=len(lost_cases(result, t.work())),
            duplicate_emails=t.duplicates(),
        )


def test_a_5xx_from_ses_makes_the_email_uncertain_for_staff_and_resend_sends_it(tmp_path: Path) -> None:
    """SES answers 500 InternalFailure to Leeds's first email: it may have gone. Nothing is resent on its own;
    staff get an `email_uncertain` work item and an alert; `cases resend` starts the case again and sends it."""
    faults = [
        {"service": "sesv2", "operation": "SendEmail", "error": "InternalFailure", "match": "leeds.example"},
    ]
    with trial(tmp_path, faults=faults) as t:
        t.upload(provisional_file(tmp_path / "f.csv", HOMES))
        t.settle(until=t.env.start + FIRST_HOUR)
        leeds_id = f"SC800001-{LEEDS}-20261102"
        before = by_case(t.result())
        leeds = before[leeds_id]

        assert t.fired() == [1]
        assert [(e["kind"], e["state"], e["sent_at"]) for e in leeds["emails"]] == [("initial", "uncertain", None)]
        assert leeds["status"] == "awaiting_response"  # it may have gone: the chase goes on, nothing sent twice
        items = t.work("email_uncertain", state="open")
        assert [(w["case_id"], w["stage"]) for w in items] == [(leeds_id, 0)]
        assert [a["case_id"] for a in t.alerts("may not have been sent")] == [leeds_id]
        assert (leeds_id, 0) not in t.ses_accepted()  # SES never took it (the fault answered)
        others = [c for c in before.values() if c["case_id"] != leeds_id]
        assert all([e["state"] for e in c["emails"]] == ["sent"] for c in others)

        resent = t.services().staff.resend_case(leeds_id, by="staff")
        assert resent["started"] is True
        assert resent["work_items_done"] == 1
        t.settle(until=t.env.clock.now() + FIRST_HOUR)
        after = by_case(t.result())[leeds_id]
        assert after["status"] == "awaiting_response"
        assert [(e["kind"], e["state"]) for e in after["emails"]] == [("initial", "sent")]
        assert t.ses_accepted()[(leeds_id, 0)] == 1
        assert t.work("email_uncertain", state="open") == []
        record(
            "SES SendEmail 500 InternalFailure (may have been sent)",
            injected=1,
            emails_uncertain=1,
            work_items=["email_uncertain"],
            alerts=len(t.alerts("may not have been sent")),
            resend_accepted=True,
            emails_after_resend=t.ses_accepted()[(leeds_id, 0)],
            cases_lost=0,
            duplicate_emails=t.duplicates(),
        )


def test_a_crash_after_ses_accepted_the_email_sends_nothing_twice(tmp_path: Path) -> None:
    """The ledger cannot record `sent` (every attempt of the write fails) after SES accepted the email: the task
    fails, Step Functions retries it, the retry finds `sending` and sends nothing: the email is uncertain."""
    faults = [{"service": "dynamodb", "operation": "UpdateItem", "error": "InternalServerError", "times": 6}]
    faults[0]["match"] = '{"S": "sent"}'  # the ledger's `state = sent` (finish_email)
    with trial(tmp_path, faults=faults) as t:
        t.upload(provisional_file(tmp_path / "f.csv", HOMES))
        t.settle(until=t.env.start + FIRST_HOUR)
        result = t.result()

        assert t.fired() == [6]
        assert t.function_errors("send_email") == ["InternalServerError"]
        uncertain = [c for c in result["cases"] if [e["state"] for e in c["emails"]] == ["uncertain"]]
        assert len(uncertain) == 1
        assert all([e["state"] for e in c["emails"]] == ["sent"] for c in result["cases"] if c not in uncertain)
        assert [w["case_id"] for w in t.work("email_uncertain")] == [uncertain[0]["case_id"]]
        assert sum(t.ses_accepted().values()) == 5  # one email per case: the retry sent nothing
        assert t.duplicates() == 0
        assert {c["status"] for c in result["cases"]} == {"awaiting_response"}
        record(
            "crash after SES accepted, before the ledger said sent",
            injected=6,
            function_errors=1,
            emails_uncertain=len(uncertain),
            cases_lost=len(lost_cases(result, t.work())),
            duplicate_emails=t.duplicates(),
        )
