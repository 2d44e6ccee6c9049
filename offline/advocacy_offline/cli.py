"""The `advocacy` command line: validate, authorities resolve, run, demo, serve."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

OUT: TextIO = sys.stdout  # bound at import: handlers' stdout is redirected while they run


def _print(text: str = "") -> None:
    OUT.write(text + "\n")
    OUT.flush()


def _json(doc: Any) -> None:
    _print(json.dumps(doc, indent=2, default=str, ensure_ascii=False))


class CliError(Exception):
    """A one-line reason; exit status 2, no traceback."""


# ---------------------------------------------------------------------------- validate
def cmd_validate(args: argparse.Namespace) -> int:
    from advocacy_notify.domain.authorities import AuthorityDirectory
    from advocacy_notify.domain.ofsted import FileUnreadable, open_ofsted
    from advocacy_notify.domain.pipeline import Collector, process

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    try:
        with open_ofsted(path, path.name, sheet=args.sheet) as file:
            collected = Collector().add_all(process(file, AuthorityDirectory.default()))
            report = {
                "file": str(path),
                "format": file.format,
                "sheet": file.sheet,
                "header_row": file.header_row,
                **collected.report(),
            }
    except FileUnreadable as exc:
        raise CliError(f"{path.name}: {exc.reason}") from None
    if args.json:
        _json(report)
    else:
        _print(
            f"{path.name}: {report['rows_read']} rows read, "
            f"{len(report['homes'])} in-scope Inadequate homes, "
            f"{len(report['cases'])} cases, {report['skipped']} skipped, {len(report['rejected'])} rejected"
        )
        for r in report["rejected"][:20]:
            _print(f"  rejected row {r['row']}: {'; '.join(r['errors'])}")
        for u in report["unresolved_authorities"]:
            _print(f"  {u['status']} authority: {u['input']!r} (homes {', '.join(u['urns'])})")
        if report["homes_without_placing_authority"]:
            _print(f"  {len(report['homes_without_placing_authority'])} homes with no placing authority")
    return 0


# ---------------------------------------------------------------------------- authorities
def cmd_resolve(args: argparse.Namespace) -> int:
    from advocacy_notify.domain.authorities import AuthorityDirectory

    directory = AuthorityDirectory.default()
    results = [directory.resolve(n) for n in args.names]
    if args.json:
        _json([r.model_dump() for r in results])
    else:
        for r in results:
            if r.status == "resolved":
                _print(f"{r.input!r}: {r.name} ({r.gss_code})")
            else:
                cands = ", ".join(f"{c.name} ({c.gss_code})" for c in r.candidates)
                _print(f"{r.input!r}: {r.status}" + (f" - could be {cands}" if cands else ""))
    return 0


# ---------------------------------------------------------------------------- run / demo
def _run(files: list[Path], args: argparse.Namespace, responses_path: Path | None) -> dict[str, Any]:
    from .env import OfflineEnv
    from .faults import FaultPlan, FaultSpecError, load_faults
    from .outbox import write_outbox
    from .run import ResponseScriptError, Runner, RunOptions, TwinError, load_responses

    for f in files:
        if not f.is_file():
            raise CliError(f"{f}: no such file")
    try:
        responses = load_responses(responses_path)
    except ResponseScriptError as exc:
        raise CliError(str(exc)) from None
    try:
        plan = load_faults(Path(args.faults)) if getattr(args, "faults", None) else FaultPlan([])
    except FaultSpecError as exc:
        raise CliError(str(exc)) from None
    quiet = args.json or getattr(args, "quiet", False)

    def progress(message: str) -> None:
        if not quiet:
            sys.stderr.write(f"  {message}\n")
            sys.stderr.flush()

    start = date.fromisoformat(args.start_date) if args.start_date else None
    options = RunOptions(
        start=start,
        pace_seconds_per_day=args.day_seconds,
        outbox=args.outbox,
        progress=progress,
        log_path=Path(args.log) if args.log else None,
        faults=plan,
    )
    try:
        with OfflineEnv(
            start=start, pace_seconds_per_day=args.day_seconds, log_path=options.log_path, faults=plan
        ) as env:
            runner = Runner(env, responses, options)
            result = runner.run(files, args.key)
            if args.outbox:
                write_outbox(env, Path(args.outbox), result)
    except TwinError as exc:
        raise CliError(f"the offline run failed: {exc}") from None
    return result


def _write_outputs(result: dict[str, Any], args: argparse.Namespace) -> None:
    """--report: the monthly report's figures for this run; the run's JSON for `advocacy dashboard`."""
    from . import report

    if getattr(args, "report", None):
        report.write_csv(report.report_for_run(result), Path(args.report), report.COLUMNS)
    last = Path(".advocacy") / "last_run.json"
    last.parent.mkdir(parents=True, exist_ok=True)
    last.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")


def cmd_run(args: argparse.Namespace) -> int:
    result = _run([Path(f) for f in args.files], args, Path(args.responses) if args.responses else None)
    _write_outputs(result, args)
    if args.json:
        _json(result)
    else:
        from .summary import print_summary

        print_summary(result, _print)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from . import demo

    args.key = None
    result = _run([demo.DEMO_FILE], args, demo.DEMO_RESPONSES)
    _write_outputs(result, args)
    if args.json:
        _json(result)
    else:
        from .summary import print_summary

        print_summary(result, _print)
        if args.outbox:
            _print(f"\nOutbox: {Path(args.outbox) / 'index.html'} ({result['totals']['emails']['total']} emails)")
    return 0


# ---------------------------------------------------------------------------- serve
def cmd_serve(args: argparse.Namespace) -> int:
    from . import demo
    from .run import ResponseScriptError, load_responses
    from .serve import ServeError, ServeOptions, serve

    try:
        responses = load_responses(Path(args.responses) if args.responses else None)
    except ResponseScriptError as exc:
        raise CliError(str(exc)) from None
    options = ServeOptions(
        files=[Path(args.file)] if args.file else [demo.DEMO_FILE],
        port=args.port,
        moto_port=args.moto_port,
        day_seconds=args.day_seconds,
        responses=responses,
        outbox=Path(args.outbox) if args.outbox else None,
        state_dir=Path(args.state_dir),
    )
    try:
        return serve(options, _print)
    except ServeError as exc:
        raise CliError(str(exc)) from None


# ---------------------------------------------------------------------------- parser
def _run_options(p: argparse.ArgumentParser, default_outbox: str | None, day_seconds: float = 0.0) -> None:
    p.add_argument(
        "--day-seconds",
        type=float,
        default=day_seconds,
        help=f"pace: real seconds per simulated day, for watching (default {day_seconds:g}: as fast as it can). "
        "The result never depends on it",
    )
    p.add_argument("--faults", help="JSON list of faults to inject (docs/reliability.md)")
    p.add_argument("--start-date", help="simulated date of the first email, YYYY-MM-DD (default today)")
    p.add_argument("--outbox", default=default_outbox, help="write every email as .eml plus index.html here")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--log", help="where the functions' logs go (default .advocacy/lambda.log)")
    p.add_argument("--report", help="also write the monthly report's figures for this run to this CSV file")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="advocacy", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="parse, filter, validate and resolve an Ofsted file (no AWS)")
    p.add_argument("file")
    p.add_argument("--sheet", help="workbook sheet to read (default: the first with the needed columns)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("authorities", help="the local authority directory")
    asub = p.add_subparsers(dest="authorities_command", required=True)
    r = asub.add_parser("resolve", help="resolve names or codes to local authorities")
    r.add_argument("names", nargs="+")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_resolve)

    p = sub.add_parser("run", help="run the whole workflow offline")
    p.add_argument("files", nargs="+")
    p.add_argument("--key", help="object key under incoming/ (default: the file's name)")
    p.add_argument(
        "--responses",
        help="JSON: authority -> {respond_on_day, answer, advocacy_before_contact} "
        "or {bounce: permanent|transient|complaint}",
    )
    _run_options(p, None)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="the bundled realistic file and response script, run offline")
    _run_options(p, "outbox", day_seconds=0.2)  # a few seconds a week: slow enough to read the progress
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="the outbox and the real answer pages on localhost, to answer as a council would")
    p.add_argument("--port", type=int, default=8787, help="web server port on 127.0.0.1 (default 8787)")
    p.add_argument("--moto-port", type=int, help="moto server port, for scripts in other processes (default port+1)")
    p.add_argument("--day-seconds", type=float, default=86400.0, help="real seconds per day (default 86400: real time)")
    p.add_argument("--file", help="the Ofsted file to upload (default: the bundled demo file)")
    p.add_argument("--responses", help="JSON: authority -> {respond_on_day, answer} (default: nobody answers)")
    p.add_argument("--outbox", help="where the outbox is written (default STATE_DIR/outbox)")
    p.add_argument(
        "--state-dir", default=".advocacy/serve", help="log, outbox and serve.json (default .advocacy/serve)"
    )
    p.set_defaults(func=cmd_serve)

    from . import dashboard, report, staff

    dashboard.register(sub)
    report.register(sub)
    staff.register(sub)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CliError as exc:
        sys.stderr.write(f"advocacy: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
