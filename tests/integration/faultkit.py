"""The reliability tests' kit: small Ofsted files, one offline run with faults and a response script, and what
staff see afterwards (statuses, work items, alerts, emails per case and stage, the reconciler's metrics).

A test opens a `Trial` (the offline twin on its virtual clock, with FAULTS.json entries and a response script),
uploads, lets the system run (`run` to the end, or `settle` up to a simulated moment), then looks. Nothing
sleeps or polls. Each test hands its figures to `record(...)`: they are printed and appended to
`.advocacy/reliability/figures.jsonl`, where docs/reliability.md's figures come from.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from advocacy_offline.env import OfflineEnv
from advocacy_offline.faults import FaultPlan, parse_faults
from advocacy_offline.lambdas import SINK
from advocacy_offline.run import Runner, RunOptions, ScriptedResponse, check_promises, load_responses
from advocacy_offline.stack import ACCOUNT, REGION

from bench.gen import HEADER  # the provisional file's columns, as the benchmark's files have them
from tests.conftest import provisional_csv

PROJECT = Path(__file__).resolve().parents[2]
FIGURES = Path(os.environ.get("ADVOCACY_RELIABILITY_FIGURES", PROJECT / ".advocacy" / "reliability" / "figures.jsonl"))

# Five cases: one home placed by three West Yorkshire authorities, another by two.
HOMES = [("SC800001", "Fault House", "Leeds; Bradford; Wakefield"), ("SC800002", "Mill House", "Kirklees; Calderdale")]
LEEDS, BRADFORD, WAKEFIELD, KIRKLEES, CALDERDALE = "E08000035", "E08000032", "E08000036", "E08000034", "E08000033"


# ------------------------------------------------------------------------------------------- files
def provisional_file(
    path: Path, homes: list[tuple[str, str, str]], *, rating_date: str = "02/11/2026", title_rows: int = 2
) -> Path:
    """A provisional file in the wide layout: (urn, name, 'LA1; LA2') per home (tests/conftest.py writes it)."""
    return provisional_csv(path, homes, date=rating_date, title_rows=title_rows)


def long_file(path: Path, rows: list[tuple[str, str, str]], *, rating_date: str = "02/11/2026") -> Path:
    """A provisional file in the long layout: one row per (urn, name, placing authority), in the order given."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([*HEADER[:-1], "Placing authority"])
    for urn, name, la in rows:
        w.writerow([urn, name, "Children's home", "Active", "Leeds", "Inadequate", rating_date, la])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------- a run
@dataclass
class Trial:
    """One offline run, open: the environment, the runner (the response script and SES's events) and the faults."""

    env: OfflineEnv
    runner: Runner
    plan: FaultPlan
    tmp: Path
    extra_keys: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ driving it
    def run(self, *paths: Path) -> dict[str, Any]:
        """Upload the files (after any poison message) and run until every case is closed or waits for staff."""
        return self.runner.run(list(paths))

    def upload(self, path: Path, key: str | None = None) -> str:
        """Upload now (ingest runs at once); the file's cases are part of `result()`."""
        object_key = self.env.upload(path, key)
        self.runner.uploads.append(object_key)
        return object_key

    def upload_at(self, when: datetime, path: Path, key: str | None = None) -> None:
        """Upload at a simulated moment, as Ofsted would drop a file later in the run."""
        self.env.clock.call_at(when, lambda: self.upload(path, key))

    def at(self, when: datetime, action: Callable[[], Any]) -> None:
        """Do something (a staff action) at a simulated moment, between the system's activities."""

        def act() -> None:
            with self.env.reading():
                action()

        self.env.clock.call_at(when, act)

    def settle(self, until: datetime | None = None, done: Callable[[], bool] | None = None) -> datetime:
        """Run until the runner has nothing left (or `done()`), or simulated time would pass `until`."""
        return self.env.settle(done=done or self.runner.finished, until=until, on_idle=self.runner.schedule_new)

    def result(self, *, check: bool = True) -> dict[str, Any]:
        """The run JSON (`advocacy run --json`); `check`: the twin's own promises (emails in order, nothing
        chased without a workflow or a work item)."""
        result = self.runner.result()
        if check:
            with self.env.reading() as services:
                work = services.work.all()
            check_promises(result, set(self.env.running()), work)
        return result

    # ------------------------------------------------------------------ looking
    def services(self) -> Any:
        return self.env.services()

    def work(self, kind: str | None = None, *, state: str | None = None) -> list[dict[str, Any]]:
        with self.env.reading() as services:
            items = services.work.all()
        return [w for w in items if (kind is None or w["kind"] == kind) and (state is None or w.get("state") == state)]

    def case(self, case_id: str) -> Any:
        with self.env.reading() as services:
            return services.cases.get(case_id)

    def history(self, case_id: str) -> Any:
        with self.env.reading() as services:
            return services.cases.history(case_id)

    def alerts(self, subject: str = "") -> list[dict[str, Any]]:
        """Every staff alert published on the alert topic (subject containing `subject`), with its detail."""
        from moto.sns.models import sns_backends

        topic = sns_backends[ACCOUNT][REGION].topics[self.env.stack.outputs["AlertTopicArn"]]
        out = []
        for _id, message, subj, _attrs, _group in topic.sent_notifications:
            if subject in (subj or ""):
                try:
                    detail = json.loads(message)
                except ValueError:
                    detail = {"message": message}
                out.append({"subject": subj, **(detail if isinstance(detail, dict) else {"message": detail})})
        return out

    def ses_accepted(self) -> Counter[tuple[str, int]]:
        """Emails SES accepted, per (case id, stage), from SES itself (moto's sent messages)."""
        counts: Counter[tuple[str, int]] = Counter()
        for msg in self.env.sent_emails():
            head = (getattr(msg, "raw_data", "") or "").split("\r\n\r\n", 1)[0] + "\r\n\r\n"
            parsed = email.message_from_string(head, policy=email.policy.default)
            case_id, stage = parsed.get("X-Advocacy-Case-Id"), parsed.get("X-Advocacy-Stage")
            if case_id and stage is not None:
                counts[(str(case_id), int(str(stage)))] += 1
        return counts

    def email_texts(self, case_id: str) -> dict[int, str]:
        """The plain-text body of each email SES accepted for a case, per stage (the last one sent)."""
        texts: dict[int, str] = {}
        for msg in self.env.sent_emails():
            parsed = email.message_from_string(getattr(msg, "raw_data", "") or "", policy=email.policy.default)
            if str(parsed.get("X-Advocacy-Case-Id")) != case_id:
                continue
            part = parsed.get_body(preferencelist=("plain",))
            assert part is not None, f"an email of {case_id} has no plain-text part"
            texts[int(str(parsed.get("X-Advocacy-Stage")))] = " ".join(part.get_content().split())
        return texts

    def duplicates(self) -> int:
        """Emails SES accepted beyond the first for the same case and stage."""
        return sum(n - 1 for n in self.ses_accepted().values() if n > 1)

    def metric(self, name: str) -> float:
        """The sum of an EMF metric the functions emitted (what CloudWatch would chart)."""
        total = 0.0
        for doc in SINK.metrics:
            if name in doc:
                value = doc[name]
                total += sum(value) if isinstance(value, list) else float(value)
        return total

    def fired(self) -> list[int]:
        return [int(f["fired"]) for f in self.plan.report()]

    def function_errors(self, function: str) -> list[str]:
        return [c.error for c in self.env.calls if c.function == function and c.error]


@contextmanager
def trial(
    tmp_path: Path,
    *,
    start: date | datetime = date(2026, 11, 24),
    faults: list[dict[str, Any]] | None = None,
    responses: dict[str, dict[str, Any]] | None = None,
    extra_parameters: dict[str, str] | None = None,
) -> Iterator[Trial]:
    """An offline run with these FAULTS.json entries and this response script (authority -> response)."""
    plan = parse_faults(faults or [])
    script: dict[str, ScriptedResponse] = {}
    if responses:
        path = tmp_path / "responses.json"
        path.write_text(json.dumps(responses), encoding="utf-8")
        script = load_responses(path)
    with OfflineEnv(
        start=start, log_path=tmp_path / "lambda.log", faults=plan, extra_parameters=extra_parameters
    ) as env:
        yield Trial(env, Runner(env, script, RunOptions(faults=plan)), plan, tmp_path)


# ------------------------------------------------------------------------------------------- figures
def by_case(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["case_id"]: c for c in result["cases"]}


def lost_cases(result: dict[str, Any], work: list[dict[str, Any]]) -> list[str]:
    """Cases of the uploaded files that no email reached and no open staff work item names: lost."""
    flagged = {str(w.get("case_id")) for w in work if w.get("state") == "open"}
    return sorted(c["case_id"] for c in result["cases"] if not c["emails"] and c["case_id"] not in flagged)


def record(fault: str, **figures: Any) -> None:
    """A row of the fault table: printed, and appended to FIGURES (docs/reliability.md takes its numbers there)."""
    row = {"fault": fault, **figures}
    print(json.dumps(row, default=str))
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a", encoding="utf-8") as out:
        out.write(json.dumps(row, default=str) + "\n")
