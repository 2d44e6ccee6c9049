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
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from advocacy_notify.domain.csv_cells import write_csv
from advocacy_notify.domain.directory_csv import DIRECTORY_COLUMNS
from advocacy_notify.logic.staff import Staff, StaffError

from .targets import Target, TargetError, deployed_target, local_target

Say = Callable[[str], None]
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


def _say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def load_target(args: argparse.Namespace) -> Target:
    """--stack-name NAME: a deployed stack (CloudFormation outputs); otherwise --local (the default when no
    stack is named): the state file that `advocacy serve` writes."""
    stack_name = getattr(args, "stack_name", None)
    if stack_name:
        return deployed_target(stack_name, getattr(args, "region", None))
    return local_target(getattr(args, "state", None))


def staff_for(args: argparse.Namespace) -> Staff:
    return load_target(args).services().staff


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
    rows = staff_for(args).list_cases(status=args.status, overdue=args.overdue)
    columns = ["case_id", "status", "la_name", "urn", "opened_at", "reply_by", "overdue", "reminders_sent"]
    _emit_table(args, rows, columns, "cases")
    return 0


def cmd_cases_show(args: argparse.Namespace) -> int:
    doc = staff_for(args).show_case(args.case_id)

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
    doc = staff_for(args).close_case(args.case_id, args.reason, _staff_name(args))
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
    doc = staff_for(args).resend_case(args.case_id, _staff_name(args))
    _emit(
        args,
        doc,
        lambda: _say(f"Case {doc['case_id']} queued again: execution {doc['execution_name']} started."),
    )
    return 0


def cmd_directory_export(args: argparse.Namespace) -> int:
    rows = staff_for(args).export_directory(include_missing=args.include_missing)
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
    result = staff_for(args).import_directory(text, args.by, dry_run=args.dry_run)
    doc = result.summary()

    def report() -> None:
        verb = "would change" if args.dry_run else "changed"
        _say(f"{verb} {doc['changed']}, unchanged {doc['unchanged']}, invalid {doc['invalid']} (not applied)")
        for bad in result.invalid:
            _say(f"  row {bad['row']}: {'; '.join(bad['errors'])}")

    _emit(args, doc, report)
    return 1 if result.invalid else 0


def cmd_dlq_redrive(args: argparse.Namespace) -> int:
    doc = staff_for(args).redrive(args.max)
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
    rows = staff_for(args).list_work(all_states=args.all, fields=WORK_FIELDS)
    cols = ["item_id", "kind", "state", "created_at", "case_id", "gss_code", "urn", "input"]
    _emit_table(args, rows, cols, "work items")
    return 0


def cmd_work_done(args: argparse.Namespace) -> int:
    doc = staff_for(args).work_done(args.item_id, _staff_name(args), args.note or "")
    _emit(args, doc, lambda: _say(f"Work item {doc['item_id']} done."))
    return 0


def aws_error(exc: BaseException) -> str | None:
    """One line for an AWS failure (no credentials, no access, unreachable endpoint), else None."""
    if type(exc).__module__.startswith(("botocore", "boto3")):
        return f"AWS: {type(exc).__name__}: {str(exc)[:300]}"
    return None


def guarded(func: Callable[[argparse.Namespace], int], *errors: type[Exception]) -> Callable[[argparse.Namespace], int]:
    """A command that answers bad input or an AWS failure with one line on stderr and exit 2."""
    expected: tuple[type[Exception], ...] = (StaffError, TargetError, *errors)

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
