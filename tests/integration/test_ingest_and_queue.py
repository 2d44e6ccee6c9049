"""Ingest through the real bucket notification; duplicates queue nothing; a crashed batch is redelivered
without a duplicate email."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import unquote_plus

from tests.conftest import PROJECT, provisional_csv, wait_until

HOMES = [
    ("SC500001", "Alpha House", "Leeds; Bradford; Wakefield"),
    ("SC500002", "Beta House", "Kirklees|Calderdale"),
    ("SC500003", "REDACTED", "Sheffield\nRotherham; Barnsley; Doncaster; Cumbria"),
    ("2500004", "Delta School", "Leeds; York; Gotham City Council"),
]
N_CASES = 11  # Cumbria (ambiguous) and Gotham (unknown) are staff work items, not cases


def _cases(env: Any) -> list[dict[str, Any]]:
    from advocacy_notify.adapters import repository as repo

    return repo.all_cases(env.stack.outputs["CasesTableName"])


def _report(env: Any, key: str) -> dict[str, Any]:
    body = env.client("s3").get_object(Bucket=env.stack.bucket, Key=key + ".report.json")["Body"].read()
    doc: dict[str, Any] = json.loads(body)
    return doc


def test_upload_with_spaces_and_plus_in_the_name(offline_env: Any, tmp_path: Path) -> None:
    src = provisional_csv(tmp_path / "p.csv", HOMES)
    with offline_env(day_seconds=86400, start=date(2026, 11, 24), poll=False) as env:
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


def test_sqs_calls_are_batched(offline_env: Any, tmp_path: Path) -> None:
    src = provisional_csv(tmp_path / "p.csv", HOMES)
    with offline_env(day_seconds=86400, start=date(2026, 11, 24), poll=False) as env:
        from advocacy_notify.adapters.aws import client

        calls: list[str] = []
        sqs = client("sqs")
        sqs.meta.events.register("before-call.sqs.*", lambda model, **_: calls.append(model.name))
        try:
            env.upload(src)
        finally:
            sqs.meta.events.unregister("before-call.sqs.*")
        assert calls == ["SendMessageBatch", "SendMessageBatch"]  # 11 cases: 10 + 1


def test_same_event_twice_and_same_ratings_again_queue_nothing_new(offline_env: Any, tmp_path: Path) -> None:
    src = provisional_csv(tmp_path / "p.csv", HOMES)
    with offline_env(day_seconds=86400, start=date(2026, 11, 24)) as env:
        env.start_clock()
        env.upload(src)
        wait_until(lambda: len(env.sent_emails()) == N_CASES)
        event = next(c for c in env.calls if c.function == "ingest").event
        again = env.invoke("IngestFunction", event)  # the same S3 event delivered twice
        assert again["files"][0]["queued"] == 0
        assert again["files"][0]["already_known"] == N_CASES
        env.upload(src, "a-second-copy.csv")  # the same ratings under another name
        assert _report(env, "incoming/a-second-copy.csv")["counts"]["queued"] == 0
        env.pump_queue()
        assert len(_cases(env)) == N_CASES
        assert len(env.executions()) == N_CASES
        assert len(env.sent_emails()) == N_CASES  # no authority emailed twice


def test_crash_mid_batch_is_redelivered_without_a_duplicate_email(offline_env: Any, tmp_path: Path) -> None:
    """notify crashes after starting half a batch; SQS redelivers the whole batch; idempotency and the
    execution name stop a second start, so each authority gets exactly one first email."""
    src = provisional_csv(tmp_path / "p.csv", HOMES)
    with offline_env(day_seconds=86400, start=date(2026, 11, 24), poll=False) as env:
        env.start_clock()
        env.upload(src)
        from advocacy_offline.lambdas import load_handler

        notify = __import__("sys").modules["advocacy_fn_notify"]
        load_handler("notify")
        real = notify.start_case_once
        seen = {"n": 0, "crashed": False}

        def crash_after_five(*args: Any, **kwargs: Any) -> Any:
            result = real(*args, **kwargs)
            seen["n"] += 1
            if seen["n"] == 5 and not seen["crashed"]:
                seen["crashed"] = True
                raise SystemError("simulated crash half way through the batch")
            return result

        with mock.patch.object(notify, "start_case_once", crash_after_five):
            env.pump_queue()
        assert seen["crashed"]
        wait_until(lambda: len(env.sent_emails()) >= N_CASES)
        wait_until(lambda: all(c["status"] == "awaiting_response" for c in _cases(env)))
        assert len(env.executions()) == N_CASES
        case_ids = [m.raw_data.split("X-Advocacy-Case-Id: ")[1].split("\r\n")[0] for m in env.sent_emails()]
        assert sorted(case_ids) == sorted(c["case_id"] for c in _cases(env))
        assert env.queue_depths() == (0, 0)


def test_an_unreadable_file_is_reported_and_kept(offline_env: Any, tmp_path: Path) -> None:
    bad = tmp_path / "notes.csv"
    bad.write_bytes(b"\x00\x01\x02 not a spreadsheet \xff\xfe" * 40)
    with offline_env(day_seconds=86400, poll=False) as env:
        key = env.upload(bad)
        report = _report(env, key)
        assert report["status"] == "unreadable"
        assert report["reason"]
        assert "\n" not in report["reason"]
        assert env.queue_depths() == (0, 0)
        ingest = next(c for c in env.calls if c.function == "ingest")
        assert ingest.error is None  # no crash, so no retry loop
        assert env.client("s3").get_object(Bucket=env.stack.bucket, Key=key)["Body"].read() == bad.read_bytes()
        from advocacy_notify.adapters import repository as repo

        kinds = [w["kind"] for w in repo.work_items(env.stack.outputs["WorkTableName"])]
        assert kinds == ["unreadable_file"]


def test_sample_event_in_events_folder_is_an_s3_event() -> None:
    event = json.loads((PROJECT / "events" / "s3_object_created.json").read_text())
    from aws_lambda_powertools.utilities.data_classes import S3Event

    record = next(S3Event(event).records)
    assert record.s3.get_object.key.startswith("incoming/")
    assert "%2B" in record.s3.get_object.key
