"""moto's real Step Functions engine driven by the virtual clock: small state machines, in-process Lambdas."""

from __future__ import annotations

import importlib
import io
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
import types
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest
from advocacy_offline import sfn_time
from advocacy_offline.sfn_time import MotoTargetMissing, check_targets, drive_stepfunctions, jitter_seed
from advocacy_offline.vclock import TwinStalled, VirtualClock

REGION = "eu-west-2"
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
DAY = 86400
HOUR = 3600

Behaviour = Callable[[dict[str, Any]], Any]


class LambdaError(Exception):
    """What a test Lambda raises to fail (its name is the error Step Functions sees)."""


class World:
    """One moto world: Lambdas run in-process (their behaviour is a Python function), and every
    call is recorded with the virtual time it ran at."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.behaviours: dict[str, Behaviour] = {}
        self.calls: list[tuple[datetime, str, str]] = []  # (virtual time, function, execution name)
        self.tokens: dict[str, str] = {}  # execution name -> its current task token
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.lam = boto3.client("lambda", region_name=REGION)
        iam = boto3.client("iam", region_name=REGION)
        self.role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]

    def invoke(self, function_name: str, payload: dict[str, Any]) -> Any:
        self.calls.append((self.clock.now(), function_name, payload.get("execution", "")))
        if "token" in payload:
            self.tokens[payload["execution"]] = payload["token"]
        return self.behaviours[function_name](payload)

    def function(self, name: str, behaviour: Behaviour = lambda payload: {"ok": True}) -> str:
        self.behaviours[name] = behaviour
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("app.py", "def handler(event, context):\n    return event\n")
        created = self.lam.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=self.role,
            Handler="app.handler",
            Code={"ZipFile": code.getvalue()},
        )
        return str(created["FunctionArn"])

    def machine(self, name: str, definition: dict[str, Any]) -> str:
        return str(
            self.sfn.create_state_machine(name=name, roleArn=self.role, definition=json.dumps(definition))[
                "stateMachineArn"
            ]
        )

    def start(self, machine_arn: str, name: str, execution_input: dict[str, Any] | None = None) -> str:
        started = self.sfn.start_execution(
            stateMachineArn=machine_arn, name=name, input=json.dumps(execution_input or {})
        )
        return str(started["executionArn"])

    def send_success(self, execution: str, output: dict[str, Any]) -> Callable[[], None]:
        return lambda: self.sfn.send_task_success(taskToken=self.tokens[execution], output=json.dumps(output))

    def summary(self, execution_arn: str) -> dict[str, Any]:
        described = self.sfn.describe_execution(executionArn=execution_arn)
        events = self.sfn.get_execution_history(executionArn=execution_arn)["events"]
        return {
            "status": described["status"],
            "start": described["startDate"],
            "stop": described.get("stopDate"),
            "history": [(e["type"], e["timestamp"]) for e in events],
        }


@contextmanager
def moto_world(clock: VirtualClock) -> Iterator[World]:
    """mock_aws with the executing Step Functions engine, Lambdas in-process, driven by `clock`."""
    from moto import mock_aws
    from moto.awslambda.models import LambdaFunction

    holder: dict[str, World] = {}

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        payload = json.loads(event) if isinstance(event, str | bytes) else event
        try:
            return json.dumps(holder["world"].invoke(self.function_name, payload)), False, ""
        except LambdaError as exc:
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""

    with ExitStack() as stack:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "t",
            "AWS_SECRET_ACCESS_KEY": "t",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            stack.enter_context(mock.patch.dict(os.environ, {key: value}))
        stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        stack.enter_context(mock.patch.object(LambdaFunction, "_invoke_lambda", _invoke_lambda))
        holder["world"] = World(clock)
        stack.enter_context(drive_stepfunctions(clock))
        yield holder["world"]


def lambda_task(arn: str, *, token: bool = False, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"execution.$": "$$.Execution.Name", **fields}
    if token:
        payload["token.$"] = "$$.Task.Token"
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke" + (".waitForTaskToken" if token else ""),
        "Parameters": {"FunctionName": arn, "Payload": payload},
    }


def failing_first(times: int) -> Behaviour:
    """A Lambda that fails its first `times` calls for each execution, then succeeds."""
    seen: dict[str, int] = {}

    def behaviour(payload: dict[str, Any]) -> dict[str, Any]:
        seen[payload["execution"]] = seen.get(payload["execution"], 0) + 1
        if seen[payload["execution"]] <= times:
            raise LambdaError("not yet")
        return {"ok": True}

    return behaviour


def chase_machine(world: World) -> str:
    """Retry (1 h, backoff 2, five attempts), Wait a day, waitForTaskToken for $.timeout seconds,
    Catch States.Timeout -> Chase."""
    flaky = world.function("flaky", failing_first(3))
    ask = world.function("ask")
    chase = world.function("chase")
    answered = world.function("answered")
    return world.machine(
        "chase",
        {
            "StartAt": "Flaky",
            "States": {
                "Flaky": {
                    **lambda_task(flaky),
                    "Retry": [
                        {"ErrorEquals": ["LambdaError"], "IntervalSeconds": 3600, "MaxAttempts": 5, "BackoffRate": 2}
                    ],
                    "ResultPath": None,
                    "Next": "Rest",
                },
                "Rest": {"Type": "Wait", "Seconds": DAY, "Next": "Ask"},
                "Ask": {
                    **lambda_task(ask, token=True),
                    "TimeoutSecondsPath": "$.timeout",
                    "ResultPath": "$.answer",
                    "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Chase"}],
                    "Next": "Answered",
                },
                "Answered": {**lambda_task(answered), "End": True},
                "Chase": {**lambda_task(chase), "End": True},
            },
        },
    )


def test_timeouts_of_days_retries_of_hours_and_waits_cost_no_real_time() -> None:
    clock = VirtualClock(T0, stall_timeout=30)
    with moto_world(clock) as world:
        arn = world.start(chase_machine(world), "case-1", {"timeout": 5 * DAY})
        started = time.perf_counter()
        clock.run()
        real_seconds = time.perf_counter() - started
        summary = world.summary(arn)

    assert real_seconds < 2.0, f"took {real_seconds:.2f} s of real time"
    asked = T0 + timedelta(hours=1 + 2 + 4) + timedelta(days=1)
    assert world.calls == [
        (T0, "flaky", "case-1"),
        (T0 + timedelta(hours=1), "flaky", "case-1"),  # IntervalSeconds 3600
        (T0 + timedelta(hours=3), "flaky", "case-1"),  # x BackoffRate 2
        (T0 + timedelta(hours=7), "flaky", "case-1"),  # x 2 again: the 4th attempt succeeds
        (asked, "ask", "case-1"),  # after a Wait of one day
        (asked + timedelta(days=5), "chase", "case-1"),  # TimeoutSecondsPath 5 days, caught
    ]
    assert summary["status"] == "SUCCEEDED"
    assert summary["start"] == T0
    assert summary["stop"] == asked + timedelta(days=5)
    history = dict((kind, when) for kind, when in summary["history"])  # the last of each kind
    assert history["WaitStateExited"] == asked
    assert history["TaskTimedOut"] == asked + timedelta(days=5)
    assert all(T0 <= when <= asked + timedelta(days=5) for _, when in summary["history"])


def test_send_task_success_from_a_scheduled_action_resumes_at_that_time() -> None:
    clock = VirtualClock(T0, stall_timeout=30)
    answer_at = datetime(2026, 11, 4, 12, tzinfo=UTC)  # day 2, 12:00
    with moto_world(clock) as world:
        arn = world.start(chase_machine(world), "case-2", {"timeout": 5 * DAY})
        clock.call_at(answer_at, world.send_success("case-2", {"answer": "confirmed"}))
        clock.run()
        summary = world.summary(arn)

    assert world.calls[-1] == (answer_at, "answered", "case-2")
    assert [name for _, name, _ in world.calls].count("chase") == 0
    assert summary["status"] == "SUCCEEDED"
    assert summary["stop"] == answer_at
    assert ("TaskSucceeded", answer_at) in summary["history"]


def many_cases_machine(world: World) -> str:
    """Plan (fails first for some, FULL jitter), ask with a 2-day timeout, chase and ask again once."""

    def plan(payload: dict[str, Any]) -> dict[str, Any]:
        index = int(payload["execution"].split("-")[1])
        if index % 4 == 0 and not any(c[1] == "plan" and c[2] == payload["execution"] for c in world.calls[:-1]):
            raise LambdaError("cold start")
        return {"timeout": 2 * DAY}

    arns = {name: world.function(name) for name in ("ask", "chase", "answered", "unresolved")}
    plan_arn = world.function("plan", plan)
    return world.machine(
        "many",
        {
            "StartAt": "Plan",
            "States": {
                "Plan": {
                    **lambda_task(plan_arn),
                    "ResultSelector": {"timeout.$": "$.Payload.timeout"},
                    "ResultPath": "$.plan",
                    "Retry": [
                        {
                            "ErrorEquals": ["LambdaError"],
                            "IntervalSeconds": 600,
                            "MaxAttempts": 3,
                            "JitterStrategy": "FULL",
                        }
                    ],
                    "Next": "Ask",
                },
                "Ask": {
                    **lambda_task(arns["ask"], token=True),
                    "TimeoutSecondsPath": "$.plan.timeout",
                    "ResultPath": "$.answer",
                    "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Chase"}],
                    "Next": "Answered",
                },
                "Chase": {**lambda_task(arns["chase"]), "ResultPath": None, "Next": "AskAgain"},
                "AskAgain": {
                    **lambda_task(arns["ask"], token=True),
                    "TimeoutSecondsPath": "$.plan.timeout",
                    "ResultPath": "$.answer",
                    "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Unresolved"}],
                    "Next": "Answered",
                },
                "Answered": {**lambda_task(arns["answered"]), "End": True},
                "Unresolved": {**lambda_task(arns["unresolved"]), "End": True},
            },
        },
    )


def run_many_cases(cases: int = 20) -> tuple[dict[str, Any], float, float]:
    """20 executions at once, timers at shared instants, answers at shared instants: the full trace."""
    clock = VirtualClock(T0, stall_timeout=60)
    with moto_world(clock) as world:
        machine = many_cases_machine(world)
        arns = {f"case-{i:02d}": world.start(machine, f"case-{i:02d}") for i in range(cases)}
        day1_noon = T0.replace(hour=12) + timedelta(days=1)
        for name in arns:
            index = int(name.split("-")[1])
            if index % 3 == 0:  # answers the first email
                clock.call_at(day1_noon, world.send_success(name, {"answer": "confirmed"}))
            elif index % 3 == 1:  # answers after the chase, at the same instant as the others
                clock.call_at(day1_noon + timedelta(days=2), world.send_success(name, {"answer": "late"}))
        started, cpu_started = time.perf_counter(), time.process_time()
        clock.run()
        real_seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        trace = {
            "calls": world.calls,
            "executions": {name: world.summary(arn) for name, arn in arns.items()},
            "now": clock.now(),
            "activities": clock.activities,
        }
    return trace, real_seconds, cpu


@contextmanager
def every_core_busy() -> Iterator[list[subprocess.Popen[bytes]]]:
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(max(os.cpu_count() or 1, 2) + 1)
    ]
    try:
        time.sleep(0.3)  # let them get going
        yield burners
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def to_millis(when: datetime) -> datetime:
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def test_twenty_executions_give_identical_traces_idle_and_with_every_core_busy(record_property: Any) -> None:
    idle, idle_seconds, idle_cpu = run_many_cases()
    with every_core_busy() as burners:
        before = sum(cpu_seconds(b.pid) for b in burners)
        loaded, loaded_seconds, loaded_cpu = run_many_cases()
        burned = sum(cpu_seconds(b.pid) for b in burners) - before
    record_property("scenario3_idle_seconds", round(idle_seconds, 3))
    record_property("scenario3_loaded_seconds", round(loaded_seconds, 3))
    print(
        f"\nscenario 3 (20 executions, pace 0): idle {idle_seconds:.2f} s (process CPU {idle_cpu:.2f} s), "
        f"every core busy {loaded_seconds:.2f} s (process CPU {loaded_cpu:.2f} s)"
    )

    assert burned > 0.2 * loaded_seconds, f"the load was not real: {burned:.2f} CPU s in {loaded_seconds:.2f} s"
    assert loaded == idle
    # and the trace is the one the ASL and the script say
    executions = idle["executions"]
    assert {e["status"] for e in executions.values()} == {"SUCCEEDED"}
    day1_noon = T0.replace(hour=12) + timedelta(days=1)
    for name, summary in executions.items():
        index = int(name.split("-")[1])
        last_call = [c for c in idle["calls"] if c[2] == name][-1]
        first_ask = next(when for when, fn, who in idle["calls"] if fn == "ask" and who == name)
        if index % 3 == 0:
            assert last_call == (day1_noon, "answered", name)
        elif index % 3 == 1:
            assert last_call == (day1_noon + timedelta(days=2), "answered", name)
        else:
            assert last_call == (first_ask + timedelta(days=4), "unresolved", name)
        assert summary["stop"] == to_millis(last_call[0])  # moto keeps milliseconds
        assert (first_ask == T0) == (index % 4 != 0)  # a cold start retries within 10 minutes
        assert first_ask < T0 + timedelta(minutes=10)
    shared = [when for when, fn, _ in idle["calls"] if fn == "chase"]
    assert len(shared) > len(set(shared))  # timers really did fall at the same instants


def test_full_jitter_retries_wait_the_same_seeded_intervals_in_every_run() -> None:
    def run(name: str) -> list[datetime]:
        clock = VirtualClock(T0, stall_timeout=30)
        with moto_world(clock) as world:
            flaky = world.function("flaky", failing_first(4))
            machine = world.machine(
                "jitter",
                {
                    "StartAt": "Flaky",
                    "States": {
                        "Flaky": {
                            **lambda_task(flaky),
                            "Retry": [
                                {
                                    "ErrorEquals": ["LambdaError"],
                                    "IntervalSeconds": 600,
                                    "MaxAttempts": 5,
                                    "BackoffRate": 2,
                                    "JitterStrategy": "FULL",
                                }
                            ],
                            "End": True,
                        }
                    },
                },
            )
            world.start(machine, name)
            with mock.patch.object(random, "uniform", side_effect=AssertionError("global random used")):
                clock.run()
            return [when for when, _, _ in world.calls]

    first, second, other = run("case-j"), run("case-j"), run("case-k")
    assert first == second
    assert len(first) == 5
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(first)]
    nominal = [600 * 2**k for k in range(4)]
    expected = [random.Random(jitter_seed("case-j", "Flaky", k)).uniform(0, nominal[k]) for k in range(4)]
    assert gaps == pytest.approx(expected, abs=1e-5)
    assert all(0 <= gap <= cap for gap, cap in zip(gaps, nominal, strict=True))
    assert gaps != nominal
    assert other != first  # another execution draws other intervals


def test_a_lambda_blocked_on_a_real_primitive_raises_twin_stalled() -> None:
    clock = VirtualClock(T0, stall_timeout=1.0)
    real = threading.Event()

    def blocked_on_a_real_event(payload: dict[str, Any]) -> dict[str, Any]:
        real.wait(60)
        return {"ok": True}

    with moto_world(clock) as world:
        blocked = world.function("blocked", blocked_on_a_real_event)
        world.start(
            world.machine("stall", {"StartAt": "B", "States": {"B": {**lambda_task(blocked), "End": True}}}), "s"
        )
        started = time.monotonic()
        try:
            with pytest.raises(TwinStalled) as raised:
                clock.run()
        finally:
            real.set()
        assert time.monotonic() - started < 10
    assert "blocked_on_a_real_event" in raised.value.dump
    assert ": RUNNING" in raised.value.dump


def test_pacing_changes_nothing_but_the_real_time_taken() -> None:
    def run(pace: float) -> tuple[list[tuple[datetime, str, str]], dict[str, Any], float]:
        clock = VirtualClock(T0, pace_seconds_per_day=pace, stall_timeout=30)
        with moto_world(clock) as world:
            arn = world.start(chase_machine(world), "case-p", {"timeout": 2 * DAY})
            clock.call_at(T0 + timedelta(days=1, hours=12), world.send_success("case-p", {"answer": "no"}))
            started = time.perf_counter()
            clock.run()
            return world.calls, world.summary(arn), time.perf_counter() - started

    fast_calls, fast_summary, _ = run(0.0)
    paced_calls, paced_summary, paced_seconds = run(0.1)
    assert paced_calls == fast_calls
    assert paced_summary == fast_summary
    span_days = (fast_summary["stop"] - T0).total_seconds() / DAY
    assert paced_seconds >= 0.1 * span_days * 0.99


def test_following_real_time_lets_an_outside_thread_answer() -> None:
    clock = VirtualClock(T0, stall_timeout=30)
    with moto_world(clock) as world:
        ask = world.function("ask")
        machine = world.machine(
            "follow",
            {
                "StartAt": "Rest",
                "States": {
                    "Rest": {"Type": "Wait", "Seconds": HOUR, "Next": "Ask"},
                    "Ask": {**lambda_task(ask, token=True), "TimeoutSeconds": 30 * DAY, "End": True},
                },
            },
        )
        arn = world.start(machine, "case-f")
        with clock.following_real_time(day_seconds=2.4):  # an hour lasts 0.1 s
            deadline = time.monotonic() + 10
            while "case-f" not in world.tokens and time.monotonic() < deadline:
                time.sleep(0.02)
            answer = threading.Thread(target=world.send_success("case-f", {"answer": "yes"}))  # an HTTP thread
            answer.start()
            answer.join()
            while world.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                assert time.monotonic() < deadline, "the answer did not resume the execution"
                time.sleep(0.02)
        summary = world.summary(arn)
    assert summary["status"] == "SUCCEEDED"
    history = dict(summary["history"])
    waited = history["WaitStateExited"] - history["WaitStateEntered"]
    assert timedelta(hours=1) <= waited < timedelta(hours=2)


def test_parallel_map_timestamp_waits_heartbeats_and_stop_run_on_virtual_time() -> None:
    clock = VirtualClock(T0, stall_timeout=30)
    stop_at = T0 + timedelta(days=2)
    with moto_world(clock) as world:
        ask = world.function("ask")
        wait = {"Type": "Wait", "End": True}
        machine = world.machine(
            "shapes",
            {
                "StartAt": "Both",
                "States": {
                    "Both": {
                        "Type": "Parallel",
                        "Branches": [
                            {"StartAt": "A", "States": {"A": {**wait, "Seconds": HOUR}}},
                            {"StartAt": "B", "States": {"B": {**wait, "Seconds": 2 * HOUR}}},
                        ],
                        "ResultPath": None,
                        "Next": "Each",
                    },
                    "Each": {
                        "Type": "Map",
                        "ItemsPath": "$.items",
                        "Iterator": {"StartAt": "W", "States": {"W": {**wait, "SecondsPath": "$"}}},
                        "ResultPath": None,
                        "Next": "Midnight",
                    },
                    "Midnight": {"Type": "Wait", "Timestamp": "2026-11-03T00:00:00Z", "Next": "Ask"},
                    "Ask": {
                        **lambda_task(ask, token=True),
                        "HeartbeatSeconds": HOUR,
                        "TimeoutSeconds": DAY,
                        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Long"}],
                        "End": True,
                    },
                    "Long": {**wait, "Seconds": 10 * DAY},
                },
            },
        )
        arn = world.start(machine, "shapes-1", {"items": [60, 120, 30]})
        clock.call_at(stop_at, lambda: world.sfn.stop_execution(executionArn=arn, error="Stopped", cause="test"))
        clock.run()
        summary = world.summary(arn)

    def times(kind: str) -> list[datetime]:
        return [when for k, when in summary["history"] if k == kind]

    two_hours = T0 + timedelta(hours=2)
    assert times("ParallelStateExited") == [two_hours]  # the longer branch
    assert sorted(times("MapIterationSucceeded")) == [two_hours + timedelta(seconds=s) for s in (30, 60, 120)]
    midnight = datetime(2026, 11, 3, tzinfo=UTC)
    assert world.calls == [(midnight, "ask", "shapes-1")]
    assert times("TaskTimedOut") == [midnight + timedelta(hours=1)]  # the heartbeat, not the day
    assert summary["status"] == "ABORTED"
    assert summary["stop"] == stop_at  # StopExecution interrupts the ten-day Wait at once
    assert clock.next_due() is None


def test_every_patched_moto_attribute_still_exists() -> None:
    assert check_targets() == []


def test_a_missing_target_fails_at_patch_time_naming_it_and_patches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    retrier = importlib.import_module("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl")
    utils = importlib.import_module("moto.stepfunctions.parser.utils")
    original_threads = utils.TMP_THREADS
    monkeypatch.delattr(retrier, "time")
    with pytest.raises(MotoTargetMissing, match=r"retrier_decl\.time is gone"), drive_stepfunctions(VirtualClock(T0)):
        pass
    assert utils.TMP_THREADS is original_threads
    assert any("retrier_decl.time" in message for message in check_targets())


def test_patches_are_undone_on_exit_and_cannot_be_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = importlib.import_module("moto.stepfunctions.parser.asl.eval.environment")
    utils = importlib.import_module("moto.stepfunctions.parser.utils")
    original_threads = utils.TMP_THREADS
    with drive_stepfunctions(VirtualClock(T0)):
        assert environment.threading is not threading
        assert utils.TMP_THREADS is not original_threads
        with pytest.raises(RuntimeError, match="already active"), drive_stepfunctions(VirtualClock(T0)):
            pass
        late = types.ModuleType(f"{sfn_time.PARSER}.imported_late")  # an engine module imported mid-block
        exec(f"from {sfn_time.PARSER}.utils import TMP_THREADS", late.__dict__)
        monkeypatch.setitem(sys.modules, late.__name__, late)
        assert late.TMP_THREADS is not original_threads
    assert environment.threading is threading
    assert utils.TMP_THREADS is original_threads
    assert late.TMP_THREADS is original_threads
    assert all(target.qualified.startswith(sfn_time.PARSER) for target in sfn_time.TARGETS)


def test_after_the_block_moto_runs_on_real_time_again() -> None:
    from moto import mock_aws

    clock = VirtualClock(T0)
    with moto_world(clock) as world:
        world.start(world.machine("before", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}), "v")
        clock.run()
    credentials = {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
    with (
        mock.patch.dict(os.environ, credentials),
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
    ):
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machine = sfn.create_state_machine(
            name="after",
            roleArn="arn:aws:iam::123456789012:role/sfn",
            definition=json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}),
        )["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="real")["executionArn"]
        deadline = time.monotonic() + 20
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            assert time.monotonic() < deadline, "moto's engine did not finish on its own"
            time.sleep(0.05)
        events = sfn.get_execution_history(executionArn=arn)["events"]
    assert events[-1]["type"] == "ExecutionSucceeded"
    assert abs((events[-1]["timestamp"] - datetime.now(UTC)).total_seconds()) < 60  # real time, not 2026-11-02
