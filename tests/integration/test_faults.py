"""Injected faults: every case reaches a correct state, none is lost, no email is sent twice.

Each test injects a fault a known number of times (see docs/reliability.md) and counts cases and
emails afterwards. Faults are injected through botocore event hooks or by making moto raise.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from tests.conftest import provisional_csv, wait_until

pytestmark = pytest.mark.slow

HOMES = [("SC800001", "Fault House", "Leeds; Bradford; Wakefield"), ("SC800002", "REDACTED", "Kirklees; Calderdale")]
N = 5


def _cases(env: Any) -> list[dict[str, Any]]:
    from advocacy_notify.adapters import repository as repo
    from advocacy_offline.lambdas import INVOKE_LOCK

    with INVOKE_LOCK.urgent():
        return repo.all_cases(env.stack.outputs["CasesTableName"])


def _emails_by_case(env: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in env.sent_emails():
        cid = m.raw_data.split("X-Advocacy-Case-Id: ")[1].split("\r\n")[0]
        counts[cid] = counts.get(cid, 0) + 1
    return counts


def _settle(env: Any, expected: dict[str, str] | None = None, n: int = N, timeout: float = 60) -> list[dict[str, Any]]:
    """Wait until all n cases left 'queued'; check none lost and none emailed twice."""

    def done() -> bool:
        cases = _cases(env)
        return len(cases) == n and all(c["status"] != "queued" for c in cases)

    wait_until(done, timeout=timeout, interval=0.2)
    cases = _cases(env)
    assert len(cases) == n, "a case was lost"
    emails = _emails_by_case(env)
    assert all(v == 1 for v in emails.values()), f"duplicate emails: {emails}"
    for c in cases:
        want = (expected or {}).get(c["la_name"], "awaiting_response")
        assert c["status"] == want, (c["la_name"], c["status"])
    return cases


def _start(env: Any, tmp_path: Path) -> None:
    env.start_clock()
    env.upload(provisional_csv(tmp_path / "f.csv", HOMES))


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "SendEmail"
    )


def test_ses_throttling_is_retried_with_backoff(offline_env: Any, tmp_path: Path) -> None:
    from advocacy_notify.adapters.aws import client

    injected = {"n": 0}

    def throttle(**_: Any) -> None:
        if injected["n"] < 3:
            injected["n"] += 1
            raise _client_error("TooManyRequestsException", 429)

    with offline_env(day_seconds=86400, start=date(2026, 11, 24)) as env:
        ses = client("sesv2")
        ses.meta.events.register("before-call.sesv2.SendEmail", throttle)
        try:
            _start(env, tmp_path)
            _settle(env)
        finally:
            ses.meta.events.unregister("before-call.sesv2.SendEmail", throttle)
        assert injected["n"] == 3
        assert len(env.sent_emails()) == N


def test_a_permanent_ses_rejection_marks_the_case_undeliverable(offline_env: Any, tmp_path: Path) -> None:
    from advocacy_notify.adapters.aws import client

    injected = {"n": 0}

    def reject(params: dict[str, Any], **_: Any) -> None:
        if any("leeds" in a for a in params["Destination"]["ToAddresses"]):
            injected["n"] += 1
            raise _client_error("MessageRejected")

    with offline_env(day_seconds=86400, start=date(2026, 11, 24)) as env:
        ses = client("sesv2")
        ses.meta.events.register("before-parameter-build.sesv2.SendEmail", reject)
        try:
            _start(env, tmp_path)
            cases = _settle(env, {"Leeds": "delivery_failed"})
        finally:
            ses.meta.events.unregister("before-parameter-build.sesv2.SendEmail", reject)
        assert injected["n"] == 1  # not retried: rejection is permanent
        assert len(env.sent_emails()) == N - 1
        leeds = next(c for c in cases if c["la_name"] == "Leeds")
        assert "delivery_failed" in {w["kind"] for w in _work(env) if w.get("case_id") == leeds["case_id"]}


def _work(env: Any) -> list[dict[str, Any]]:
    from advocacy_notify.adapters import repository as repo

    return repo.work_items(env.stack.outputs["WorkTableName"])


def test_dynamodb_throughput_exceeded_is_retried(offline_env: Any, tmp_path: Path) -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.models import DynamoDBBackend

    class Throughput(JsonRESTError):
        def __init__(self) -> None:
            super().__init__(
                "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "injected: rate of requests exceeds the allowed throughput",
            )

    real = DynamoDBBackend.update_item
    injected = {"n": 0}

    def flaky(self: Any, *args: Any, **kwargs: Any) -> Any:
        if injected["n"] < 4:
            injected["n"] += 1
            raise Throughput()
        return real(self, *args, **kwargs)

    with (
        offline_env(day_seconds=86400, start=date(2026, 11, 24)) as env,
        mock.patch.object(DynamoDBBackend, "update_item", flaky),
    ):
        _start(env, tmp_path)
        _settle(env)
        assert injected["n"] == 4


def test_crash_after_sending_but_before_recording_sends_no_duplicate(offline_env: Any, tmp_path: Path) -> None:
    from advocacy_notify.adapters import repository as repo

    real = repo.finish_email
    injected = {"n": 0}

    def crash(table: str, case_id: str, stage: int, state: str, **fields: Any) -> None:
        if state == "sent" and injected["n"] < 2:
            injected["n"] += 1
            raise RuntimeError("injected crash after SES accepted the email")
        real(table, case_id, stage, state, **fields)

    with (
        offline_env(day_seconds=86400, start=date(2026, 11, 24)) as env,
        mock.patch.object(repo, "finish_email", crash),
    ):
        _start(env, tmp_path)
        _settle(env)
        assert injected["n"] == 2
        assert len(env.sent_emails()) == N  # the retried task did not send again
        uncertain = [w for w in _work(env) if w["kind"] == "email_uncertain"]
        assert len(uncertain) == 2  # staff are told to check those two


def test_step_functions_lambda_service_exception_is_retried(offline_env: Any, tmp_path: Path) -> None:
    from moto.awslambda.models import LambdaBackend
    from moto.core.exceptions import JsonRESTError

    real = LambdaBackend.invoke
    injected = {"n": 0}

    def flaky(self: Any, function_name: str, *args: Any, **kwargs: Any) -> Any:
        if "SendEmailFunction" in function_name and injected["n"] < 2:
            injected["n"] += 1
            err = JsonRESTError("ServiceException", "injected Lambda service error")
            err.code = 500
            raise err
        return real(self, function_name, *args, **kwargs)

    with (
        offline_env(day_seconds=86400, start=date(2026, 11, 24)) as env,
        mock.patch.object(LambdaBackend, "invoke", flaky),
    ):
        _start(env, tmp_path)
        _settle(env)
        assert injected["n"] == 2


def test_a_poison_message_ends_in_the_dlq(offline_env: Any, tmp_path: Path) -> None:
    with offline_env(day_seconds=86400, start=date(2026, 11, 24)) as env:
        env.client("sqs").send_message(
            QueueUrl=env.stack.queue_url,
            MessageBody="{not json",
            MessageGroupId="poison",
            MessageDeduplicationId="poison-1",
        )
        _start(env, tmp_path)
        _settle(env)
        wait_until(lambda: env.queue_depths() == (0, 1), timeout=30)
        deliveries = [
            r for c in env.calls if c.function == "notify" for r in c.event["Records"] if r["body"] == "{not json"
        ]
        assert len(deliveries) == 5  # received maxReceiveCount (5) times, then dead-lettered
        dead = env.client("sqs").receive_message(QueueUrl=env.stack.dlq_url)["Messages"]
        assert [m["Body"] for m in dead] == ["{not json"]


def test_a_file_uploaded_while_another_is_processed(offline_env: Any, tmp_path: Path) -> None:
    first = provisional_csv(tmp_path / "a.csv", HOMES)
    second = provisional_csv(tmp_path / "b.csv", [*HOMES, ("SC800003", "Third", "York")])
    with offline_env(day_seconds=86400, start=date(2026, 11, 24)) as env:
        env.start_clock()
        threads = [threading.Thread(target=env.upload, args=(p,)) for p in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _settle(env, n=N + 1)
        assert len(env.sent_emails()) == N + 1
