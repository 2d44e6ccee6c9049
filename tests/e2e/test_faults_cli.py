"""Issue 9's done-means: `advocacy run FILE --faults F.json --json`, one fault of each kind, from the command line.

The run-level view of the faults tested call by call in tests/integration/test_fault_injection.py: each fault
echoes back as given with `fired`, and the run still keeps its promises - a throttled secret read is retried, a
lost SendMessageBatch is requeued by the reconciler, a poison message goes to the DLQ alone with a work item.
The run's JSON lists the staff work items at the top level.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import provisional_csv

ADVOCACY = str(Path(sys.executable).with_name("advocacy"))
START = "2026-11-24"
FAULTS: list[dict[str, Any]] = [
    {"service": "secretsmanager", "operation": "GetSecretValue", "error": "ThrottlingException", "times": 2},
    {"service": "sqs", "operation": "SendMessageBatch", "error": "drop", "times": 1},
    {"poison": {"authority": "Leeds"}},
    {"service": "sesv2", "operation": "SendEmail", "error": "MessageRejected", "match": "nobody@never.example"},
]
HOMES = [("SC610001", "Fault House", "Leeds; Bradford; Sheffield"), ("SC610002", "Other House", "Leeds; York")]
AT_ONCE = {"respond_on_day": 0, "answer": "confirmed"}


def advocacy(cwd: Path, *args: str) -> dict[str, Any]:
    """Run the venv's `advocacy` in `cwd` (it writes .advocacy/ there); its JSON."""
    done = subprocess.run(
        [ADVOCACY, *args, "--json", "--log", str(cwd / "lambda.log")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def faulted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("faults_cli")
    src = provisional_csv(tmp / "prov.csv", HOMES)
    (tmp / "faults.json").write_text(json.dumps(FAULTS))
    (tmp / "responses.json").write_text(json.dumps({la: AT_ONCE for la in ("Leeds", "Bradford", "Sheffield", "York")}))
    return advocacy(
        tmp, "run", str(src), "--faults", str(tmp / "faults.json"), "--responses", str(tmp / "responses.json"),
        "--start-date", START,
    )  # fmt: skip


def test_every_fault_echoes_as_given_with_how_often_it_fired(faulted: dict[str, Any]) -> None:
    assert [{k: v for k, v in f.items() if k != "fired"} for f in faulted["faults"]] == FAULTS
    assert [f["fired"] for f in faulted["faults"]] == [2, 1, 1, 0]  # the SES fault never matched an address


def test_every_real_case_got_its_email_and_its_answer(faulted: dict[str, Any]) -> None:
    """The throttled secret reads were retried, and the cases the dropped batch lost were requeued."""
    cases = faulted["cases"]
    assert sorted((c["urn"], c["la_name"]) for c in cases) == [
        ("SC610001", "Bradford"),
        ("SC610001", "Leeds"),
        ("SC610001", "Sheffield"),
        ("SC610002", "Leeds"),
        ("SC610002", "York"),
    ]
    for case in cases:
        assert [e["kind"] for e in case["emails"]] == ["initial"], case["case_id"]
        assert case["status"] == "confirmed", case["case_id"]
    assert faulted["totals"]["emails_sent_by_ses"] == 5
    assert faulted["totals"]["still_running"] == 0
    assert faulted["totals"]["queued_messages"] == 0


def test_the_dropped_batch_was_requeued_by_the_reconciler(faulted: dict[str, Any]) -> None:
    """The batch "sent" nothing; the cases waited as queued until the reconciler's next run found them: their
    first emails went after the run's start, on the reconciler's six-hourly schedule."""
    sent = sorted(c["emails"][0]["sent_at"] for c in faulted["cases"])
    assert sent[0] > faulted["simulated"]["started_at"]
    assert faulted["totals"]["function_errors"].get("ReconcilerFunction", 0) == 0


def test_the_poison_went_to_the_dlq_alone_with_a_work_item(faulted: dict[str, Any]) -> None:
    assert faulted["totals"]["dead_letter_messages"] == 1
    poison = [w for w in faulted["work_items"] if w["kind"] == "unreadable_case_message"]
    assert len(poison) == 1, faulted["work_items"]
    assert "case_id" not in poison[0]  # not a case: the message could not be read


def test_work_items_are_listed_at_the_top_level(faulted: dict[str, Any]) -> None:
    items = faulted["work_items"]
    assert items
    assert faulted["staff_work_items"]["work_items"] == items
    for item in items:
        assert isinstance(item["kind"], str)
        assert item["kind"]
        if "case_id" in item:
            urn, gss = item["case_id"].split("-")[:2]
            assert item.get("urn", urn) == urn
            assert item.get("gss_code", gss) == gss


@pytest.mark.slow
def test_demo_lists_work_items_with_their_case_urn_and_gss_code(tmp_path: Path) -> None:
    result = advocacy(tmp_path, "demo", "--day-seconds", "0", "--start-date", START)
    items = result["work_items"]
    assert items, "the demo's script has a need_help answer, so at least one work item"
    assert {"kind"} <= set(items[0])
    by_case = {c["case_id"]: c for c in result["cases"]}
    with_case = [w for w in items if "case_id" in w]
    assert any(w["kind"] == "need_help" for w in with_case)
    for item in with_case:
        case = by_case[item["case_id"]]  # a case of this run
        assert item.get("urn", case["urn"]) == case["urn"]  # where the item has them, they are its case's
        assert item.get("gss_code", case["gss_code"]) == case["gss_code"]
