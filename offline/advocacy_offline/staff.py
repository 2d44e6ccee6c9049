"""Help at Hand staff commands: `advocacy cases`, `work`, `directory` and `dlq`. They parse, call the staff use
cases (`advocacy_notify.logic.staff.Staff`) and print; the work itself happens there.

    advocacy cases list [--status S] [--overdue]      advocacy directory export [--out FILE.csv]
    advocacy cases show CASE_ID                        advocacy directory import FILE.csv --by NAME
    advocacy cases close CASE_ID --reason TEXT         advocacy dlq redrive [--max N]
    advocacy cases resend CASE_ID                      advocacy work list | done ITEM_ID

Each acts on a deployed stack (`--stack-name NAME`) or on the system `advocacy serve` runs (`--local`, the
default; `--state FILE`): see `options.py`. Nothing here prints a responder's or contact's email address except
`cases show` (staff need it to follow a case up) and `directory export` (the directory itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from advocacy_notify.domain.case import CaseStatus
from advocacy_notify.domain.directory_csv import DIRECTORY_COLUMNS

from . import console
from .console import CliError
from .options import By, JsonFlag, Where, acts_on_a_system, staff_name

WORK_FIELDS = (
    "item_id",
    "kind",
    "state",
    "created_at",
    "case_id",
    "gss_code",
    "urn",
    "input",
    "role",
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
CASE_COLUMNS = ("case_id", "status", "la_name", "urn", "opened_at", "reply_by", "overdue", "reminders_sent")
WORK_COLUMNS = ("item_id", "kind", "state", "created_at", "case_id", "gss_code", "urn", "input")

CaseId = Annotated[str, typer.Argument(metavar="CASE_ID", help="The case id, as cases list shows it.")]

cases = typer.Typer(name="cases", help="List, show, close or resend cases.", no_args_is_help=True)
work = typer.Typer(
    name="work", help="Work items: unknown authorities, bounces, unresolved cases, ...", no_args_is_help=True
)
directory = typer.Typer(name="directory", help="The authorities' contacts: export, import.", no_args_is_help=True)
dlq = typer.Typer(name="dlq", help="The case dead-letter queue: redrive.", no_args_is_help=True)


def register(app: typer.Typer, panel: str | None = None) -> None:
    """Add `advocacy cases`, `work`, `directory` and `dlq` to the command line."""
    for group in (cases, work, directory, dlq):
        app.add_typer(group, rich_help_panel=panel)


def _emit(as_json: bool, doc: Any, line: str) -> None:
    if as_json:
        console.say_json(doc)
    else:
        console.say(line)


def _emit_rows(as_json: bool, rows: list[dict[str, Any]], columns: tuple[str, ...], noun: str) -> None:
    if as_json:
        console.say_json(rows)
    else:
        console.records(rows, columns, noun)


# ------------------------------------------------------------------------------ cases
@cases.command("list")
@acts_on_a_system
def cases_list(
    where: Where,
    status: Annotated[
        CaseStatus | None,
        typer.Option(metavar="STATUS", help=f"Only cases in this status: {', '.join(CaseStatus)}."),
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open cases past their reply-by date.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List cases (no contact or responder details)."""
    rows = where.staff().list_cases(status=status.value if status else None, overdue=overdue)
    _emit_rows(as_json, rows, CASE_COLUMNS, "cases")


@cases.command("show")
@acts_on_a_system
def cases_show(where: Where, case_id: CaseId, as_json: JsonFlag = False) -> None:
    """One case: its record, emails, events and answer."""
    doc = where.staff().show_case(case_id)
    if as_json:
        console.say_json(doc)
        return
    case = doc["case"]
    console.say(f"Case {case['case_id']}: {case.get('status')}")
    for key in sorted(case):
        if key not in {"case_id", "sk", "status"}:
            console.say(f"  {key}: {case[key]}")
    console.say("Emails")
    console.table(["stage", "kind", "state", "sent_at", "to"], [_email_row(e) for e in doc["emails"]])
    console.say("Events")
    console.table(["at", "event"], [[e.get("at"), e.get("event")] for e in doc["events"]])
    console.say("Answers")
    for answer in doc["answers"]:
        console.say("  " + ", ".join(f"{k}: {v}" for k, v in sorted(answer.items()) if k != "case_id"))
    if not doc["answers"]:
        console.say("  none")


def _email_row(email: dict[str, Any]) -> list[Any]:
    return [email["stage"], email["kind"], email["state"], email["sent_at"], ", ".join(email["to"])]


@cases.command("close")
@acts_on_a_system
def cases_close(
    where: Where,
    case_id: CaseId,
    reason: Annotated[str, typer.Option(help="Why (kept with the case).")],
    by: By = None,
    as_json: JsonFlag = False,
) -> None:
    """Close a case by hand (closed_by_staff) and stop its chasing."""
    doc = where.staff().close_case(case_id, reason, staff_name(by))
    _emit(
        as_json,
        doc,
        f"Case {doc['case_id']} closed by staff (was {doc['was']}); workflow {doc['workflow']}; "
        f"{doc['work_items_done']} work item(s) done.",
    )


@cases.command("resend")
@acts_on_a_system
def cases_resend(where: Where, case_id: CaseId, by: By = None, as_json: JsonFlag = False) -> None:
    """Start a delivery_failed, failed or technical_failure case again (or one whose email may not have gone),
    after fixing its contact."""
    doc = where.staff().resend_case(case_id, staff_name(by))
    _emit(as_json, doc, f"Case {doc['case_id']} queued again: execution {doc['execution_name']} started.")


# ------------------------------------------------------------------------------ the directory
@directory.command("export")
@acts_on_a_system
def directory_export(
    where: Where,
    out: Annotated[Path | None, typer.Option(metavar="FILE", help="CSV file (default: standard output).")] = None,
    include_missing: Annotated[
        bool, typer.Option("--include-missing", help="Also list authorities with no contacts yet.")
    ] = False,
) -> None:
    """The contacts as CSV (neutralised against formula injection)."""
    from advocacy_notify.domain.csv_cells import write_csv

    rows = where.staff().export_directory(include_missing=include_missing)
    text = write_csv(rows, out, DIRECTORY_COLUMNS)
    if out:
        console.say(f"{len(rows)} authorities written to {out}")
    else:
        console.write(text)


@directory.command("import")
@acts_on_a_system
def directory_import(
    where: Where,
    file: Annotated[Path, typer.Argument(metavar="FILE", help=f"CSV with columns {', '.join(DIRECTORY_COLUMNS)}.")],
    by: Annotated[str, typer.Option(metavar="NAME", help="Who makes the change (kept in the audit entries).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and count, change nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Apply a CSV of contacts; every change audited. Exit 1 when some rows were invalid (not applied)."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {file}: {exc}") from None
    result = where.staff().import_directory(text, by, dry_run=dry_run)
    doc = result.summary()
    if as_json:
        console.say_json(doc)
    else:
        verb = "would change" if dry_run else "changed"
        console.say(f"{verb} {doc['changed']}, unchanged {doc['unchanged']}, invalid {doc['invalid']} (not applied)")
        for bad in result.invalid:
            console.say(f"  row {bad['row']}: {'; '.join(bad['errors'])}")
    if result.invalid:
        raise typer.Exit(console.REFUSED_ROWS)


# ------------------------------------------------------------------------------ the dead-letter queue
@dlq.command("redrive")
@acts_on_a_system
def dlq_redrive(
    where: Where,
    max_messages: Annotated[int | None, typer.Option("--max", metavar="N", min=1, help="At most N messages.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Move dead-lettered cases back to the case queue (a message that is not a case stays)."""
    doc = where.staff().redrive(max_messages)
    left = f"; {doc['left_in_dlq']} not a case, left in the DLQ" if doc["left_in_dlq"] else ""
    _emit(as_json, doc, f"{doc['moved']} message(s) moved back to the case queue{left}")


# ------------------------------------------------------------------------------ work items
@work.command("list")
@acts_on_a_system
def work_list(
    where: Where,
    all_states: Annotated[bool, typer.Option("--all", help="Done ones too.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Open staff work items."""
    rows = where.staff().list_work(all_states=all_states, fields=WORK_FIELDS)
    _emit_rows(as_json, rows, WORK_COLUMNS, "work items")


@work.command("done")
@acts_on_a_system
def work_done(
    where: Where,
    item_id: Annotated[str, typer.Argument(metavar="ITEM_ID", help="The item id, as work list shows it.")],
    by: By = None,
    note: Annotated[str | None, typer.Option(help="What was done.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Mark a work item done."""
    doc = where.staff().work_done(item_id, staff_name(by), note or "")
    _emit(as_json, doc, f"Work item {doc['item_id']} done.")
