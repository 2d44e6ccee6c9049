"""The full-chase benchmark (issue 9): a provisional file that nobody answers, run through the offline twin.

Every case must get its whole chase, in order and on time, and close as unresolved: the first email at once,
each reminder and the escalation on the morning (09:00 UK, paced under the SES rate) of the working day after
the previous stage's reply-by date. `check` says what is wrong, case by case; `run` measures the run's wall
time against the CPU it spent, by layer (`cpu_ledger`), and against the handlers' own CPU.

    .venv/bin/python -m bench.full_chase [HOMES]     # HOMES x 2 cases (default 100: 200 cases, 800 emails)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from bench import gen  # noqa: E402
from bench.cpu_ledger import CLIENT, CpuLedger  # noqa: E402

START = dt.date(2026, 11, 24)  # a Tuesday; the run's simulated time starts at 09:00 UTC on it
PER_HOME = 2
SEED = 20261125


def write_file(path: Path, homes: int, per_home: int = PER_HOME) -> dict[str, Any]:
    """A provisional CSV of `homes` homes, each placed by `per_home` distinct authorities; its expected counts."""
    g = gen.Generator(seed=SEED, anchor=START)
    gen.write_csv(path, g.chase_rows(homes, per_home))
    return {"path": str(path), "bytes": path.stat().st_size, **g.stats.summary()}


def expected_emails(first_sent: dt.date, timers: Any) -> list[tuple[str, int, dt.datetime | None]]:
    """(kind, stage, not before) for every email of a silent case: the stage plan's kinds, each after the one
    before it has timed out (`fires_at`, 09:00 UK on a working day); the first goes at once."""
    from advocacy_notify.domain.schedule import plan_stage

    plans = [plan_stage(stage, first_sent, timers) for stage in range(timers.stages)]
    return [(p.kind.value, p.stage, plans[p.stage - 1].fires_at if p.stage else None) for p in plans]


def check(result: dict[str, Any], expected_cases: int, timers: Any) -> list[str]:
    """Every way the run's JSON falls short of a silent full chase: an empty list when every email is right."""
    from advocacy_notify.domain.clock import parse_iso, uk_date

    problems = []
    cases = result["cases"]
    if len(cases) != expected_cases:
        problems.append(f"{len(cases)} cases, not {expected_cases}")
    for case in cases:
        cid = case["case_id"]
        if case["status"] != "unresolved":
            problems.append(f"{cid}: {case['status']}, not unresolved")
        if case["answer"] is not None:
            problems.append(f"{cid}: answered {case['answer']}")
        emails = case["emails"]
        if not emails or case["first_sent"] is None:
            problems.append(f"{cid}: no first email")
            continue
        plan = expected_emails(dt.date.fromisoformat(case["first_sent"]), timers)
        got = [(e["kind"], e["stage"]) for e in emails]
        if got != [(kind, stage) for kind, stage, _ in plan]:
            problems.append(f"{cid}: emails {got}, not {[(k, s) for k, s, _ in plan]}")
            continue
        sent = [parse_iso(e["sent_at"]) for e in emails]
        if sent != sorted(sent) or uk_date(sent[0]).isoformat() != case["first_sent"]:
            problems.append(f"{cid}: emails dated out of order, or the first not on first_sent")
        for e, at, (_kind, stage, not_before) in zip(emails, sent, plan, strict=True):
            if not_before is not None and (at < not_before or uk_date(at) != uk_date(not_before)):
                problems.append(f"{cid}: stage {stage} sent {e['sent_at']}, due {not_before.isoformat()}")
            if e["state"] != "sent" or not e["to"]:
                problems.append(f"{cid}: stage {stage} is {e['state']}, to {len(e['to'])} recipients")
            if sorted(e["delivery"]) != sorted(e["to"]) or set(e["delivery"].values()) != {"delivered"}:
                problems.append(f"{cid}: stage {stage} delivery {sorted(set(e['delivery'].values()))}")
    totals = result["totals"]
    if totals["emails"]["total"] != expected_cases * timers.stages or totals["emails_sent_by_ses"] != (
        expected_cases * timers.stages
    ):
        problems.append(f"emails: {totals['emails']}, SES sent {totals['emails_sent_by_ses']}")
    for key in ("dead_letter_messages", "queued_messages", "still_running", "poller_errors", "failed_events"):
        if totals[key]:
            problems.append(f"totals.{key} = {totals[key]}")
    if totals["function_errors"] or totals["script_errors"]:
        problems.append(f"function errors {totals['function_errors']}, script errors {totals['script_errors']}")
    return problems


@dataclass
class ChaseRun:
    result: dict[str, Any]
    wall_s: float  # upload to the run's end (set-up excluded)
    cpu_s: float  # this process's CPU over the same span, every thread
    setup_s: float
    layers_s: dict[str, float]  # CPU by layer (cpu_ledger); "unattributed": what no layer caught
    handler_cpu_s: float  # the handlers' own CPU: their code, not the AWS calls they make
    handler_cpu_with_aws_s: float  # the handlers' CPU with their AWS calls as the twin answers them in-process
    handler_cpu_by_function: dict[str, float] = field(default_factory=dict)
    invocations: dict[str, int] = field(default_factory=dict)
    aws_calls: int = 0  # requests through botocore clients (the handlers', the twin's and the runner's)
    timers: Any = None


def run(path: Path, *, log_path: Path, ledger: bool = True) -> ChaseRun:
    """One full chase of the file through `Runner` (nobody answers), timed; raises TwinError if the twin fails."""
    from advocacy_notify.domain.schedule import Timers
    from advocacy_offline.env import OfflineEnv
    from advocacy_offline.run import Runner, RunOptions

    started = time.perf_counter()
    with OfflineEnv(start=START, log_path=log_path) as env:
        timers = Timers.from_settings(
            env.parameter("ReminderWorkingDays"),
            int(env.parameter("EscalationWorkingDays")),
            int(env.parameter("FinalWorkingDays")),
        )
        setup_s = time.perf_counter() - started
        book = CpuLedger()
        calls_before = len(env.calls)
        runner = Runner(env, {}, RunOptions(start=START))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if ledger:
            with book.installed():
                result = runner.run([path])
        else:
            result = runner.run([path])
        wall_s, cpu_s = time.perf_counter() - wall0, time.process_time() - cpu0
        calls = env.calls[calls_before:]
    layers = book.report()
    layers["unattributed"] = round(cpu_s - sum(layers.values()), 3) if ledger else 0.0
    return ChaseRun(
        result=result,
        wall_s=wall_s,
        cpu_s=cpu_s,
        setup_s=setup_s,
        layers_s=layers,
        handler_cpu_s=sum(book.handler_seconds().values()),
        handler_cpu_by_function={k: round(v, 3) for k, v in book.handler_seconds().items()},
        handler_cpu_with_aws_s=sum(c.cpu_seconds for c in calls),
        invocations=dict(sorted(Counter(c.function for c in calls).items())),
        aws_calls=book.entries[CLIENT],
        timers=timers,
    )


def main(argv: list[str]) -> int:
    homes = int(argv[0]) if argv else 100
    folder = PROJECT / "bench" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"full_chase_{homes * PER_HOME}_cases.csv"
    expected = write_file(path, homes)["expected_cases"]
    chase = run(path, log_path=folder / "full-chase-lambda.log")
    problems = check(chase.result, expected, chase.timers)
    # the run's JSON, to compare runs byte for byte (it holds no real-time figure)
    path.with_name(path.stem + "_result.json").write_text(json.dumps(chase.result, indent=1, sort_keys=True) + "\n")
    n = len(chase.result["cases"])
    print(
        json.dumps(
            {
                "cases": n,
                "cases_per_s": round(n / chase.wall_s, 3),
                "wall_s": round(chase.wall_s, 2),
                "cpu_s": round(chase.cpu_s, 2),
                "handler_cpu_s": round(chase.handler_cpu_s, 2),
                "handler_cpu_with_aws_s": round(chase.handler_cpu_with_aws_s, 2),
                "aws_calls": chase.aws_calls,
                "layers_s": chase.layers_s,
                "handler_cpu_by_function": chase.handler_cpu_by_function,
                "invocations": chase.invocations,
                "problems": problems[:10],
            },
            indent=1,
        )
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
