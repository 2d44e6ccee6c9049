"""Issue 11, defect 1: a "need help" answer never loses its staff alert, and its workflow always resumes.

Everything an answer causes is written with the answer, in one transaction (the need_help work item, and an
outbox of effects: the alert, the resume). The answer page then delivers the effects; what fails stays in the
outbox and the reconciler (every 6 simulated hours offline) delivers it until it succeeds. The council sees
its answer recorded whatever Step Functions or SNS do.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.faultkit import LEEDS, Trial, by_case, lost_cases, provisional_file, record, trial

HELP_SUBJECT = "asked for help"
RESPONSES = {"Leeds": {"respond_on_day": 1, "answer": "need_help"}, "Bradford": {"respond_on_day": 1}}


def _posts(t: Trial) -> list[dict[str, Any]]:
    """What the respond function answered to each POST (the council's browser)."""
    return [
        c.result
        for c in t.env.calls
        if c.function == "respond" and c.event["requestContext"]["http"]["method"] == "POST"
    ]


@pytest.mark.parametrize(
    ("error", "times"),
    [
        # the respond function's 6 attempts (botocore standard mode, 5 retries) all fail: a crash of the call
        ("InternalFailure", 6),
        # throttled through the respond function's attempts and the reconciler's first two runs (6 each)
        ("ThrottlingException", 18),
    ],
)
def test_a_need_help_answer_is_recorded_alerted_once_and_resumed_when_send_task_success_fails(
    tmp_path: Path, error: str, times: int
) -> None:
    resume = {"service": "stepfunctions", "operation": "SendTaskSuccess", "match": "need_help"}
    faults = [{**resume, "error": error, "times": times}]
    file = provisional_file(tmp_path / "help.csv", [("SC810001", "Beck House", "Leeds; Bradford")])
    with trial(tmp_path, faults=faults, responses=RESPONSES) as t:
        result = t.run(file)
        cases = by_case(result)
        leeds = cases[f"SC810001-{LEEDS}-20261102"]

        # the council saw its answer recorded (not a 500, not "already answered")
        posts = _posts(t)
        assert [p["statusCode"] for p in posts] == [200, 200]
        assert all("Sorry, there is a problem" not in p["body"] for p in posts)
        assert leeds["status"] == "need_help"
        assert leeds["answered_at"] is not None

        # staff: one need_help work item and exactly one alert
        items = [w for w in result["work_items"] if w["kind"] == "need_help"]
        assert [(w["case_id"], w["state"]) for w in items] == [(leeds["case_id"], "open")]
        alerts = t.alerts(HELP_SUBJECT)
        assert [a["case_id"] for a in alerts] == [leeds["case_id"]]

        # the workflow resumed (from the outbox) long before its reply-by timeout, and sent nothing more
        assert t.fired() == [times]
        assert [e["kind"] for e in leeds["emails"]] == ["initial"]
        execution = t.env.executions()[leeds["execution_name"]]
        assert execution["status"] == "SUCCEEDED"
        answered = _iso(leeds["answered_at"])
        resumed = execution["stopDate"]
        reconciler_runs = (times - 6) // 6 + 1 if times > 6 else 1
        assert t.metric("ReconcilerEffectsDelivered") == 1
        assert t.metric("ReconcilerEffectsFailing") == reconciler_runs - 1
        assert resumed - answered <= timedelta(hours=6 * reconciler_runs)
        assert result["totals"]["still_running"] == 0
        assert t.duplicates() == 0
        assert lost_cases(result, t.work()) == []
        record(
            f"SendTaskSuccess {error} x{times} on a need_help answer",
            injected=times,
            post_status=[p["statusCode"] for p in posts],
            case_status=leeds["status"],
            need_help_items=len(items),
            need_help_alerts=len(alerts),
            resumed_after_hours=round((resumed - answered).total_seconds() / 3600, 2),
            reconciler_runs_to_resume=reconciler_runs,
            cases_lost=0,
            duplicate_emails=t.duplicates(),
        )


def test_an_alert_that_cannot_be_published_is_sent_later_once(tmp_path: Path) -> None:
    """SNS refuses the alert through every attempt of the answer page: the reconciler publishes it, once; the
    workflow resumed at once all the same."""
    faults = [{"service": "sns", "operation": "Publish", "error": "InternalError", "times": 6, "match": "asked"}]
    file = provisional_file(tmp_path / "help.csv", [("SC810001", "Beck House", "Leeds; Bradford")])
    with trial(tmp_path, faults=faults, responses=RESPONSES) as t:
        result = t.run(file)
        leeds = by_case(result)[f"SC810001-{LEEDS}-20261102"]
        assert [p["statusCode"] for p in _posts(t)] == [200, 200]
        assert leeds["status"] == "need_help"
        assert t.fired() == [6]
        alerts = t.alerts(HELP_SUBJECT)
        assert [a["case_id"] for a in alerts] == [leeds["case_id"]]  # published by the reconciler, once
        assert t.metric("ReconcilerEffectsDelivered") == 1
        execution = t.env.executions()[leeds["execution_name"]]
        assert execution["stopDate"] == _iso(leeds["answered_at"])  # resumed at once: only the alert waited
        assert [w["case_id"] for w in result["work_items"] if w["kind"] == "need_help"] == [leeds["case_id"]]
        record(
            "SNS Publish InternalError x6 on a need_help alert",
            injected=6,
            need_help_alerts=len(alerts),
            alert_published_by="reconciler",
            cases_lost=len(lost_cases(result, t.work())),
            duplicate_emails=t.duplicates(),
        )


def _iso(value: str) -> Any:
    from advocacy_notify.domain.clock import parse_iso

    return parse_iso(value)
