"""Help at Hand staff commands, against a deployed stack or the local `advocacy serve`.

    advocacy cases list [--status S] [--overdue]      advocacy directory export [--out FILE.csv]
    advocacy cases show CASE_ID                        advocacy directory import FILE.csv --by NAME
    advocacy cases close CASE_ID --reason TEXT         advocacy dlq redrive [--max N]
    advocacy cases resend CASE_ID                      advocacy work list | done ITEM_ID

Each takes `--stack-name NAME` (a deployed stack: resource names from its CloudFormation outputs, AWS
credentials from the usual chain) or `--local` (the system `advocacy serve` runs: the endpoint and
names from its state file, `--state FILE`).

Nothing here prints a responder's or contact's email address except `cases show` (staff need it to
follow a case up) and `directory export` (the directory itself).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_STATE_FILES = (Path(".advocacy") / "serve.json", Path(".advocacy") / "serve" / "serve.json")
DIRECTORY_COLUMNS = ["gss_code", "la_name", "advocacy_lead", "childrens_services", "senior_contact"]
RESENDABLE = frozenset({"delivery_failed", "failed"})
CLOSABLE = frozenset({"queued", "awaiting_response", "escalated", "delivery_failed", "failed", "unresolved"})
SECRET_FIELDS = frozenset({"task_token", "link_nonce"})  # never printed
# a resend starts the case again: what the earlier attempt left on the case is removed
RESET_ON_RESEND = (
    "task_token",
    "execution_arn",
    "stage",
    "first_sent",
    "first_email_at",
    "last_email_at",
    "reply_by",
    "final_deadline",
    "reminders_sent",
    "emails_sent",
    "escalated_at",
    "closed_at",
    "status_reason",
    "link_nonce",  # a new link, with an expiry from the new dates
    "updated_at",
)


class StaffError(Exception):
    """A one-line reason (exit status 2, no traceback)."""


Say = Callable[[str], None]


def _say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# ------------------------------------------------------------------------------ where to act
@dataclass
class Target:
    """A running system: a deployed stack, or the local one that `advocacy serve` runs."""

    stack_name: str
    region: str
    outputs: dict[str, str]
    endpoint: str | None = None  # the moto server of `advocacy serve`; None for AWS
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def local(self) -> bool:
        return self.endpoint is not None

    def output(self, key: str) -> str:
        try:
            return self.outputs[key]
        except KeyError:
            raise StaffError(f"stack {self.stack_name} has no output {key} (deploy the current template)") from None

    @contextlib.contextmanager
    def activated(self) -> Iterator[Target]:
        """Point the project's AWS adapters (advocacy_notify.adapters) at this target for a while."""
        keys = ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "RETENTION_DAYS")
        creds = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
        saved = {k: os.environ.get(k) for k in (*keys, *creds)}
        try:
            os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = self.region
            if self.endpoint:
                os.environ["AWS_ENDPOINT_URL"] = self.endpoint
                for k in creds:  # moto takes any credentials
                    os.environ.setdefault(k, "local")
            if self.parameters.get("RetentionDays"):
                os.environ["RETENTION_DAYS"] = str(self.parameters["RetentionDays"])
            yield self
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def client(self, service: str) -> Any:
        import boto3

        if self.endpoint:  # moto takes any credentials
            return boto3.client(
                service,
                region_name=self.region,
                endpoint_url=self.endpoint,
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106 - moto's, not a secret
            )
        return boto3.client(service, region_name=self.region)

    def now(self) -> datetime:
        """The system's own time: a local system may run on a shrunk clock (DaySeconds, ClockEpoch)."""
        from advocacy_notify.domain.clock import Clock

        day_seconds = float(self.parameters.get("DaySeconds") or 86400)
        return Clock.from_settings(day_seconds, str(self.parameters.get("ClockEpoch") or "")).now()


def write_local_state(path: Path | str, endpoint: str, stack: Any) -> Path:
    """What `advocacy serve` leaves for the staff commands: the moto endpoint and the stack
    (`Stack.to_json()`), as {"endpoint": ..., "stack": ...}."""
    doc = {"endpoint": endpoint, "stack": stack.to_json() if hasattr(stack, "to_json") else stack}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return target


def _state_file(args: argparse.Namespace) -> Path:
    if getattr(args, "state", None):
        return Path(args.state)
    for candidate in DEFAULT_STATE_FILES:
        if candidate.is_file():
            return candidate
    return DEFAULT_STATE_FILES[0]


def load_target(args: argparse.Namespace) -> Target:
    """--stack-name NAME: a deployed stack (CloudFormation outputs); otherwise --local (the default
    when no stack is named): the state file that `advocacy serve` writes."""
    stack_name = getattr(args, "stack_name", None)
    if stack_name:
        return _deployed(stack_name, getattr(args, "region", None))
    path = _state_file(args)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StaffError(f"{path}: not found - is `advocacy serve` running? (or give --stack-name)") from None
    except (OSError, ValueError) as exc:
        raise StaffError(f"{path}: cannot read it ({exc})") from None
    endpoint = doc.get("endpoint") or doc.get("aws_endpoint_url")
    stack = doc.get("stack") or {}
    if not endpoint or not stack.get("outputs"):
        raise StaffError(f"{path}: no endpoint or stack in it")
    return Target(
        stack_name=str(stack.get("name", "local")),
        region=str(stack.get("region") or doc.get("region") or "eu-west-2"),
        outputs=dict(stack["outputs"]),
        endpoint=str(endpoint),
        parameters={k: str(v) for k, v in (stack.get("parameters") or {}).items()},
    )


def _deployed(stack_name: str, region: str | None) -> Target:
    import boto3

    session = boto3.Session(region_name=region) if region else boto3.Session()
    resolved = session.region_name or "eu-west-2"
    try:
        stacks = session.client("cloudformation", region_name=resolved).describe_stacks(StackName=stack_name)
    except Exception as exc:  # no credentials, no such stack, no access: one line, no traceback
        raise StaffError(f"stack {stack_name}: {type(exc).__name__}: {str(exc)[:200]}") from None
    described = stacks["Stacks"][0]
    return Target(
        stack_name=stack_name,
        region=resolved,
        outputs={o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])},
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])},
    )


# ------------------------------------------------------------------------------ cases
def list_cases(target: Target, status: str | None = None, overdue: bool = False) -> list[dict[str, Any]]:
    """Cases as staff see them in a list: ids, codes, dates and counts - no contact or responder."""
    from advocacy_notify.adapters import dynamodb as ddb
    from advocacy_notify.adapters import repository as repo
    from advocacy_notify.logic.gauge import OPEN, STATUS_INDEX, is_overdue

    table = target.output("CasesTableName")
    with target.activated():
        if status:
            items = ddb.query(table, "status", status, index=STATUS_INDEX)
        elif overdue:
            items = [c for s in OPEN for c in ddb.query(table, "status", s, index=STATUS_INDEX)]
        else:
            items = repo.all_cases(table)
    today = target.now().date()
    rows = []
    for c in items:
        late = is_overdue(c, today)
        if overdue and not late:
            continue
        rows.append(
            {
                "case_id": c["case_id"],
                "status": c.get("status"),
                "gss_code": c.get("gss_code"),
                "la_name": c.get("la_name"),
                "urn": c.get("urn"),
                "opened_at": c.get("opened_at"),
                "reply_by": c.get("reply_by"),
                "overdue": late,
                "reminders_sent": int(c.get("reminders_sent") or 0),
                "escalated": bool(c.get("escalated_at")),
            }
        )
    return sorted(rows, key=lambda r: (str(r["opened_at"] or ""), r["case_id"]))


def show_case(target: Target, case_id: str) -> dict[str, Any]:
    from advocacy_notify.adapters import dynamodb as ddb
    from advocacy_notify.adapters import repository as repo

    with target.activated():
        items = repo.case_items(target.output("CasesTableName"), case_id)
        answers = ddb.query(target.output("AnswersTableName"), "case_id", case_id)
    case = next((i for i in items if i["sk"] == "CASE"), None)
    if case is None:
        raise StaffError(f"no case {case_id}")
    return {
        "case": {k: v for k, v in case.items() if k not in SECRET_FIELDS},
        "emails": [
            {k: i.get(k) for k in ("stage", "kind", "state", "to", "sent_at", "intended_at", "message_id", "error")}
            for i in items
            if i["sk"].startswith("EMAIL#")
        ],
        "resent_emails": [
            {k: i.get(k) for k in ("sk", "kind", "state", "sent_at")} for i in items if i["sk"].startswith("RESENT#")
        ],
        "events": [
            {k: v for k, v in i.items() if k not in {"case_id", "sk", "expires_at"}}
            for i in items
            if i["sk"].startswith("EVENT#")
        ],
        "answers": [{k: v for k, v in a.items() if k != "expires_at"} for a in answers],
    }


def _execution_arn(state_machine_arn: str, name: str) -> str:
    prefix, _, machine = state_machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:execution:{machine}:{name}"


def _resolve_work_items(target: Target, case_id: str, by: str, at: datetime, note: str) -> int:
    """Mark the case's open staff work items done."""
    from advocacy_notify.adapters import dynamodb as ddb
    from advocacy_notify.adapters import repository as repo

    table = target.output("WorkTableName")
    done = 0
    with target.activated():
        items = ddb.scan(
            table,
            "#state = :open AND case_id = :c",
            values={":open": "open", ":c": case_id},
            names={"#state": "state"},
        )
        for item in items:
            ddb.update(
                table,
                {"item_id": item["item_id"]},
                {"state": "done", "resolved_at": repo.iso(at), "resolved_by": by, "resolution": note[:200]},
            )
            done += 1
    return done


def close_case(target: Target, case_id: str, reason: str, by: str) -> dict[str, Any]:
    """Close a case by hand (status closed_by_staff) and end its workflow's waiting."""
    from advocacy_notify.adapters import dynamodb as ddb
    from advocacy_notify.adapters import repository as repo
    from advocacy_notify.adapters import stepfunctions
    from advocacy_notify.adapters.aws import error_code

    if not reason.strip():
        raise StaffError("give a --reason")
    table = target.output("CasesTableName")
    now = target.now()
    with target.activated():
        case = repo.get_case(table, case_id)
        if case is None:
            raise StaffError(f"no case {case_id}")
        if case["status"] not in CLOSABLE:
            raise StaffError(f"case {case_id} is {case['status']}: only an open or failed case can be closed")
        allowed = sorted(CLOSABLE)
        try:
            ddb.update(
                table,
                {"case_id": case_id, "sk": ddb.CASE},
                {
                    "status": "closed_by_staff",
                    "closed_at": repo.iso(now),
                    "closed_by": by,
                    "status_reason": reason[:500],
                    "status_before_close": case["status"],
                },
                condition="#status IN (" + ", ".join(f":c{i}" for i in range(len(allowed))) + ")",
                values={f"c{i}": s for i, s in enumerate(allowed)},
                removes=("task_token",),
            )
        except ddb.ConditionFailed:
            latest = repo.get_case(table, case_id) or {}
            raise StaffError(f"case {case_id} changed meanwhile (now {latest.get('status')}); nothing done") from None
        # End the workflow's wait: resume the waiting task (it sees the case closed and finishes), else stop it.
        workflow = "none"
        token = case.get("task_token")
        if token and stepfunctions.succeed(token, {"status": "closed_by_staff", "closed_by_staff": True}):
            workflow = "resumed"
        else:
            arn = case.get("execution_arn") or _execution_arn(
                target.output("CaseStateMachineArn"), str(case.get("execution_name") or case_id)
            )
            sfn = target.client("stepfunctions")
            try:
                if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                    sfn.stop_execution(executionArn=arn, error="ClosedByStaff", cause="closed by Help at Hand staff")
                    workflow = "stopped"
            except Exception as exc:
                if error_code(exc) not in {"ExecutionDoesNotExist", "ResourceNotFound"}:
                    raise
        repo.add_event(table, case_id, now, "closed_by_staff", by=by, reason=reason[:500], workflow=workflow)
    items = _resolve_work_items(target, case_id, by, now, f"case closed: {reason}")
    return {
        "case_id": case_id,
        "status": "closed_by_staff",
        "was": case["status"],
        "workflow": workflow,
        "work_items_done": items,
    }


def resend_case(target: Target, case_id: str, by: str) -> dict[str, Any]:
    """Start an undeliverable or failed case again (after staff fixed the contact): status back to
    queued, the earlier emails set aside, a new execution `<case id>-r<N>` with notify's input."""
    from advocacy_notify.adapters import dynamodb as ddb
    from advocacy_notify.adapters import repository as repo
    from advocacy_notify.adapters import stepfunctions
    from advocacy_notify.adapters.aws import client
    from advocacy_notify.domain.cases import execution_name

    table = target.output("CasesTableName")
    now = target.now()
    with target.activated():
        case = repo.get_case(table, case_id)
        if case is None:
            raise StaffError(f"no case {case_id}")
        if case["status"] not in RESENDABLE and not case.get("resend_pending"):
            raise StaffError(f"case {case_id} is {case['status']}: only a delivery_failed or failed case can be resent")
        contacts = repo.get_contacts(target.output("DirectoryTableName"), case["gss_code"])
        if contacts is None or not contacts.first_contact():
            raise StaffError(f"authority {case['gss_code']} has no contact address: fix the directory first")
        if case.get("resend_pending"):  # an earlier resend stopped half way: finish it
            updated = case
        else:
            try:
                updated = ddb.update(
                    table,
                    {"case_id": case_id, "sk": ddb.CASE},
                    {"status": "queued", "resend_pending": True, "resent_at": repo.iso(now), "resent_by": by},
                    condition="#status IN (:r0, :r1)",
                    values={"r0": "delivery_failed", "r1": "failed"},
                    removes=RESET_ON_RESEND,
                    add={"resend_count": 1},
                )
            except ddb.ConditionFailed:
                raise StaffError(f"case {case_id} changed meanwhile; nothing done") from None
        n = int(updated.get("resend_count") or 1)
        # the email ledger guards against sending a stage twice: set the earlier attempt's entries aside
        dynamo = client("dynamodb")
        for item in repo.case_items(table, case_id):
            if item["sk"].startswith("EMAIL#"):
                ddb.put(table, {**item, "sk": f"RESENT#{n}#{item['sk']}"})
                dynamo.delete_item(TableName=table, Key=ddb.to_item({"case_id": case_id, "sk": item["sk"]}))
        name = execution_name(f"{case_id}-r{n}")
        started = stepfunctions.start(
            target.output("CaseStateMachineArn"),
            name,
            {
                "case": {"case_id": case_id, "gss_code": case["gss_code"], "urn": case["urn"]},
                "plan": {"next_stage": 0, "first_sent": None},
            },
        )
        repo.update_case(
            table,
            case_id,
            {"execution_name": name, "workflow_started_at": repo.iso(now)},
            removes=("resend_pending",),
        )
        repo.add_event(table, case_id, now, "resent", by=by, resend=n, execution_name=name, was=case["status"])
    items = _resolve_work_items(target, case_id, by, now, "case resent")
    return {
        "case_id": case_id,
        "status": "queued",
        "execution_name": name,
        "started": started,
        "work_items_done": items,
    }


# ------------------------------------------------------------------------------ directory
def export_directory(target: Target, include_missing: bool = False) -> list[dict[str, Any]]:
    from advocacy_notify.adapters import dynamodb as ddb

    with target.activated():
        items = list(ddb.scan(target.output("DirectoryTableName"), "sk = :c", values={":c": "CONTACTS"}))
    rows = {i["gss_code"]: {c: i.get(c) or "" for c in DIRECTORY_COLUMNS} for i in items}
    if include_missing:
        from advocacy_notify.domain.authorities import AuthorityDirectory

        for la in AuthorityDirectory.default().all():
            rows.setdefault(
                la.gss_code, {"gss_code": la.gss_code, "la_name": la.name} | dict.fromkeys(DIRECTORY_COLUMNS[2:], "")
            )
    return sorted(rows.values(), key=lambda r: (str(r["la_name"]).lower(), r["gss_code"]))


@dataclass
class ImportResult:
    changed: list[str] = field(default_factory=list)  # GSS codes
    unchanged: list[str] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)  # {row, gss_code, errors} - never the values

    def summary(self) -> dict[str, Any]:
        return {
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "invalid": len(self.invalid),
            "changed_gss_codes": self.changed,
            "invalid_rows": self.invalid,
        }


def parse_directory_csv(text: str) -> tuple[list[tuple[int, Any]], list[dict[str, Any]]]:
    """Validate every row (domain.contacts.Contacts, and a GSS code the bundled list knows).
    Returns ([(row number, Contacts)], [invalid rows]). Error messages never repeat the values."""
    from advocacy_notify.domain.authorities import AuthorityDirectory
    from advocacy_notify.domain.contacts import Contacts
    from pydantic import ValidationError

    from .report import unneutralise

    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in DIRECTORY_COLUMNS if c not in header]
    if missing:
        raise StaffError(f"the file needs the columns {', '.join(DIRECTORY_COLUMNS)} (missing {', '.join(missing)})")
    reader.fieldnames = header
    known = AuthorityDirectory.default()
    valid: list[tuple[int, Any]] = []
    invalid: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):  # row 1 is the header, as a spreadsheet numbers rows
        row = {k: unneutralise((raw.get(k) or "").strip()) for k in DIRECTORY_COLUMNS}
        gss = row["gss_code"].upper()
        errors = []
        authority = known.by_gss(gss)
        if authority is None:
            errors.append("gss_code: not an English local authority with children's services")
        elif gss in seen:
            errors.append("gss_code: appears more than once in the file")
        if authority is not None and not errors:
            try:
                contacts = Contacts.model_validate(
                    {**row, "gss_code": gss, "la_name": row["la_name"] or authority.name}
                )
            except ValidationError as exc:
                errors += [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        if errors:
            invalid.append({"row": number, "gss_code": gss if authority else None, "errors": errors})
            continue
        seen.add(gss)
        valid.append((number, contacts))
    return valid, invalid


def import_directory(target: Target, text: str, by: str, dry_run: bool = False) -> ImportResult:
    """Apply every valid row; each change is audited (repository.put_contacts writes an AUDIT# item).
    Invalid rows are reported and not applied."""
    from advocacy_notify.adapters import repository as repo

    if not by.strip():
        raise StaffError("give --by NAME: every change to the directory is audited")
    valid, invalid = parse_directory_csv(text)
    result = ImportResult(invalid=invalid)
    table = target.output("DirectoryTableName")
    now = target.now()
    with target.activated():
        for _row, contacts in valid:
            if dry_run:
                changed = repo.get_contacts(table, contacts.gss_code) != contacts
            else:
                changed = repo.put_contacts(table, contacts, by=by.strip(), at=now)
            (result.changed if changed else result.unchanged).append(contacts.gss_code)
    return result


def audit_entries(target: Target, gss_code: str) -> list[dict[str, Any]]:
    from advocacy_notify.adapters import dynamodb as ddb

    with target.activated():
        return ddb.query(target.output("DirectoryTableName"), "gss_code", gss_code, prefix="AUDIT#")


# ------------------------------------------------------------------------------ the dead-letter queue
def _dedup_id(case_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in case_id)[:80]


def redrive(target: Target, max_messages: int | None = None) -> dict[str, Any]:
    """Move messages from the case DLQ back to the case queue, keeping each message's group (the
    authority) and using the case id as deduplication id. Safe to repeat: notify is idempotent on the
    case id and executions are named after the case. A message that is not a case is left where it is."""
    sqs = target.client("sqs")
    dlq, queue = target.output("CaseDeadLetterQueueUrl"), target.output("CaseQueueUrl")
    moved: list[str] = []
    left = 0
    while max_messages is None or len(moved) < max_messages:
        want = 10 if max_messages is None else min(10, max_messages - len(moved))
        msgs = sqs.receive_message(
            QueueUrl=dlq,
            MaxNumberOfMessages=want,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=60,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not msgs:
            break
        progressed = False
        for m in msgs:
            try:
                case_id = str(json.loads(m["Body"])["case_id"])
            except (ValueError, KeyError, TypeError):
                left += 1  # not a case message: it stays in the DLQ for a person to look at
                continue
            attrs = m.get("Attributes", {})
            kwargs: dict[str, Any] = {
                "QueueUrl": queue,
                "MessageBody": m["Body"],
                "MessageGroupId": attrs.get("MessageGroupId") or json.loads(m["Body"]).get("gss_code") or "redrive",
                "MessageDeduplicationId": _dedup_id(case_id),
            }
            if m.get("MessageAttributes"):
                kwargs["MessageAttributes"] = m["MessageAttributes"]
            sqs.send_message(**kwargs)
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
            moved.append(case_id)
            progressed = True
        if not progressed:
            break
    return {"moved": len(moved), "case_ids": moved, "left_in_dlq": left}


# ------------------------------------------------------------------------------ staff work items
WORK_FIELDS = (
    "item_id",
    "kind",
    "state",
    "created_at",
    "case_id",
    "gss_code",
    "urn",
    "input",
    "object_key",
    "reason",
    "count",
    "stage",
    "email_kind",
    "event_type",
    "detail",
    "resolved_by",
    "resolved_at",
)


def list_work(target: Target, all_states: bool = False) -> list[dict[str, Any]]:
    from advocacy_notify.adapters import repository as repo

    with target.activated():
        items = repo.work_items(target.output("WorkTableName"))
    rows = [{k: i[k] for k in WORK_FIELDS if i.get(k) is not None} for i in items]
    if not all_states:
        rows = [r for r in rows if r.get("state") == "open"]
    return sorted(rows, key=lambda r: (str(r.get("created_at", "")), r["item_id"]))


def work_done(target: Target, item_id: str, by: str, note: str) -> dict[str, Any]:
    from advocacy_notify.adapters import dynamodb as ddb
    from advocacy_notify.adapters import repository as repo

    table = target.output("WorkTableName")
    with target.activated():
        try:
            ddb.update(
                table,
                {"item_id": item_id},
                {"state": "done", "resolved_at": repo.iso(target.now()), "resolved_by": by, "resolution": note[:200]},
                condition="attribute_exists(item_id)",
            )
        except ddb.ConditionFailed:
            raise StaffError(f"no work item {item_id}") from None
    return {"item_id": item_id, "state": "done"}


# ------------------------------------------------------------------------------ the commands
def _staff_name(args: argparse.Namespace) -> str:
    return str(getattr(args, "by", None) or os.environ.get("USER") or "staff")


def _table(rows: list[dict[str, Any]], columns: list[str], say: Say) -> None:
    if not rows:
        say("  none")
        return
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    say("  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        say("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _emit(args: argparse.Namespace, doc: Any, text: Callable[[], None]) -> None:
    if getattr(args, "json", False):
        _say(json.dumps(doc, indent=2, default=str, ensure_ascii=False))
    else:
        text()


def _emit_table(args: argparse.Namespace, rows: list[dict[str, Any]], columns: list[str], noun: str) -> None:
    """JSON with --json, else a table and a count."""

    def text() -> None:
        _table(rows, columns, _say)
        _say(f"{len(rows)} {noun}")

    _emit(args, rows, text)


def cmd_cases_list(args: argparse.Namespace) -> int:
    rows = list_cases(load_target(args), status=args.status, overdue=args.overdue)
    columns = ["case_id", "status", "la_name", "urn", "opened_at", "reply_by", "overdue", "reminders_sent"]
    _emit_table(args, rows, columns, "cases")
    return 0


def cmd_cases_show(args: argparse.Namespace) -> int:
    doc = show_case(load_target(args), args.case_id)

    def text() -> None:
        case = doc["case"]
        _say(f"Case {case['case_id']}: {case.get('status')}")
        for k in sorted(case):
            if k not in {"case_id", "sk", "status"}:
                _say(f"  {k}: {case[k]}")
        _say("Emails")
        _table(doc["emails"], ["stage", "kind", "state", "sent_at", "to"], _say)
        _say("Events")
        _table(doc["events"], ["at", "event"], _say)
        _say("Answers")
        for a in doc["answers"]:
            _say("  " + ", ".join(f"{k}: {v}" for k, v in sorted(a.items()) if k != "case_id"))
        if not doc["answers"]:
            _say("  none")

    _emit(args, doc, text)
    return 0


def cmd_cases_close(args: argparse.Namespace) -> int:
    doc = close_case(load_target(args), args.case_id, args.reason, _staff_name(args))
    _emit(
        args,
        doc,
        lambda: _say(
            f"Case {doc['case_id']} closed by staff (was {doc['was']}); workflow {doc['workflow']}; "
            f"{doc['work_items_done']} work item(s) done."
        ),
    )
    return 0


def cmd_cases_resend(args: argparse.Namespace) -> int:
    doc = resend_case(load_target(args), args.case_id, _staff_name(args))
    _emit(
        args,
        doc,
        lambda: _say(f"Case {doc['case_id']} queued again: execution {doc['execution_name']} started."),
    )
    return 0


def cmd_directory_export(args: argparse.Namespace) -> int:
    from .report import write_csv

    rows = export_directory(load_target(args), include_missing=args.include_missing)
    text = write_csv(rows, Path(args.out) if args.out else None, DIRECTORY_COLUMNS)
    if args.out:
        _say(f"{len(rows)} authorities written to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_directory_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise StaffError(f"cannot read {path}: {exc}") from None
    result = import_directory(load_target(args), text, args.by, dry_run=args.dry_run)
    doc = result.summary()

    def report() -> None:
        verb = "would change" if args.dry_run else "changed"
        _say(f"{verb} {doc['changed']}, unchanged {doc['unchanged']}, invalid {doc['invalid']} (not applied)")
        for bad in result.invalid:
            _say(f"  row {bad['row']}: {'; '.join(bad['errors'])}")

    _emit(args, doc, report)
    return 1 if result.invalid else 0


def cmd_dlq_redrive(args: argparse.Namespace) -> int:
    doc = redrive(load_target(args), args.max)
    _emit(
        args,
        doc,
        lambda: _say(
            f"{doc['moved']} message(s) moved back to the case queue"
            + (f"; {doc['left_in_dlq']} not a case, left in the DLQ" if doc["left_in_dlq"] else "")
        ),
    )
    return 0


def cmd_work_list(args: argparse.Namespace) -> int:
    rows = list_work(load_target(args), all_states=args.all)
    cols = ["item_id", "kind", "state", "created_at", "case_id", "gss_code", "urn", "input"]
    _emit_table(args, rows, cols, "work items")
    return 0


def cmd_work_done(args: argparse.Namespace) -> int:
    doc = work_done(load_target(args), args.item_id, _staff_name(args), args.note or "")
    _emit(args, doc, lambda: _say(f"Work item {doc['item_id']} done."))
    return 0


def aws_error(exc: BaseException) -> str | None:
    """One line for an AWS failure (no credentials, no access, unreachable endpoint), else None."""
    if type(exc).__module__.startswith(("botocore", "boto3")):
        return f"AWS: {type(exc).__name__}: {str(exc)[:300]}"
    return None


def guarded(func: Callable[[argparse.Namespace], int], *errors: type[Exception]) -> Callable[[argparse.Namespace], int]:
    """A command that answers bad input or an AWS failure with one line on stderr and exit 2."""
    expected: tuple[type[Exception], ...] = (StaffError, *errors)

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except expected as exc:
            sys.stderr.write(f"advocacy: {exc}\n")
            return 2
        except Exception as exc:
            line = aws_error(exc)
            if line is None:
                raise
            sys.stderr.write(f"advocacy: {line}\n")
            return 2

    return run


def add_target_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("where (a deployed stack, or the local `advocacy serve`)")
    g.add_argument("--stack-name", help="a deployed stack: names from its CloudFormation outputs")
    g.add_argument("--region", help="the stack's region (default: from the AWS configuration)")
    g.add_argument(
        "--local", action="store_true", help="the system `advocacy serve` runs on this machine (the default)"
    )
    g.add_argument(
        "--state",
        help="the state file `advocacy serve` writes (default .advocacy/serve.json, else .advocacy/serve/serve.json)",
    )


def _leaf(
    parent: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    func: Callable[[argparse.Namespace], int],
    json_option: bool = True,
) -> argparse.ArgumentParser:
    p = parent.add_parser(name, help=help_text, description=help_text)
    add_target_options(p)
    if json_option:
        p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=guarded(func))
    return p


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `advocacy cases`, `advocacy directory`, `advocacy dlq` and `advocacy work` to the command line."""
    p = sub.add_parser("cases", help="staff: list, show, close or resend cases")
    cases = p.add_subparsers(dest="cases_command", required=True)
    q = _leaf(cases, "list", "list cases (no contact or responder details)", cmd_cases_list)
    q.add_argument("--status", help="only this status (e.g. awaiting_response, delivery_failed)")
    q.add_argument("--overdue", action="store_true", help="only open cases past their reply-by date")
    q = _leaf(cases, "show", "one case: its record, emails, events and answer", cmd_cases_show)
    q.add_argument("case_id")
    q = _leaf(cases, "close", "close a case by hand (closed_by_staff) and stop its chasing", cmd_cases_close)
    q.add_argument("case_id")
    q.add_argument("--reason", required=True, help="why (kept with the case)")
    q.add_argument("--by", help="who (default: $USER)")
    q = _leaf(
        cases, "resend", "start a delivery_failed or failed case again, after fixing its contact", cmd_cases_resend
    )
    q.add_argument("case_id")
    q.add_argument("--by", help="who (default: $USER)")

    p = sub.add_parser("directory", help="staff: the authorities' contacts")
    directory = p.add_subparsers(dest="directory_command", required=True)
    q = _leaf(directory, "export", "the contacts as CSV", cmd_directory_export, json_option=False)
    q.add_argument("--out", help="CSV file (default: standard output)")
    q.add_argument("--include-missing", action="store_true", help="also list authorities with no contacts yet")
    q = _leaf(directory, "import", "apply a CSV of contacts; every change audited", cmd_directory_import)
    q.add_argument("file", help=f"CSV with columns {','.join(DIRECTORY_COLUMNS)}")
    q.add_argument("--by", required=True, help="who makes the change (kept in the audit entries)")
    q.add_argument("--dry-run", action="store_true", help="validate and count, change nothing")

    p = sub.add_parser("dlq", help="staff: the case dead-letter queue")
    dlq = p.add_subparsers(dest="dlq_command", required=True)
    q = _leaf(dlq, "redrive", "move dead-lettered cases back to the case queue", cmd_dlq_redrive)
    q.add_argument("--max", type=int, help="at most this many messages")

    p = sub.add_parser("work", help="staff: work items (unknown authorities, bounces, unresolved cases, ...)")
    work = p.add_subparsers(dest="work_command", required=True)
    q = _leaf(work, "list", "open staff work items", cmd_work_list)
    q.add_argument("--all", action="store_true", help="done ones too")
    q = _leaf(work, "done", "mark a work item done", cmd_work_done)
    q.add_argument("item_id")
    q.add_argument("--by", help="who (default: $USER)")
    q.add_argument("--note", help="what was done")
