"""Ingest through the real bucket notification; duplicates queue nothing; a crashed batch is redelivered
without a duplicate email."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import unquote_plus

from advocacy_notify.domain.case import Case, CaseStatus
from advocacy_offline.env import OfflineEnv

from tests.conftest import PROJECT, provisional_csv

HOMES = [
    ("SC500001", "Alpha House", "Leeds; Bradford; Wakefield"),
    ("SC500002", "Beta House", "Kirklees|Calderdale"),
    ("SC500003", "REDACTED", "Sheffield\nRotherham; Barnsley; Doncaster; Cumbria"),
    ("2500004", "Delta School", "Leeds; York; Gotham City Council"),
]
N_CASES = 11  # Cumbria (ambiguous) and Gotham (unknown) are staff work items, not cases
START = date(2026, 11, 24)
Env = Callable[..., OfflineEnv]


def _cases(env: OfflineEnv) -> list[Case]:
    with env.reading() as services:
        return services.cases.all()


def _all_waiting(env: OfflineEnv, n: int = N_CASES) -> bool:
    """Every case's first email is out and its workflow waits for the answer."""
    cases = _cases(env)
    return len(cases) == n and all(c.task_token and c.status is CaseStatus.AWAITING_RESPONSE for c in cases)


def _first_emails_out(env: OfflineEnv) -> None:
    env.settle(done=lambda: _all_waiting(env), until=env.clock.now() + timedelta(hours=1))
    assert _all_waiting(env)


def _report(env: OfflineEnv, key: str) -> dict[str, Any]:
    body = env.client("s3").get_object(Bucket=env.stack.bucket, Key=key + ".report.json")["Body"].read()
    doc: dict[str, Any] = json.loads(body)
    return doc


def test_upload_with_spaces_and_plus_in_the_name(offline_env: Env, tmp_path: Path) -> None:
    src = provisional_csv(tmp_path / "p.csv", HOMES)
    with offline_env(start=START) as env:  # nothing polls the queue until the test settles
        key = env.upload(src, "Provisional inadequate + notes 24-11-2026.csv")
        ingest = next(c for c in env.calls if c.function == "ingest")
        raw_key = ingest.event["Records"][0]["s3"]["object"]["key"]
        # URL-encoded as S3 sends it: '+' for a space, '%2B' for a plus (moto also encodes the '/')
        assert "Provisional+inadequate+%2B+notes" in raw_key
        assert unquote_plus(raw_key) == key
        report = _report(env, key)  # found under the decoded key: '+' is a plus, spaces are spaces
        assert report["file"]["key"] == key
        assert report["counts"]["homes"] == 4
        assert len(report["homes"]) == 4
        assert report["counts"]["cases"] == N_CASES
        assert len(report["cases"]) == N_CASES
        assert report["counts"]["queued"] == N_CASES
        assert [u["input"] for u in report["unresolved_authorities"]] == ["Cumbria", "Gotham City Council"]
        assert env.queue_depths()[0] == N_CASES
        # the original object is untouched
        body = env.client("s3").get_object(Bucket=env.stack.bucket, Key=key)["Body"].read()
        assert body == src.read_bytes()


def test_sqs_calls_are_batched(offline_env: Env, tmp_path: Path) -> None:
    src = provisional_csv(tmp_path / "p.csv", HOMES)
    with offline_env(start=START) as env:
        calls: list[str] = []
        sqs = env.client("sqs")  # the client the functions' services were given
        sqs.meta.events.register("before-call.sqs.*", lambda model, **_: calls.append(model.name))
        try:
            env.upload(src)
        finally:
            sqs.meta.events.unregister("before-call.sqs.*")
        assert calls == ["SendMessageBatch", "SendMessageBatch"]  # 11 cases: 10 + 1


def test_same_event_twice_and_same_ratings_again_queue_nothing_new(offline_env: Env, tmp_path: Path) -> None:
    src = provisional_csv(tmp_path / "p.csv", HOMES)
    with offline_env(start=START) as env:
        env.upload(src)
        _first_emails_out(env)
        assert len(env.sent_emails()) == N_CASES
        event = next(c for c in env.calls if c.function == "ingest").event
        again = env.invoke("IngestFunction", event)  # the same S3 event delivered twice
        assert again["files"][0]["queued"] == 0
        assert again["files"][0]["already_known"] == N_CASES
        env.upload(src, "a-second-copy.csv")  # the same ratings under another name
        assert _report(env, "incoming/a-second-copy.csv")["counts"]["queued"] == 0
        env.settle()
        assert len(_cases(env)) == N_CASES
        assert len(env.executions()) == N_CASES
        assert len(env.sent_emails()) == N_CASES  # no authority emailed twice


class _Crash(BaseException):
    """The function's runtime dies mid-batch (a timeout, out of memory): nothing after it runs, and no record
    is reported as done (a BaseException, so the batch processor's per-record handling does not catch it)."""


def test_crash_mid_batch_is_redelivered_without_a_duplicate_email(offline_env: Env, tmp_path: Path) -> None:
    """notify crashes after starting half a batch; SQS redelivers the whole batch; idempotency and the
    execution name stop a second start, so each authority gets exactly one first email."""
    src = provisional_csv(tmp_path / "p.csv", HOMES)
    with offline_env(start=START) as env:
        env.upload(src)
        notify = sys.modules["advocacy_fn_notify"]  # imported by the twin's warm-up, as a cold start would
        real_record, real_handler = notify.record_handler, notify.handler
        seen = {"n": 0, "crashed": False}

        def crash_after_five(record: Any) -> Any:
            result = real_record(record)
            seen["n"] += 1
            if seen["n"] == 5 and not seen["crashed"]:
                seen["crashed"] = True
                raise _Crash
            return result

        def handler(event: Any, context: Any) -> Any:
            try:
                return real_handler(event, context)
            except _Crash:  # Lambda reports the dead runtime as the function's error
                raise RuntimeError("simulated crash half way through the batch") from None

        with (
            mock.patch.object(notify, "record_handler", crash_after_five),
            mock.patch.object(notify, "handler", handler),
        ):
            assert env.pump_queue() == 10  # one batch of 10: the 11th case is in the next one
        assert seen["crashed"]
        assert [c.error for c in env.calls if c.function == "notify"] == ["RuntimeError"]
        assert env.queue_depths() == (N_CASES, 0)  # the whole batch is back in the queue
        _first_emails_out(env)
        assert len(env.executions()) == N_CASES
        case_ids = [m.raw_data.split("X-Advocacy-Case-Id: ")[1].split("\r\n")[0] for m in env.sent_emails()]
        assert sorted(case_ids) == sorted(c.case_id for c in _cases(env))
        assert env.queue_depths() == (0, 0)


def test_an_unreadable_file_is_reported_and_kept(offline_env: Env, tmp_path: Path) -> None:
    bad = tmp_path / "notes.csv"
    bad.write_bytes(b"\x00\x01\x02 not a spreadsheet \xff\xfe" * 40)
    with offline_env(start=START) as env:
        key = env.upload(bad)
        report = _report(env, key)
        assert report["status"] == "unreadable"
        assert report["reason"]
        assert "\n" not in report["reason"]
        assert env.queue_depths() == (0, 0)
        ingest = next(c for c in env.calls if c.function == "ingest")
        assert ingest.error is None  # no crash, so no retry loop
        assert env.client("s3").get_object(Bucket=env.stack.bucket, Key=key)["Body"].read() == bad.read_bytes()
        with env.reading() as services:
            kinds = [w["kind"] for w in services.work.all()]
        assert kinds == ["unreadable_file"]


def test_sample_event_in_events_folder_is_an_s3_event() -> None:
    event = json.loads((PROJECT / "events" / "s3_object_created.json").read_text())
    from aws_lambda_powertools.utilities.data_classes import S3Event

    record = next(S3Event(event).records)
    assert record.s3.get_object.key.startswith("incoming/")
    assert "%2B" in record.s3.get_object.key
