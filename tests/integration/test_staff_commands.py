"""Staff commands against the stack from template.yaml, served by moto's server (as `advocacy serve` serves it):
directory import and export with audit entries, cases list/show/close/resend, the DLQ redrive, the report."""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

REGION = "eu-west-2"
LEEDS, YORK, KENT, BRADFORD, WAKEFIELD = "E08000035", "E06000014", "E10000016", "E08000032", "E08000036"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, endpoint: str, stack: Any, state: Path) -> None:
        self.endpoint = endpoint
        self.stack = stack
        self.state = state

    def client(self, service: str) -> Any:
        return boto3.client(
            service, region_name=REGION, endpoint_url=self.endpoint, aws_access_key_id="x", aws_secret_access_key="x"
        )

    def out(self, key: str) -> str:
        return str(self.stack.outputs[key])


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    import requests
    from advocacy_offline.stack import deploy
    from advocacy_offline.staff import write_local_state
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for k, v in {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }.items():
            monkeypatch.setenv(k, v)
        requests.post(f"{endpoint}/moto-api/reset", timeout=10)
        name = f"staff-{uuid.uuid4().hex[:8]}"
        stack = deploy(name, {"DaySeconds": "86400", "RetentionDays": "400"}, boto3.Session(region_name=REGION))
        _drop_event_source_mappings(endpoint)  # as `advocacy serve` does: its own poller feeds notify
        state = write_local_state(tmp_path / "serve.json", endpoint, stack)
        yield Served(endpoint, stack, state)
    finally:
        server.stop()


def _drop_event_source_mappings(endpoint: str) -> None:
    from moto.sqs.models import sqs_backends

    lam = boto3.client("lambda", region_name=REGION, endpoint_url=endpoint)
    for m in lam.list_event_source_mappings().get("EventSourceMappings", []):
        lam.delete_event_source_mapping(UUID=m["UUID"])
    for queue in sqs_backends["123456789012"][REGION].queues.values():
        queue.lambda_event_source_mappings.clear()


def advocacy(served: Served, *argv: str) -> int:
    """The staff commands as the command line runs them, against the local (served) system."""
    from advocacy_offline import report, staff

    ap = argparse.ArgumentParser(prog="advocacy")
    sub = ap.add_subparsers(dest="command", required=True)
    staff.register(sub)
    report.register(sub)
    args = ap.parse_args([*argv, "--local", "--state", str(served.state)])
    code: int = args.func(args)
    return code


def _repo_call(served: Served, func: Any, *args: Any, **kwargs: Any) -> Any:
    from advocacy_offline.staff import Target, load_target

    target: Target = load_target(argparse.Namespace(stack_name=None, state=str(served.state)))
    with target.activated():
        return func(*args, **kwargs)


def _seed_contacts(served: Served) -> None:
    from advocacy_notify.adapters import repository as repo
    from advocacy_notify.domain.contacts import example_contacts

    now = datetime.now(UTC)
    for gss, name in ((LEEDS, "Leeds"), (YORK, "York"), (BRADFORD, "Bradford")):
        _repo_call(
            served, repo.put_contacts, served.out("DirectoryTableName"), example_contacts(gss, name), by="seed", at=now
        )


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["gss_code", "la_name", "advocacy_lead", "childrens_services", "senior_contact"])
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ directory
def test_directory_import_audits_every_change_and_export_round_trips(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from advocacy_notify.adapters import dynamodb as ddb
    from advocacy_notify.adapters import repository as repo

    _seed_contacts(served)
    table = served.out("DirectoryTableName")
    changes = _write_csv(
        tmp_path / "contacts.csv",
        [
            [
                LEEDS,
                "Leeds",
                "new.lead@leeds.example",
                "childrens.services@leeds.example",
                "director.childrens.services@leeds.example",
            ],  # one address changed
            [
                YORK,
                "York",
                "advocacy.lead@york.example",
                "childrens.services@york.example",
                "director.childrens.services@york.example",
            ],  # as seeded: unchanged
            [KENT, "Kent", "advocacy@kent.example", "", ""],  # new
            [WAKEFIELD, '=HYPERLINK("http://x","y")', "lead@wakefield.example", "", ""],  # hostile name, new
            [BRADFORD, "Bradford", "not an address", "", ""],  # invalid: not applied
            ["E99999999", "Gotham", "lead@gotham.example", "", ""],  # invalid: no such authority
            [LEEDS, "Leeds", "again@leeds.example", "", ""],  # invalid: twice in the file
        ],
    )
    assert advocacy(served, "directory", "import", str(changes), "--by", "Jo Staff", "--json") == 1
    out = json.loads(capsys.readouterr().out)
    assert (out["changed"], out["unchanged"], out["invalid"]) == (3, 1, 3)
    assert sorted(out["changed_gss_codes"]) == sorted([LEEDS, KENT, WAKEFIELD])
    assert [r["row"] for r in out["invalid_rows"]] == [6, 7, 8]
    assert "not an address" not in json.dumps(out)  # errors never repeat the values

    leeds = _repo_call(served, repo.get_contacts, table, LEEDS)
    assert leeds.advocacy_lead == "new.lead@leeds.example"
    bradford = _repo_call(served, repo.get_contacts, table, BRADFORD)
    assert bradford.advocacy_lead == "advocacy.lead@bradford.example"  # the invalid row was not applied
    audit = _repo_call(served, ddb.query, table, "gss_code", LEEDS, prefix="AUDIT#")
    assert [a["by"] for a in audit] == ["seed", "Jo Staff"]
    assert audit[-1]["changed"] == ["advocacy_lead"]
    assert audit[-1]["before"]["advocacy_lead"] == "advocacy.lead@leeds.example"
    assert audit[-1]["expires_at"] > datetime.now(UTC).timestamp() + 399 * 86400  # RetentionDays
    assert [a["changed"] for a in _repo_call(served, ddb.query, table, "gss_code", KENT, prefix="AUDIT#")] == [
        ["created"]
    ]
    assert _repo_call(served, ddb.query, table, "gss_code", YORK, prefix="AUDIT#")[-1]["by"] == "seed"

    exported = tmp_path / "export.csv"
    assert advocacy(served, "directory", "export", "--out", str(exported)) == 0
    capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 5
    wakefield = next(r for r in rows if r["gss_code"] == WAKEFIELD)
    assert wakefield["la_name"].startswith("'=")  # neutralised for spreadsheets
    # importing the export changes nothing (the neutralising quote is taken off again)
    assert advocacy(served, "directory", "import", str(exported), "--by", "Jo Staff", "--json") == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["changed"], again["unchanged"], again["invalid"]) == (0, 5, 0)
    assert _repo_call(served, repo.get_contacts, table, WAKEFIELD).la_name == '=HYPERLINK("http://x","y")'


# ------------------------------------------------------------------------------ cases
def _case(served: Served, case_id: str, gss: str, status: str, **extra: Any) -> None:
    from advocacy_notify.adapters import repository as repo

    doc = {
        "case_id": case_id,
        "urn": case_id.split("-")[0],
        "gss_code": gss,
        "la_name": {LEEDS: "Leeds", YORK: "York", KENT: "Kent"}[gss],
        "home_name": "Test House",
        "provision_type": "Children's home",
        "judgement": "Inadequate",
        "rating_date": "2026-11-02",
        "status": status,
        "opened_at": datetime.now(UTC).isoformat(),
        **extra,
    }
    assert _repo_call(served, repo.claim_case, served.out("CasesTableName"), doc)


def _waiting_execution(served: Served) -> str:
    """A running execution to stand for a case's waiting workflow."""
    sfn = served.client("stepfunctions")
    definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    arn = sfn.create_state_machine(
        name=f"waiting-{uuid.uuid4().hex[:6]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/x",
    )["stateMachineArn"]
    return str(sfn.start_execution(stateMachineArn=arn, name="SC1-waiting")["executionArn"])


def test_cases_list_show_and_close(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    from advocacy_notify.adapters import dynamodb as ddb
    from advocacy_notify.adapters import repository as repo

    cases, work = served.out("CasesTableName"), served.out("WorkTableName")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    execution = _waiting_execution(served)
    _case(
        served,
        f"SC1-{LEEDS}-20261102",
        LEEDS,
        "awaiting_response",
        reply_by=yesterday,
        execution_arn=execution,
        reminders_sent=1,
    )
    _case(served, f"SC2-{YORK}-20261102", YORK, "confirmed", answer="confirmed")
    _case(served, f"SC3-{KENT}-20261102", KENT, "queued")
    now = datetime.now(UTC)
    _repo_call(
        served,
        ddb.put,
        served.out("AnswersTableName"),
        {
            "case_id": f"SC2-{YORK}-20261102",
            "answered_at": repo.iso(now),
            "answer": "confirmed",
            "responder_name": "A Person",
            "responder_email": "a.person@york.example",
            "reminders_before_answer": 0,
            "escalated_before_answer": False,
            "working_days_to_answer": 2,
        },
    )
    _repo_call(served, repo.add_event, cases, f"SC1-{LEEDS}-20261102", now, "email_initial", stage=0)
    _repo_call(
        served, repo.add_work_item, work, "unresolved", f"SC1-{LEEDS}-20261102", now, case_id=f"SC1-{LEEDS}-20261102"
    )

    assert advocacy(served, "cases", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["case_id"][:3] for c in listed] == ["SC1", "SC2", "SC3"]
    assert "@" not in json.dumps(listed)  # no contact or responder address in a list
    assert advocacy(served, "cases", "list", "--status", "queued", "--json") == 0
    assert [c["case_id"][:3] for c in json.loads(capsys.readouterr().out)] == ["SC3"]
    assert advocacy(served, "cases", "list", "--overdue", "--json") == 0
    assert [c["case_id"][:3] for c in json.loads(capsys.readouterr().out)] == ["SC1"]
    assert advocacy(served, "cases", "list") == 0
    assert "3 cases" in capsys.readouterr().out

    assert advocacy(served, "cases", "show", f"SC2-{YORK}-20261102", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["case"]["status"] == "confirmed"
    assert shown["answers"][0]["responder_email"] == "a.person@york.example"  # staff follow up
    assert advocacy(served, "cases", "show", f"SC1-{LEEDS}-20261102") == 0
    text = capsys.readouterr().out
    assert "awaiting_response" in text
    assert "email_initial" in text
    assert advocacy(served, "cases", "show", "nope") == 2

    assert (
        advocacy(
            served,
            "cases",
            "close",
            f"SC1-{LEEDS}-20261102",
            "--reason",
            "Phoned: advocate in place",
            "--by",
            "Sam",
            "--json",
        )
        == 0
    )
    closed = json.loads(capsys.readouterr().out)
    assert (closed["status"], closed["was"], closed["workflow"], closed["work_items_done"]) == (
        "closed_by_staff",
        "awaiting_response",
        "stopped",
        1,
    )
    case = _repo_call(served, repo.get_case, cases, f"SC1-{LEEDS}-20261102")
    assert (case["status"], case["closed_by"], case["status_reason"]) == (
        "closed_by_staff",
        "Sam",
        "Phoned: advocate in place",
    )
    assert served.client("stepfunctions").describe_execution(executionArn=execution)["status"] == "ABORTED"
    events = [
        i["event"]
        for i in _repo_call(served, repo.case_items, cases, f"SC1-{LEEDS}-20261102")
        if i["sk"].startswith("EVENT#")
    ]
    assert events[-1] == "closed_by_staff"
    assert advocacy(served, "work", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []  # the case's work item is done
    # an answered case stays answered
    assert advocacy(served, "cases", "close", f"SC2-{YORK}-20261102", "--reason", "x") == 2
    assert "confirmed" in capsys.readouterr().err

    month = datetime.now(UTC).strftime("%Y-%m")
    report_csv = served.state.parent / "report.csv"
    assert advocacy(served, "report", "--month", month, "--out", str(report_csv)) == 0
    assert "3 cases opened" in capsys.readouterr().out
    assert "a.person" not in report_csv.read_text(encoding="utf-8-sig")


def test_resend_an_undeliverable_case(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    from advocacy_notify.adapters import dynamodb as ddb
    from advocacy_notify.adapters import repository as repo

    _seed_contacts(served)
    cases = served.out("CasesTableName")
    case_id = f"SC4-{LEEDS}-20261102"
    _case(
        served,
        case_id,
        LEEDS,
        "delivery_failed",
        first_sent="2026-11-03",
        reminders_sent=0,
        task_token="secret-token",
        link_nonce="n",
        status_reason="Bounce Permanent/General",
    )
    _repo_call(
        served,
        ddb.put,
        cases,
        {
            "case_id": case_id,
            "sk": "EMAIL#00",
            "kind": "initial",
            "stage": 0,
            "state": "sent",
            "to": ["old@leeds.example"],
        },
    )
    assert advocacy(served, "cases", "show", case_id, "--json") == 0
    assert "secret-token" not in capsys.readouterr().out  # the task token is never printed

    assert advocacy(served, "cases", "resend", case_id, "--by", "Sam", "--json") == 0
    done = json.loads(capsys.readouterr().out)
    assert done["execution_name"] == f"{case_id}-r1"
    assert done["started"] is True
    items = {i["sk"]: i for i in _repo_call(served, repo.case_items, cases, case_id)}
    case = items["CASE"]
    assert case["status"] == "queued"
    assert case["resend_count"] == 1
    for gone in ("first_sent", "task_token", "link_nonce", "status_reason", "resend_pending"):
        assert gone not in case
    assert "EMAIL#00" not in items
    assert items["RESENT#1#EMAIL#00"]["state"] == "sent"
    assert any(i.get("event") == "resent" for i in items.values())
    execution = served.client("stepfunctions").describe_execution(
        executionArn=served.out("CaseStateMachineArn").replace(":stateMachine:", ":execution:") + f":{case_id}-r1"
    )
    assert json.loads(execution["input"]) == {
        "case": {"case_id": case_id, "gss_code": LEEDS, "urn": "SC4"},
        "plan": {"next_stage": 0, "first_sent": None},
    }
    # queued again: a second resend is refused
    assert advocacy(served, "cases", "resend", case_id) == 2
    assert "only a delivery_failed or failed case" in capsys.readouterr().err


# ------------------------------------------------------------------------------ the dead-letter queue
def test_dlq_redrive_moves_cases_back_keeping_their_group(
    served: Served, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs = served.client("sqs")
    dlq, queue = served.out("CaseDeadLetterQueueUrl"), served.out("CaseQueueUrl")
    bodies = {
        f"SC7-{LEEDS}-20261102": LEEDS,
        f"SC8-{LEEDS}-20261102": LEEDS,
        f"SC9-{YORK}-20261102": YORK,
    }
    for case_id, group in bodies.items():
        sqs.send_message(
            QueueUrl=dlq,
            MessageBody=json.dumps({"case_id": case_id, "gss_code": group}),
            MessageGroupId=group,
            MessageDeduplicationId=case_id,
        )
    sqs.send_message(QueueUrl=dlq, MessageBody="not json", MessageGroupId="poison", MessageDeduplicationId="p")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name)  # the local mode needs neither credentials nor an endpoint from the environment

    assert advocacy(served, "dlq", "redrive", "--max", "1", "--json") == 0
    assert json.loads(capsys.readouterr().out)["moved"] == 1
    assert advocacy(served, "dlq", "redrive", "--json") == 0
    moved = json.loads(capsys.readouterr().out)
    assert (moved["moved"], moved["left_in_dlq"]) == (2, 1)

    got: dict[str, str] = {}
    for _ in range(5):
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        ):
            got[json.loads(m["Body"])["case_id"]] = m["Attributes"]["MessageGroupId"]
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    assert got == bodies
    attrs = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    assert int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 1


def test_a_missing_state_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from advocacy_offline import staff

    ap = argparse.ArgumentParser(prog="advocacy")
    staff.register(ap.add_subparsers(dest="command"))
    args = ap.parse_args(["cases", "list", "--local", "--state", str(tmp_path / "none.json")])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("advocacy: ")
    assert "advocacy serve" in err
    assert len(err.strip().splitlines()) == 1
