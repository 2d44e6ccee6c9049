"""Issue 9's strict rule at real scale: the wait for an answer is a whole number of seconds.

A real case runs through the real state machine under the strict twin (real timers: working days of
seconds). Every value AwaitAnswer's TimeoutSecondsPath reads is a positive `int`, and ends the wait at
the stage's chase time; a send_email result carrying the same wait as a float (`2579004.0`, the bug of
issue 9) fails the execution with States.Runtime, as AWS does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from advocacy_notify.domain.schedule import Timers, plan_stage

from tests.conftest import provisional_csv

START = date(2026, 11, 24)


def _history(env: Any, name: str) -> list[dict[str, Any]]:
    sfn = env.client("stepfunctions")
    arn = env.executions()[name]["executionArn"]
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        events.extend(page["events"])
    return events


def _await_answer_timeouts(env: Any, name: str) -> list[Any]:
    """What AwaitAnswer's TimeoutSecondsPath ($.sent.timeout_seconds) read, each time the state was entered,
    as the JSON the execution carried (so 2579004.0 stays a float)."""
    out = []
    for event in _history(env, name):
        details = event.get("stateEnteredEventDetails") or {}
        if event["type"] == "TaskStateEntered" and details.get("name") == "AwaitAnswer":
            out.append(json.loads(details["input"])["sent"]["timeout_seconds"])
    return out


def _sends(env: Any, name: str) -> list[dict[str, Any]]:
    """SendStageEmail's selected results ($.sent), in order."""
    out = []
    for event in _history(env, name):
        details = event.get("stateExitedEventDetails") or {}
        if event["type"] == "TaskStateExited" and details.get("name") == "SendStageEmail":
            sent = json.loads(details["output"]).get("sent")
            if sent and sent.get("action") == "sent":
                out.append(sent)
    return out


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from advocacy_offline.env import OfflineEnv

    tmp = tmp_path_factory.mktemp("timeouts")
    with OfflineEnv(start=START, log_path=tmp / "lambda.log") as env:
        yield env, tmp


def _run_one_case(env: Any, src: Path) -> str:
    """Upload a one-case file and run it to its end; the case's execution name."""
    before = set(env.executions())
    env.upload(src)
    env.settle(done=lambda: set(env.executions()) != before and not env.running())
    (name,) = set(env.executions()) - before
    return str(name)


def test_every_wait_for_an_answer_is_a_positive_whole_number_of_seconds(twin: Any) -> None:
    env, tmp = twin
    name = _run_one_case(env, provisional_csv(tmp / "silent.csv", [("SC900001", "Strict House", "Calderdale")]))
    assert env.executions()[name]["status"] == "SUCCEEDED"
    timeouts = _await_answer_timeouts(env, name)
    assert len(timeouts) == 4  # the first email, two reminders, the escalation: silence at each
    assert all(type(t) is int and t > 0 for t in timeouts), timeouts
    sends = _sends(env, name)
    assert [s["stage"] for s in sends] == [0, 1, 2, 3]
    assert [s["timeout_seconds"] for s in sends] == timeouts
    # real scale: each wait ends at its stage's chase time, 09:00 UK on a working day, days away
    first_sent = date.fromisoformat(sends[0]["first_sent"])
    with env.reading() as services:
        history = services.cases.history(f"SC900001-{_gss(env, name)}-20261102")
    assert history is not None
    sent_at = {e.stage: e.sent_at for e in history.emails}
    for send, timeout in zip(sends, timeouts, strict=True):
        fires_at = plan_stage(send["stage"], first_sent, Timers()).fires_at
        assert timeout >= 5 * 86400 - 3600  # at least five working days' wait, in seconds (less the 09:00 start)
        assert abs(sent_at[send["stage"]] + timedelta(seconds=timeout) - fires_at) < timedelta(seconds=2)


def _gss(env: Any, name: str) -> str:
    """The case's GSS code, from its execution's input."""
    sfn = env.client("stepfunctions")
    described = sfn.describe_execution(executionArn=env.executions()[name]["executionArn"])
    return str(json.loads(described["input"])["case"]["case_id"].split("-")[1])


def test_the_strict_twin_refuses_a_float_wait(twin: Any) -> None:
    from advocacy_offline import lambdas

    env, tmp = twin
    real_load = lambdas.load_handler

    def as_float(handler: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(event: Any, context: Any) -> Any:
            result = handler(event, context)
            return {**result, "timeout_seconds": float(result["timeout_seconds"])}

        return wrapped

    def load(folder: str) -> Any:
        handler = real_load(folder)
        return as_float(handler) if folder == "send_email" else handler

    with mock.patch.object(lambdas, "load_handler", side_effect=load):
        name = _run_one_case(env, provisional_csv(tmp / "float.csv", [("SC900002", "Float House", "Barnsley")]))
    execution = env.executions()[name]
    assert execution["status"] == "FAILED"
    sfn = env.client("stepfunctions")
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert described["error"] == "States.Runtime"
    assert "TimeoutSecondsPath" in described["cause"]
    (sent,) = _sends(env, name)  # the first email went; the wait for its answer never started
    assert isinstance(sent["timeout_seconds"], float)
    assert sent["timeout_seconds"].is_integer()
    assert f"{sent['timeout_seconds']!r}" in described["cause"]
