"""Every path of the case state machine, through moto's real ASL interpreter, in one scripted run.

One home, seven placing authorities, each taking a different path. Expectations are derived from
the working-day rules (domain.schedule.plan_stage: chases at 09:00 UK time on a working day) and the
time each case's first email went out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from advocacy_notify.domain.clock import is_working_day, parse_iso, uk_date, uk_time
from advocacy_notify.domain.schedule import Timers, plan_stage

from tests.conftest import expected_emails, provisional_csv

START = date(2026, 11, 24)
SCRIPT: dict[str, dict[str, Any]] = {
    "Leeds": {"respond_on_day": 1, "answer": "confirmed"},  # before any reminder
    "Bradford": {"respond_on_day": 10, "answer": "referrals_in_progress"},  # after one reminder
    "Wakefield": {"respond_on_day": 27, "answer": "need_help"},  # after the escalation
    "Kirklees": {"bounce": True},  # the first email bounces at every address (true: permanent)
    # Calderdale never answers: unresolved
    "Barnsley": {"respond_on_day": 0, "answer": "no_children_placed"},  # at once
    # Sheffield never answers, and one of its two addresses is dead (see `one_dead_address`)
}
LAS = "Leeds; Bradford City Council; Wakefield Council; Kirklees; Calderdale; Barnsley MBC; Sheffield"
DEAD = "advocacy.lead@sheffield.example"
PACING = timedelta(minutes=1)  # sends are paced under SES's rate: a chase goes out within this of 09:00


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from advocacy_offline.env import OfflineEnv
    from advocacy_offline.run import Runner, RunOptions, load_responses

    tmp = tmp_path_factory.mktemp("paths")
    src = provisional_csv(tmp / "prov.csv", [("SC300001", "Paths House", LAS)])
    responses_file = tmp / "responses.json"
    responses_file.write_text(json.dumps(SCRIPT))
    with OfflineEnv(start=START, log_path=tmp / "lambda.log") as env:
        runner = Runner(env, load_responses(responses_file), RunOptions(start=START))
        scripted = runner.ses.fate

        def one_dead_address(case_id: str, recipient: str, stage: int, kind: str) -> str:
            """What SES reports: the script's fates, and Sheffield's advocacy lead bouncing for good."""
            return "permanent" if recipient == DEAD else scripted(case_id, recipient, stage, kind)

        runner.ses.fate = one_dead_address
        result = runner.run([src])
        yield {"result": result, "env": env, "by_la": {c["la_name"]: c for c in result["cases"]}, "tmp": tmp}


def _items(run: dict[str, Any], case: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in run["result"]["work_items"] if w.get("case_id") == case["case_id"]]


def test_seven_cases_one_per_authority(run: Any) -> None:
    assert sorted(run["by_la"]) == [
        "Barnsley",
        "Bradford",
        "Calderdale",
        "Kirklees",
        "Leeds",
        "Sheffield",
        "Wakefield",
    ]
    assert all(c["urn"] == "SC300001" for c in run["result"]["cases"])
    assert {c["case_id"] for c in run["result"]["cases"]} == {
        f"SC300001-{c['gss_code']}-20261102" for c in run["result"]["cases"]
    }


@pytest.mark.parametrize(
    ("la", "answer", "reminders"),
    [
        ("Barnsley", "no_children_placed", 0),
        ("Leeds", "confirmed", 0),
        ("Bradford", "referrals_in_progress", 1),
        ("Wakefield", "need_help", 2),
    ],
)
def test_answered_paths(run: Any, la: str, answer: str, reminders: int) -> None:
    case = run["by_la"][la]
    kinds, in_time = expected_emails(case, SCRIPT[la]["respond_on_day"])
    assert in_time
    assert case["status"] == answer
    assert [e["kind"] for e in case["emails"]] == kinds
    assert [e["kind"] for e in case["emails"]].count("reminder") == reminders
    assert case["answered_at"] is not None


def test_chases_go_at_nine_uk_time_on_working_days(run: Any) -> None:
    """The first email goes at once; each later one at 09:00 UK time on the working day after the previous
    stage's reply-by date (issue 11), within the minute SES's pacing takes."""
    chased = 0
    for case in run["result"]["cases"]:
        first = date.fromisoformat(case["first_sent"])
        assert case["emails"][0]["kind"] == "initial"
        assert uk_date(parse_iso(case["emails"][0]["sent_at"])) == first == START
        for email in case["emails"][1:]:
            sent = parse_iso(email["sent_at"])
            due = plan_stage(email["stage"] - 1, first, Timers()).fires_at
            assert due <= sent < due + PACING, (case["la_name"], email["kind"], email["sent_at"])
            assert is_working_day(uk_date(sent))
            assert uk_time(uk_date(sent), 9) <= sent < uk_time(uk_date(sent), 9) + PACING
            chased += 1
    assert chased == 3 + 3 + 3 + 1  # Wakefield, Calderdale and Sheffield: 2 reminders and an escalation; Bradford: 1


def test_escalation_then_answer_went_to_the_senior_contact_and_help_at_hand(run: Any) -> None:
    case = run["by_la"]["Wakefield"]
    escalation = [e for e in case["emails"] if e["kind"] == "escalation"]
    assert len(escalation) == 1
    assert escalation[0]["to"] == [
        "director.childrens.services@wakefield.example",
        "help.at.hand@childrenscommissioner.example",
    ]
    assert case["escalated"] is True


def test_silence_is_chased_escalated_then_unresolved(run: Any) -> None:
    case = run["by_la"]["Calderdale"]
    assert case["status"] == "unresolved"
    assert [e["kind"] for e in case["emails"]] == ["initial", "reminder", "reminder", "escalation"]
    assert case["emails"][0]["to"] == [
        "advocacy.lead@calderdale.example",
        "childrens.services@calderdale.example",
    ]
    kinds = {w["kind"] for w in _items(run, case)}
    assert "unresolved" in kinds


def test_a_bounce_never_looks_like_silence(run: Any) -> None:
    """Every address of the authority bounced for good: no recipient can be reached, so the case waits for
    staff (delivery_failed) with no reminders to dead addresses; each dead address is a contact to fix."""
    case = run["by_la"]["Kirklees"]
    assert case["status"] == "delivery_failed"
    assert [e["kind"] for e in case["emails"]] == ["initial"]  # no reminders to a dead address
    assert set(case["emails"][0]["delivery"].values()) == {"permanent-failure"}
    items = sorted((w["kind"], w.get("role")) for w in _items(run, case))
    assert items == [
        ("delivery_failed", None),
        ("fix_contact", "advocacy_lead"),
        ("fix_contact", "childrens_services"),
    ]


def test_one_dead_address_of_two_raises_a_contact_to_fix_and_the_chase_goes_on(run: Any) -> None:
    """Issue 11: one bounced address among two is a "fix this contact" work item, never a closed case: the
    other address is still chased, escalated, and the case ends as silence does."""
    case = run["by_la"]["Sheffield"]
    assert case["status"] == "unresolved"
    assert [e["kind"] for e in case["emails"]] == ["initial", "reminder", "reminder", "escalation"]
    assert case["emails"][0]["delivery"] == {
        DEAD: "permanent-failure",
        "childrens.services@sheffield.example": "delivered",
    }
    for reminder in case["emails"][1:3]:
        assert reminder["delivery"]["childrens.services@sheffield.example"] == "delivered"
    items = sorted((w["kind"], w.get("role")) for w in _items(run, case))
    assert items == [("fix_contact", "advocacy_lead"), ("unresolved", None)]


def test_need_help_alerts_staff(run: Any) -> None:
    case = run["by_la"]["Wakefield"]
    kinds = [w["kind"] for w in _items(run, case)]
    assert kinds == ["need_help"]


def test_every_execution_ended_and_nothing_is_left_in_the_queues(run: Any) -> None:
    env = run["env"]
    statuses = {e["status"] for e in env.executions().values()}
    assert statuses == {"SUCCEEDED"}
    assert len(env.executions()) == 7
    assert env.queue_depths() == (0, 0)


def test_answers_are_stored_with_who_answered(run: Any) -> None:
    env = run["env"]
    case = run["by_la"]["Leeds"]
    with env.reading() as services:
        answers = services.answers.for_case(case["case_id"])
    assert len(answers) == 1
    assert answers[0]["answer"] == "confirmed"
    assert answers[0]["responder_role"] == "Advocacy lead"
    assert answers[0]["reminders_before_answer"] == 0


def test_emails_match_ses_exactly_once_per_stage(run: Any) -> None:
    env = run["env"]
    sent = env.sent_emails()
    total = sum(len(c["emails"]) for c in run["result"]["cases"])
    assert len(sent) == total
    stages = [(c["case_id"], e["stage"]) for c in run["result"]["cases"] for e in c["emails"]]
    assert len(stages) == len(set(stages))


def test_logs_carry_no_email_addresses_or_names(run: Any) -> None:
    text = (run["tmp"] / "lambda.log").read_text()
    assert "case_id" in text  # the log is really there
    assert "@" not in text.replace('"@', "")  # no address (EMF has no "@" either)
    assert "Paths House" not in text
    assert "Scripted responder" not in text
