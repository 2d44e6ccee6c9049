"""Every path of the case state machine, through moto's real ASL interpreter, in one scripted run.

One home, six placing authorities, each taking a different path. Expectations are derived from
the working-day rules (domain.cases.plan_stage) and the day each case's first email went out.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from advocacy_notify.domain.cases import Timers, plan_stage

from tests.conftest import provisional_csv

START = date(2026, 11, 24)
SCRIPT = {
    "Leeds": {"respond_on_day": 1, "answer": "confirmed"},  # before any reminder
    "Bradford": {"respond_on_day": 10, "answer": "referrals_in_progress"},  # after one reminder
    "Wakefield": {"respond_on_day": 27, "answer": "need_help"},  # after the escalation
    "Kirklees": {"bounce": True},  # the first email bounces
    # Calderdale never answers: unresolved
    "Barnsley": {"respond_on_day": 0, "answer": "no_children_placed"},  # at once
}
LAS = "Leeds; Bradford City Council; Wakefield Council; Kirklees; Calderdale; Barnsley MBC"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from advocacy_offline.env import OfflineEnv
    from advocacy_offline.run import Runner, RunOptions, load_responses

    tmp = tmp_path_factory.mktemp("paths")
    src = provisional_csv(tmp / "prov.csv", [("SC300001", "Paths House", LAS)])
    responses_file = tmp / "responses.json"
    responses_file.write_text(json.dumps(SCRIPT))
    with OfflineEnv(day_seconds=0.25, start=START, log_path=tmp / "lambda.log") as env:
        runner = Runner(env, load_responses(responses_file), RunOptions(day_seconds=0.25, start=START))
        result = runner.run([src])
        yield {"result": result, "env": env, "by_la": {c["la_name"]: c for c in result["cases"]}, "tmp": tmp}


def expected(case: dict[str, Any], respond_on_day: int | None) -> tuple[list[str], bool]:
    """The emails the rules say this case gets, and whether the answer lands before the final deadline."""
    first = date.fromisoformat(case["first_sent"])
    fires = [plan_stage(s, first, Timers()).fires_at for s in range(4)]
    if respond_on_day is None:
        return ["initial", "reminder", "reminder", "escalation"], False
    due = datetime(first.year, first.month, first.day, 12 if respond_on_day else 0, tzinfo=UTC) + timedelta(
        days=respond_on_day
    )
    kinds = ["initial"] + [
        k for k, f in zip(["reminder", "reminder", "escalation"], fires[:3], strict=True) if f <= due
    ]
    return kinds, due < fires[3]


def test_six_cases_one_per_authority(run: Any) -> None:
    assert sorted(run["by_la"]) == ["Barnsley", "Bradford", "Calderdale", "Kirklees", "Leeds", "Wakefield"]
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
    kinds, in_time = expected(case, SCRIPT[la]["respond_on_day"])
    assert in_time
    assert case["status"] == answer
    assert [e["kind"] for e in case["emails"]] == kinds
    assert [e["kind"] for e in case["emails"]].count("reminder") == reminders
    assert case["answered_at"] is not None


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
    kinds = {w["kind"] for w in run["result"]["staff_work_items"]["work_items"] if w.get("case_id") == case["case_id"]}
    assert "unresolved" in kinds


def test_a_bounce_never_looks_like_silence(run: Any) -> None:
    case = run["by_la"]["Kirklees"]
    assert case["status"] == "delivery_failed"
    assert [e["kind"] for e in case["emails"]] == ["initial"]  # no reminders to a dead address
    items = [w for w in run["result"]["staff_work_items"]["work_items"] if w.get("case_id") == case["case_id"]]
    assert [w["kind"] for w in items] == ["delivery_failed"]


def test_need_help_alerts_staff(run: Any) -> None:
    case = run["by_la"]["Wakefield"]
    kinds = [w["kind"] for w in run["result"]["staff_work_items"]["work_items"] if w.get("case_id") == case["case_id"]]
    assert kinds == ["need_help"]


def test_every_execution_ended_and_nothing_is_left_in_the_queues(run: Any) -> None:
    env = run["env"]
    statuses = {e["status"] for e in env.executions().values()}
    assert statuses == {"SUCCEEDED"}
    assert len(env.executions()) == 6
    assert env.queue_depths() == (0, 0)


def test_answers_are_stored_with_who_answered(run: Any) -> None:
    from advocacy_notify.adapters import dynamodb as ddb

    env = run["env"]
    case = run["by_la"]["Leeds"]
    answers = ddb.query(env.stack.outputs["AnswersTableName"], "case_id", case["case_id"], sort_key="answered_at")
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
