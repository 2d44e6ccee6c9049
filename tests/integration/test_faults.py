"""The fault table's original faults, injected the way staff would rehearse them: `advocacy run FILE --faults
FAULTS.json --responses RESPONSES.json --json`, the real command in its own process. Every case reaches a
correct state, none is lost, no email is sent twice (docs/reliability.md).

Issue 11's faults are in tests/integration/test_reliability_*.py; the duplicate S3 event, the same ratings
uploaded again and the crash half way through an SQS batch in tests/integration/test_ingest_and_queue.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.integration.faultkit import HOMES, LEEDS, PROJECT, by_case, provisional_file, record, trial

pytestmark = pytest.mark.slow

# everyone answers the next working day, so a run ends within a simulated week
ANSWER = {"respond_on_day": 1, "answer": "confirmed"}
RESPONSES = {la: ANSWER for la in ("Leeds", "Bradford", "Wakefield", "Kirklees", "Calderdale")}
N = 5


def advocacy_run(tmp_path: Path, faults: list[dict[str, Any]], files: list[Path] | None = None) -> dict[str, Any]:
    """`advocacy run` in a process of its own, with these faults; its JSON result."""
    (tmp_path / "faults.json").write_text(json.dumps(faults), encoding="utf-8")
    (tmp_path / "responses.json").write_text(json.dumps(RESPONSES), encoding="utf-8")
    files = files or [provisional_file(tmp_path / "f.csv", HOMES)]
    argv = [sys.executable, "-m", "advocacy_offline.cli", "run", *map(str, files), "--json", "--start-date=2026-11-24"]
    argv += ["--faults", str(tmp_path / "faults.json"), "--responses", str(tmp_path / "responses.json")]
    argv += ["--log", str(tmp_path / "lambda.log")]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=PROJECT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def check_nothing_lost(result: dict[str, Any], expected: dict[str, str] | None = None, n: int = N) -> None:
    """n cases, each in its expected status (confirmed unless named), each first email sent once."""
    cases = result["cases"]
    assert len(cases) == n, "a case was lost"
    for case in cases:
        assert case["status"] == (expected or {}).get(case["la_name"], "confirmed"), case["case_id"]
    sent = Counter((c["case_id"], e["stage"]) for c in cases for e in c["emails"])
    assert all(v == 1 for v in sent.values()), sent
    assert result["totals"]["emails_sent_by_ses"] == sum(sent.values())
    assert result["totals"]["dead_letter_messages"] == 0


def test_ses_throttling_is_retried(tmp_path: Path) -> None:
    faults = [{"service": "sesv2", "operation": "SendEmail", "error": "TooManyRequestsException", "times": 3}]
    result = advocacy_run(tmp_path, faults)
    assert [f["fired"] for f in result["faults"]] == [3]
    check_nothing_lost(result)
    assert result["totals"]["emails"]["initial"] == N
    assert result["work_items"] == []
    record("SES TooManyRequestsException x3 (advocacy run --faults)", injected=3, **_figures(result))


def test_a_permanent_ses_rejection_marks_the_case_undeliverable(tmp_path: Path) -> None:
    faults = [{"service": "sesv2", "operation": "SendEmail", "error": "MessageRejected", "match": "@leeds.example"}]
    result = advocacy_run(tmp_path, faults)
    assert [f["fired"] for f in result["faults"]] == [1]  # not retried: a rejection is permanent
    check_nothing_lost(result, {"Leeds": "delivery_failed"})
    leeds = next(c for c in result["cases"] if c["gss_code"] == LEEDS)
    assert leeds["emails"] == []
    assert result["totals"]["emails_sent_by_ses"] == N - 1
    assert [w["kind"] for w in result["work_items"] if w.get("case_id") == leeds["case_id"]] == ["delivery_failed"]
    record("SES MessageRejected for Leeds (advocacy run --faults)", injected=1, **_figures(result))


def test_dynamodb_throughput_exceeded_is_retried(tmp_path: Path) -> None:
    error = "ProvisionedThroughputExceededException"
    faults = [{"service": "dynamodb", "operation": "UpdateItem", "error": error, "times": 4}]
    result = advocacy_run(tmp_path, faults)
    assert [f["fired"] for f in result["faults"]] == [4]
    check_nothing_lost(result)
    assert result["work_items"] == []
    assert result["totals"]["function_errors"] == {}  # botocore's retries absorbed them
    record(f"DynamoDB UpdateItem {error} x4 (advocacy run --faults)", injected=4, **_figures(result))


def test_a_lambda_service_exception_under_step_functions_is_retried(tmp_path: Path) -> None:
    faults = [{"service": "lambda", "operation": "Invoke", "error": "ServiceException", "times": 2}]
    result = advocacy_run(tmp_path, faults)
    assert [f["fired"] for f in result["faults"]] == [2]
    check_nothing_lost(result)
    assert result["work_items"] == []
    record("Lambda Invoke ServiceException x2 (advocacy run --faults)", injected=2, **_figures(result))


def test_starting_a_workflow_failing_in_a_batch_redelivers_only_that_case(tmp_path: Path) -> None:
    """StartExecution fails through every attempt for the third case of notify's batch: that record is a batch
    item failure, redelivered; the others are not started twice."""
    faults = [{"service": "stepfunctions", "operation": "StartExecution", "error": "InternalFailure"}]
    faults[0].update(after=2, times=6)
    result = advocacy_run(tmp_path, faults)
    assert [f["fired"] for f in result["faults"]] == [6]
    check_nothing_lost(result)
    assert result["work_items"] == []
    record("Step Functions StartExecution InternalFailure x6 mid-batch", injected=6, **_figures(result))


def test_files_uploaded_at_the_same_moment_queue_each_case_once(tmp_path: Path) -> None:
    """Two files with overlapping homes, uploaded together (ingest runs for both before anything else): the
    conditional claims queue each case once."""
    first = provisional_file(tmp_path / "a.csv", HOMES)
    second = provisional_file(tmp_path / "b.csv", [*HOMES, ("SC800003", "Third", "York")])
    with trial(tmp_path, responses=RESPONSES | {"York": ANSWER}) as t:
        result = t.run(first, second)
        check_nothing_lost(result, n=N + 1)
        assert [(f["queued"], f["already_known"]) for f in result["files"]] == [(N, 0), (1, N)]
        assert t.duplicates() == 0
        assert set(by_case(result)) == {c for c, _stage in t.ses_accepted()}
        record("two overlapping files uploaded together", injected=1, **_figures(result))


def _figures(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "statuses": result["totals"]["by_status"],
        "work_items": result["totals"]["staff_work_items"],
        "emails_sent_by_ses": result["totals"]["emails_sent_by_ses"],
        "cases_lost": 0,
        "duplicate_emails": 0,
    }
