"""The `advocacy` command line (typer): validate, authorities resolve, run, demo, serve, and, registered from
their own modules, report, dashboard and the staff commands (cases, work, directory, dlq).

It only parses, calls and prints (`console`). Exit codes: 0 done; 1 ran, but some input rows were refused
(`directory import`); 2 a one-line reason on stderr (a file that cannot be read, a bad option, an unreachable
stack); 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import console, dashboard, report, staff
from .console import CliError
from .options import JsonFlag

if TYPE_CHECKING:
    from .faults import FaultPlan
    from .run import ScriptedResponse

app = typer.Typer(
    name="advocacy",
    help="Asks every placing local authority to confirm advocacy for children in homes Ofsted provisionally rates "
    "Inadequate. Offline, the whole system runs on this machine (moto, from template.yaml); the staff commands act "
    "on a deployed stack or on advocacy serve.",
    epilog="Exit codes: 0 done; 1 ran, but some input rows were refused; 2 a one-line reason on stderr; "
    "130 interrupted. README.md shows each command; docs/runbook.md the staff commands at work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # an unexpected error is a plain traceback, with no local variables shown
)
authorities = typer.Typer(name="authorities", help="The local authority directory.", no_args_is_help=True)

OFFLINE = "Offline: files, runs and the local system"
STAFF = "Staff: a deployed stack, or the local advocacy serve"
RUN_PANEL = "The run"
app.add_typer(authorities, rich_help_panel=OFFLINE)


# ---------------------------------------------------------------------------- validate
@app.command(rich_help_panel=OFFLINE)
def validate(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An Ofsted file: CSV, XLSX or ODS.")],
    sheet: Annotated[
        str | None, typer.Option(help="Workbook sheet to read (default: the first with the needed columns).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Parse, filter, validate and resolve an Ofsted file (no AWS).

    Exit 0 when the file was read, even with rejected rows; 2, with a one-line reason, when it cannot be read.
    """
    from advocacy_notify.domain.authorities import AuthorityDirectory
    from advocacy_notify.domain.ofsted import FileUnreadable, open_ofsted
    from advocacy_notify.domain.pipeline import Collector, process

    if not file.is_file():
        raise CliError(f"{file}: no such file")
    try:
        with open_ofsted(file, file.name, sheet=sheet) as opened:
            collected = Collector().add_all(process(opened, AuthorityDirectory.default()))
            doc = {
                "file": str(file),
                "format": opened.format,
                "sheet": opened.sheet,
                "header_row": opened.header_row,
                **collected.report(),
            }
    except FileUnreadable as exc:
        raise CliError(f"{file.name}: {exc.reason}") from None
    if as_json:
        console.say_json(doc)
        return
    console.say(
        f"{file.name}: {doc['rows_read']} rows read, {len(doc['homes'])} in-scope Inadequate homes, "
        f"{len(doc['cases'])} cases, {doc['skipped']} skipped, {len(doc['rejected'])} rejected"
    )
    for r in doc["rejected"][:20]:
        console.say(f"  rejected row {r['row']}: {'; '.join(r['errors'])}")
    for u in doc["unresolved_authorities"]:
        console.say(f"  {u['status']} authority: {u['input']!r} (homes {', '.join(u['urns'])})")
    if doc["homes_without_placing_authority"]:
        console.say(f"  {len(doc['homes_without_placing_authority'])} homes with no placing authority")


# ---------------------------------------------------------------------------- authorities
@authorities.command("resolve")
def authorities_resolve(
    names: Annotated[list[str], typer.Argument(metavar="NAME", help="Names, GSS codes or DfE codes.")],
    as_json: JsonFlag = False,
) -> None:
    """Resolve names or codes to local authorities: resolved, ambiguous (with candidates) or unknown."""
    from advocacy_notify.domain.authorities import AuthorityDirectory

    directory = AuthorityDirectory.default()
    results = [directory.resolve(n) for n in names]
    if as_json:
        console.say_json([r.model_dump() for r in results])
        return
    for r in results:
        if r.status == "resolved":
            console.say(f"{r.input!r}: {r.name} ({r.gss_code})")
        else:
            cands = ", ".join(f"{c.name} ({c.gss_code})" for c in r.candidates)
            console.say(f"{r.input!r}: {r.status}" + (f" - could be {cands}" if cands else ""))


# ---------------------------------------------------------------------------- run / demo
@dataclass(frozen=True)
class RunRequest:
    """What `run` and `demo` share: the options of an offline run."""

    day_seconds: float
    faults: Path | None
    start_date: str | None
    outbox: Path | None
    as_json: bool
    log: Path | None
    report: Path | None


def _run_option(metavar: str, help_text: str, *names: str) -> Any:
    return typer.Option(*names, metavar=metavar, help=help_text, rich_help_panel=RUN_PANEL)


DaySeconds = Annotated[
    float,
    typer.Option(
        min=0,
        help="Pace: real seconds per simulated day, for watching (0: as fast as it can). The result never depends "
        "on it.",
        rich_help_panel=RUN_PANEL,
    ),
]
Faults = Annotated[Path | None, _run_option("FAULTS.json", "A JSON list of faults to inject (docs/reliability.md).")]
StartDate = Annotated[str | None, _run_option("YYYY-MM-DD", "Simulated date of the first email (default today).")]
Outbox = Annotated[Path | None, _run_option("DIR", "Write every email as .eml, plus index.html, here.")]
Log = Annotated[Path | None, _run_option("FILE", "Where the functions' logs go (default .advocacy/lambda.log).")]
ReportCsv = Annotated[
    Path | None,
    _run_option("FILE.csv", "Also write the monthly report's figures for this run to this CSV file.", "--report"),
]


def _load_inputs(
    responses_path: Path | None, faults_path: Path | None
) -> tuple[dict[str, ScriptedResponse], FaultPlan]:
    from .faults import FaultPlan, FaultSpecError, load_faults
    from .run import ResponseScriptError, load_responses

    try:
        responses = load_responses(responses_path)
        plan = load_faults(faults_path) if faults_path else FaultPlan([])
    except (ResponseScriptError, FaultSpecError) as exc:
        raise CliError(str(exc)) from None
    return responses, plan


def _run(files: list[Path], key: str | None, responses_path: Path | None, request: RunRequest) -> dict[str, Any]:
    from .env import OfflineEnv
    from .outbox import write_outbox
    from .run import Runner, RunOptions, TwinError

    for f in files:
        if not f.is_file():
            raise CliError(f"{f}: no such file")
    responses, plan = _load_inputs(responses_path, request.faults)
    try:
        start = date.fromisoformat(request.start_date) if request.start_date else None
    except ValueError:
        raise CliError(f"--start-date must be YYYY-MM-DD, not {request.start_date!r}") from None

    def progress(message: str) -> None:
        if not request.as_json:
            console.note(f"  {message}")

    options = RunOptions(
        start=start,
        pace_seconds_per_day=request.day_seconds,
        outbox=request.outbox,
        progress=progress,
        log_path=request.log,
        faults=plan,
    )
    try:
        with OfflineEnv(
            start=start, pace_seconds_per_day=request.day_seconds, log_path=request.log, faults=plan
        ) as env:
            result = Runner(env, responses, options).run(files, key)
            if request.outbox:
                write_outbox(env, request.outbox, result)
    except TwinError as exc:
        raise CliError(f"the offline run failed: {exc}") from None
    return result


def _finish(result: dict[str, Any], request: RunRequest) -> None:
    """--report: the monthly report's figures for this run; the run's JSON for `advocacy dashboard`; then the
    JSON or the readable summary."""
    from .summary import print_summary

    if request.report:
        report.write_csv(report.report_for_run(result), request.report, report.COLUMNS)
    dashboard.LAST_RUN.parent.mkdir(parents=True, exist_ok=True)
    dashboard.LAST_RUN.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    if request.as_json:
        console.say_json(result)
    else:
        print_summary(result)


@app.command(rich_help_panel=OFFLINE)
def run(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="Ofsted files, uploaded in turn.")],
    key: Annotated[str | None, typer.Option(help="Object key under incoming/ (default: the file's name).")] = None,
    responses: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE.json",
            help="Authority -> {respond_on_day, answer, advocacy_before_contact} or "
            "{bounce: permanent|transient|complaint}. An authority not listed never answers.",
        ),
    ] = None,
    faults: Faults = None,
    day_seconds: DaySeconds = 0.0,
    start_date: StartDate = None,
    outbox: Outbox = None,
    as_json: JsonFlag = False,
    log: Log = None,
    report_csv: ReportCsv = None,
) -> None:
    """Run the whole workflow offline.

    Each file is uploaded in turn under incoming/KEY; authorities answer as scripted.

    It ends when every case is closed or waiting past its final deadline. The result depends only on the inputs.
    """
    request = RunRequest(day_seconds, faults, start_date, outbox, as_json, log, report_csv)
    _finish(_run(files, key, responses, request), request)


@app.command(rich_help_panel=OFFLINE)
def demo(
    faults: Faults = None,
    day_seconds: DaySeconds = 0.2,  # a few seconds a week: slow enough to read the progress
    start_date: StartDate = None,
    outbox: Outbox = Path("outbox"),
    as_json: JsonFlag = False,
    log: Log = None,
    report_csv: ReportCsv = None,
) -> None:
    """The bundled realistic file and response script, run offline.

    It ends with a readable summary and an outbox of the emails (.eml files and an index.html).
    """
    from . import demo as bundled

    request = RunRequest(day_seconds, faults, start_date, outbox, as_json, log, report_csv)
    result = _run([bundled.DEMO_FILE], None, bundled.DEMO_RESPONSES, request)
    _finish(result, request)
    if outbox and not as_json:
        console.say(f"\nOutbox: {outbox / 'index.html'} ({result['totals']['emails']['total']} emails)")


# ---------------------------------------------------------------------------- serve
@app.command(rich_help_panel=OFFLINE)
def serve(
    port: Annotated[int, typer.Option(help="Web server port on 127.0.0.1.")] = 8787,
    moto_port: Annotated[
        int | None, typer.Option(help="moto server port, for scripts in other processes (default port+1).")
    ] = None,
    day_seconds: Annotated[
        float, typer.Option(min=0, help="Real seconds per simulated day (86400: real time).")
    ] = 86400.0,
    file: Annotated[
        Path | None, typer.Option(metavar="FILE", help="The Ofsted file to upload (default: the bundled demo file).")
    ] = None,
    responses: Annotated[
        Path | None,
        typer.Option(metavar="FILE.json", help="Authority -> {respond_on_day, answer} (default: nobody answers)."),
    ] = None,
    outbox: Annotated[
        Path | None, typer.Option(metavar="DIR", help="Where the outbox is written (default STATE_DIR/outbox).")
    ] = None,
    state_dir: Annotated[
        Path,
        typer.Option(metavar="STATE_DIR", help="The log, the outbox and serve.json (the staff commands' --local)."),
    ] = Path(".advocacy/serve"),
) -> None:
    """The outbox and the real answer pages on localhost, to answer as a council would.

    It runs until Ctrl-C. The staff commands' --local acts on the system it runs (STATE_DIR/serve.json).
    """
    from . import demo as bundled
    from .serve import ServeError, ServeOptions
    from .serve import serve as serve_forever

    scripted, _ = _load_inputs(responses, None)
    options = ServeOptions(
        files=[file or bundled.DEMO_FILE],
        port=port,
        moto_port=moto_port,
        day_seconds=day_seconds,
        responses=scripted,
        outbox=outbox,
        state_dir=state_dir,
    )
    try:
        code = serve_forever(options, console.say)
    except ServeError as exc:
        raise CliError(str(exc)) from None
    if code:
        raise typer.Exit(code)


# ---------------------------------------------------------------------------- the rest, from their modules
report.register(app, STAFF)
dashboard.register(app, OFFLINE)
staff.register(app, STAFF)


def main(argv: Sequence[str] | None = None) -> int:
    """The `advocacy` console command: returns its exit code."""
    console.bind(sys.stdout, sys.stderr)  # before any function redirects sys.stdout into its log
    try:
        app(args=None if argv is None else list(argv), prog_name="advocacy")
    except SystemExit as done:  # how typer ends every command, in its standalone mode
        return done.code if isinstance(done.code, int) else (0 if done.code is None else console.FAILED)
    except CliError as error:
        return console.fail(error)
    return console.OK


if __name__ == "__main__":
    sys.exit(main())
