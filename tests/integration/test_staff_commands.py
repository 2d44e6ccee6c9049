"""The staff commands, run as the command line runs them, against the system `advocacy serve` holds: the offline
twin (the stack from template.yaml in moto, on its virtual clock), moto's server beside it, and the state file
with the stack's names and the clock's anchor. Directory import and export with audit entries, cases
list/show/close/resend, the DLQ redrive, the report - and the same commands against the stack by its name.

The test writes what it needs through the adapters (`env.services()`): each command then reads it over HTTP,
through the moto server, as a command in another process would.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from advocacy_notify.adapters.dynamo import Table
from advocacy_notify.domain.case import Case, execution_name
from advocacy_notify.domain.clock import iso
from advocacy_notify.domain.models import CaseMessage
from advocacy_notify.ports import Claim, EmailEntry
from advocacy_notify.settings import StaffSettings
from advocacy_notify.wiring import Services
from advocacy_offline.cli import main
from advocacy_offline.env import OfflineEnv
from advocacy_offline.serve import moto_server
from advocacy_offline.targets import FollowingClock, write_local_state

LEEDS, YORK, KENT, BRADFORD, WAKEFIELD = "E08000035", "E06000014", "E10000016", "E08000032", "E08000036"
NAMES = {LEEDS: "Leeds", YORK: "York", KENT: "Kent", BRADFORD: "Bradford"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    env: OfflineEnv
    state: Path

    @property
    def services(self) -> Services[StaffSettings]:
        """The adapters over the stack, in this process (how the test sets the scene and looks behind it)."""
        return self.env.services()

    @property
    def now(self) -> datetime:
        return self.env.clock.now()

    def client(self, service: str) -> Any:
        return self.env.client(service)

    def out(self, key: str) -> str:
        return str(self.env.stack.outputs[key])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """What `advocacy serve` holds, with an empty directory: the twin, moto's server, and the state file."""
    with (
        OfflineEnv(log_path=tmp_path / "lambda.log", extra_parameters={"RetentionDays": "400"}) as env,
        moto_server(_free_port()) as endpoint,
    ):
        _empty_directory(env)
        anchor = FollowingClock(env.clock.now(), time.time())  # the staff commands' clock, as serve writes it
        state = write_local_state(tmp_path / "serve.json", endpoint, env.stack, anchor)
        yield Served(env, state)


def _empty_directory(env: OfflineEnv) -> None:
    """The twin seeds every authority's example contacts; these tests start from none."""
    table = Table(env.client("dynamodb"), env.stack.outputs["DirectoryTableName"])
    for item in table.scan():
        table.delete({"gss_code": item["gss_code"], "sk": item["sk"]})


def advocacy(served: Served, *argv: str) -> int:
    """A staff command as `advocacy` runs it, against the local (served) system."""
    return main([*argv, "--local", "--state", str(served.state)])


def _seed_contacts(served: Served) -> None:
    from advocacy_notify.domain.contacts import example_contacts

    for gss in (LEEDS, YORK, BRADFORD):
        served.services.directory.save(example_contacts(gss, NAMES[gss]), by="seed", at=served.now)


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
    _seed_contacts(served)
    directory = served.services.directory
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

    leeds = directory.contacts(LEEDS)
    assert leeds is not None
    assert leeds.advocacy_lead == "new.lead@leeds.example"
    bradford = directory.contacts(BRADFORD)
    assert bradford is not None
    assert bradford.advocacy_lead == "advocacy.lead@bradford.example"  # the invalid row was not applied
    audit = directory.audit(LEEDS)
    assert [a["by"] for a in audit] == ["seed", "Jo Staff"]
    assert audit[-1]["changed"] == ["advocacy_lead"]
    assert audit[-1]["before"]["advocacy_lead"] == "advocacy.lead@leeds.example"
    assert audit[-1]["expires_at"] > served.now.timestamp() + 399 * 86400  # RetentionDays
    assert [a["changed"] for a in directory.audit(KENT)] == [["created"]]
    assert directory.audit(YORK)[-1]["by"] == "seed"

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
    hostile = directory.contacts(WAKEFIELD)
    assert hostile is not None
    assert hostile.la_name == '=HYPERLINK("http://x","y")'


# ------------------------------------------------------------------------------ cases
def _case(served: Served, case_id: str, gss: str, status: str, **extra: Any) -> Case:
    case = Case.model_validate(
        {
            "case_id": case_id,
            "urn": case_id.split("-")[0],
            "gss_code": gss,
            "la_name": NAMES[gss],
            "home_name": "Test House",
            "provision_type": "Children's home",
            "judgement": "Inadequate",
            "rating_date": "2026-11-02",
            "status": status,
            "opened_at": iso(served.now),
            **extra,
        }
    )
    assert served.services.cases.claim(case) is Claim.NEW
    return case


def _reminder_waiting_for_its_slot(served: Served, case: Case) -> str:
    """The case's workflow, running: its reminder waits for a sending slot an hour away (a burst of sends ahead
    of it under the account's SES rate), so the case holds no task token. Returns the execution's ARN."""
    from advocacy_notify.domain.contacts import example_contacts

    served.services.directory.save(example_contacts(case.gss_code, case.la_name), by="seed", at=served.now)
    pacer = Table(served.client("dynamodb"), served.out("SendRateTableName"))
    pacer.put({"bucket": "ses-send", "tokens": -3600.0, "updated": served.now.timestamp()})  # an hour of backlog
    started = served.client("stepfunctions").start_execution(
        stateMachineArn=served.out("CaseStateMachineArn"),
        name=execution_name(case.case_id),
        input=json.dumps(
            {
                "case": {"case_id": case.case_id, "gss_code": case.gss_code, "urn": case.urn},
                "plan": {"stage": 1, "first_sent": str(case.first_sent), "paced": False},
            }
        ),
    )
    served.env.clock.run_until_idle()  # the workflow runs until it waits (on the twin's clock)
    execution = served.client("stepfunctions").describe_execution(executionArn=started["executionArn"])
    assert execution["status"] == "RUNNING"
    waiting = served.services.cases.get(case.case_id)
    assert waiting is not None
    assert waiting.task_token is None
    return str(started["executionArn"])


def test_cases_list_show_and_close(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    services = served.services
    leeds, york = f"SC1-{LEEDS}-20261102", f"SC2-{YORK}-20261102"
    yesterday = (served.now - timedelta(days=1)).date().isoformat()
    waiting = _case(
        served,
        leeds,
        LEEDS,
        "awaiting_response",
        first_sent=(served.now - timedelta(days=10)).date().isoformat(),
        reply_by=yesterday,
        execution_name=execution_name(leeds),
        reminders_sent=1,
    )
    execution = _reminder_waiting_for_its_slot(served, waiting)
    _case(served, york, YORK, "confirmed", answer="confirmed")
    _case(served, f"SC3-{KENT}-20261102", KENT, "queued")
    Table(served.client("dynamodb"), served.out("AnswersTableName")).put(
        {
            "case_id": york,
            "answered_at": iso(served.now),
            "answer": "confirmed",
            "responder_name": "A Person",
            "responder_email": "a.person@york.example",
            "reminders_before_answer": 0,
            "escalated_before_answer": False,
            "working_days_to_answer": 2,
        }
    )  # as respond stores an answer
    services.cases.add_event(leeds, served.now, "email_initial", stage=0)
    assert services.work.raise_item("unresolved", leeds, served.now, case_id=leeds)

    assert advocacy(served, "cases", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["case_id"][:3] for c in listed] == ["SC1", "SC2", "SC3"]
    assert "@" not in json.dumps(listed)  # no contact or responder address in a list
    assert advocacy(served, "cases", "list", "--status", "queued", "--json") == 0
    assert [c["case_id"][:3] for c in json.loads(capsys.readouterr().out)] == ["SC3"]
    assert advocacy(served, "cases", "list", "--overdue", "--json") == 0
    assert [c["case_id"][:3] for c in json.loads(capsys.readouterr().out)] == ["SC1"]
    assert advocacy(served, "cases", "list") == 0
    text = capsys.readouterr().out
    assert "3 cases" in text
    assert "\x1b[" not in text  # not a terminal: no colour
    assert all(case_id in text for case_id in (leeds, york)), "a case id is never cut to fit"

    assert advocacy(served, "cases", "show", york, "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["case"]["status"] == "confirmed"
    assert shown["answers"][0]["responder_email"] == "a.person@york.example"  # staff follow up
    assert advocacy(served, "cases", "show", leeds) == 0
    text = capsys.readouterr().out
    assert "awaiting_response" in text
    assert "email_initial" in text
    assert advocacy(served, "cases", "show", "nope") == 2

    reason = "Phoned: advocate in place"
    assert advocacy(served, "cases", "close", leeds, "--reason", reason, "--by", "Sam", "--json") == 0
    closed = json.loads(capsys.readouterr().out)
    assert (closed["status"], closed["was"], closed["workflow"], closed["work_items_done"]) == (
        "closed_by_staff",
        "awaiting_response",
        "stopped",
        1,
    )
    case = services.cases.get(leeds)
    assert case is not None
    assert (case.status, case.closed_by, case.status_reason) == ("closed_by_staff", "Sam", reason)
    served.env.settle()  # the stopped workflow's thread takes its turn on the twin's clock, and ends
    assert served.client("stepfunctions").describe_execution(executionArn=execution)["status"] == "ABORTED"
    history = services.cases.history(leeds)
    assert history is not None
    assert history.events[-1]["event"] == "closed_by_staff"
    assert advocacy(served, "work", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []  # the case's work item is done
    # an answered case stays answered
    assert advocacy(served, "cases", "close", york, "--reason", "x") == 2
    assert "confirmed" in capsys.readouterr().err

    month = served.now.strftime("%Y-%m")
    report_csv = served.state.parent / "report.csv"
    assert advocacy(served, "report", "--month", month, "--out", str(report_csv)) == 0
    assert "3 cases opened" in capsys.readouterr().out
    assert "a.person" not in report_csv.read_text(encoding="utf-8-sig")


def test_resend_an_undeliverable_case(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    _seed_contacts(served)
    cases = served.services.cases
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
    initial = EmailEntry(case_id=case_id, stage=0, kind="initial", state="sending", to=("old@leeds.example",))
    assert cases.begin_email(initial, served.now) is None
    cases.finish_email(case_id, 0, "sent", served.now)
    assert advocacy(served, "cases", "show", case_id, "--json") == 0
    assert "secret-token" not in capsys.readouterr().out  # the task token is never printed

    assert advocacy(served, "cases", "resend", case_id, "--by", "Sam", "--json") == 0
    done = json.loads(capsys.readouterr().out)
    assert done["execution_name"] == f"{case_id}-r1"
    assert done["started"] is True
    history = cases.history(case_id)
    assert history is not None
    case = Table(served.client("dynamodb"), served.out("CasesTableName")).get({"case_id": case_id, "sk": "CASE"})
    assert case is not None
    assert case["status"] == "queued"
    assert case["resend_count"] == 1
    for gone in ("first_sent", "task_token", "link_nonce", "status_reason", "resend_pending"):
        assert gone not in case
    assert history.emails == []  # EMAIL#00 set aside...
    assert [(e["sk"], e["state"]) for e in history.archived_emails] == [("RESENT#1#EMAIL#00", "sent")]  # ...here
    assert any(e.get("event") == "resent" for e in history.events)
    execution = served.client("stepfunctions").describe_execution(
        executionArn=served.out("CaseStateMachineArn").replace(":stateMachine:", ":execution:") + f":{case_id}-r1"
    )
    assert json.loads(execution["input"]) == {
        "case": {"case_id": case_id, "gss_code": LEEDS, "urn": "SC4"},
        "plan": {"stage": 0, "first_sent": None, "paced": False},
    }
    # queued again: a second resend is refused
    assert advocacy(served, "cases", "resend", case_id) == 2
    assert "only a delivery_failed, failed or technical_failure case" in capsys.readouterr().err


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
        message = CaseMessage(
            case_id=case_id,
            urn=case_id.split("-")[0],
            gss_code=group,
            la_name=NAMES[group],
            home_name="Test House",
            provision_type="Children's home",
            home_local_authority=None,
            judgement="Inadequate",
            rating_date=date(2026, 11, 2),
            source_bucket=served.out("DropBucketName"),
            source_key="incoming/provisional.csv",
        )  # as ingest queued it
        sqs.send_message(
            QueueUrl=dlq, MessageBody=message.model_dump_json(), MessageGroupId=group, MessageDeduplicationId=case_id
        )
    sqs.send_message(QueueUrl=dlq, MessageBody="not json", MessageGroupId="poison", MessageDeduplicationId="p")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        # the local mode needs neither credentials nor an endpoint from the environment
        monkeypatch.delenv(name, raising=False)

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


# ------------------------------------------------------------------------------ a stack by its name
def test_the_same_commands_reach_a_stack_by_its_name(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    """--stack-name (or --stack): the names from the stack's CloudFormation outputs, AWS's usual credential chain
    (here moto's, in this process) - the same cases as --local shows."""
    _case(served, f"SC5-{KENT}-20261102", KENT, "queued")
    assert advocacy(served, "cases", "list", "--json") == 0
    local = json.loads(capsys.readouterr().out)
    stack = served.env.stack
    assert main(["cases", "list", "--stack-name", stack.name, "--region", stack.region, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == local
    assert main(["cases", "list", "--stack", stack.name, "--region", stack.region, "--json"]) == 0
    assert [c["case_id"] for c in json.loads(capsys.readouterr().out)] == [f"SC5-{KENT}-20261102"]

    assert main(["cases", "list", "--stack-name", "no-such-stack", "--region", stack.region]) == 2
    err = capsys.readouterr().err
    assert err.startswith("advocacy: stack no-such-stack")
    assert len(err.strip().splitlines()) == 1
    assert main(["cases", "list", "--stack-name", stack.name, "--local", "--state", str(served.state)]) == 2
    assert "not both" in capsys.readouterr().err


def test_a_missing_state_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases", "list", "--local", "--state", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("advocacy: ")
    assert "advocacy serve" in err
    assert len(err.strip().splitlines()) == 1
