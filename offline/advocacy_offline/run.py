"""`advocacy run`: upload Ofsted files, let the workflow run on the twin's virtual clock, answer as scripted.

The result depends only on the inputs: emails, dates and statuses are the same whatever the machine's load
and whatever `--day-seconds` (which only paces the run for a person watching). If the twin cannot keep that
promise it stops with `TwinError`, never printing a wrong run as a success.
"""

from __future__ import annotations

import email
import email.policy
import functools
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from advocacy_notify.domain.answers import before_contact_form_value
from advocacy_notify.domain.case import CHASING, Case, CaseStatus
from advocacy_notify.domain.clock import iso, uk_time
from advocacy_notify.domain.models import AnswerKind
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .env import OfflineEnv, TwinStalledError
from .faults import FaultPlan
from .httpapi import form_body, http_event
from .ses_events import SesEventPublisher

LINK = re.compile(r"/respond/([A-Za-z0-9_-]{32})")
EMAIL_ORDER = {"initial": 0, "reminder": 1, "escalation": 2}


class TwinError(RuntimeError):
    """The twin could not keep its promise (a stall, a limit, a broken invariant): the run is not a result."""


class ScriptedResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    respond_on_day: int | None = Field(default=None, ge=0)
    answer: AnswerKind = AnswerKind.CONFIRMED
    children_count: int | None = Field(default=None, ge=0)
    notes: str = ""
    # the habitual-referral question (asked for confirmed and referrals_in_progress); null: "do not know"
    advocacy_before_contact: bool | None = None
    # what SES reports about the authority's first email: a hard bounce, a soft one, or a complaint
    bounce: Literal["permanent", "transient", "complaint"] | None = None

    @field_validator("bounce", mode="before")
    @classmethod
    def _true_is_permanent(cls, value: object) -> object:
        if value is True:
            return "permanent"
        if value is False:
            return None
        return value

    def model_post_init(self, __context: object) -> None:
        if self.respond_on_day is None and self.bounce is None:
            raise ValueError("give respond_on_day (or bounce)")


class ResponseScriptError(ValueError):
    pass


def load_responses(path: Path | None) -> dict[str, ScriptedResponse]:
    """{authority name or GSS code: {respond_on_day, answer, ...}} -> {gss_code: response}."""
    if path is None:
        return {}
    from advocacy_notify.domain.authorities import AuthorityDirectory

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResponseScriptError(f"cannot read responses file {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ResponseScriptError("responses file must be a JSON object of authority -> response")
    directory = AuthorityDirectory.default()
    out: dict[str, ScriptedResponse] = {}
    for name, spec in raw.items():
        match = directory.resolve(str(name))
        if match.status != "resolved" or not match.gss_code:
            raise ResponseScriptError(f"responses: authority {name!r} is {match.status}")
        try:
            out[match.gss_code] = ScriptedResponse.model_validate(spec)
        except ValidationError as exc:
            raise ResponseScriptError(f"responses: {name!r}: {exc.errors()[0]['msg']}") from exc
    return out


@dataclass
class RunOptions:
    start: date | None = None
    pace_seconds_per_day: float = 0.0
    outbox: Path | None = None
    max_days: int = 150  # simulated days after the start at which a run stops, whatever is still open
    max_real_seconds: float = 1800.0
    progress: Callable[[str], None] = lambda _msg: None
    log_path: Path | None = None
    faults: FaultPlan = field(default_factory=lambda: FaultPlan([]))


class Runner:
    def __init__(self, env: OfflineEnv, responses: dict[str, ScriptedResponse], options: RunOptions) -> None:
        self.env = env
        self.responses = responses
        self.options = options
        self.scheduled: set[str] = set()  # cases whose scripted answer is on the clock
        self.pending_answers = 0
        self.uploads: list[str] = []
        self.errors: list[str] = []
        self.ses = SesEventPublisher(env, self._fate)
        self._last_week: date | None = None
        self._started = 0.0

    # ------------------------------------------------------------------ the script
    def _fate(self, case_id: str, recipient: str, stage: int, kind: str) -> str:
        gss = case_id.split("-")[1] if case_id.count("-") >= 2 else ""
        response = self.responses.get(gss)
        if response is None or response.bounce is None or stage != 0 or recipient.startswith("help.at.hand"):
            return "delivered"
        return response.bounce

    @staticmethod
    def due(first_email_at: datetime, first_sent: date, response: ScriptedResponse) -> datetime:
        """Day N counts calendar days from the UK day of the first email (day 0, the day its timers count from);
        the answer comes at midday UK time that day, or at once for day 0."""
        if not response.respond_on_day:
            return first_email_at
        return uk_time(first_sent + timedelta(days=response.respond_on_day), 12)

    def _schedule_answers(self, sent: list[tuple[str, str]]) -> int:
        """Each case with a scripted answer, once its first email has gone: a timer on the clock."""
        scheduled = 0
        for case_id, kind in sent:
            if kind != "initial" or case_id in self.scheduled:
                continue
            self.scheduled.add(case_id)
            with self.env.reading() as services:
                case = services.cases.get(case_id)
            if case is None or case.first_email_at is None or case.first_sent is None:
                continue
            response = self.responses.get(case.gss_code)
            if response is None or response.respond_on_day is None:
                continue
            when = self.due(case.first_email_at, case.first_sent, response)
            self.pending_answers += 1
            self.env.clock.call_at(when, functools.partial(self._answer_now, case, response))
            scheduled += 1
        return scheduled

    def _answer_now(self, case: Case, response: ScriptedResponse) -> None:
        self.pending_answers -= 1
        try:
            status = self.answer(case, response)
        except Exception as exc:  # reported, never silent
            status = 0
            self.errors.append(f"{case.case_id}: {type(exc).__name__}")
        self.options.progress(
            f"{case.la_name} answered {response.answer.value} on {self.env.clock.now():%a %d %b} (HTTP {status})"
        )

    def link_for(self, case_id: str) -> str | None:
        for msg in self.env.sent_emails():
            raw = getattr(msg, "raw_data", None)
            if raw and f"X-Advocacy-Case-Id: {case_id}" in raw:
                parsed = email.message_from_string(raw, policy=email.policy.default)
                body = parsed.get_body(preferencelist=("plain",))
                text = body.get_content() if body is not None else raw
                found = LINK.search(text)
                if found:
                    return found.group(1)
        return None

    def answer(self, case: Case, response: ScriptedResponse) -> int:
        """Answer as the council would: open the link from the email (GET), then send the form (POST)."""
        link = self.link_for(case.case_id)
        if link is None:
            return 0
        path = f"/respond/{link}"
        got = self.env.invoke("RespondFunction", http_event("GET", path))
        if got.get("statusCode") != 200:
            return int(got.get("statusCode", 0))
        count = response.children_count
        if count is None:
            count = 0 if response.answer == "no_children_placed" else 1
        fields = {
            "answer": response.answer.value,
            "children_count": str(count),
            "responder_name": "Scripted responder",
            "responder_role": "Advocacy lead",
            "responder_email": f"advocacy.lead@{case.gss_code.lower()}.example",
            "notes": response.notes,
            "advocacy_before_contact": before_contact_form_value(response.advocacy_before_contact),
        }
        posted = self.env.invoke("RespondFunction", http_event("POST", path, body=form_body(fields)))
        return int(posted.get("statusCode", 0))

    # ------------------------------------------------------------------ the run
    def unsent_first_emails(self) -> int:
        """Cases still waiting for their first email (queued, or paced)."""
        with self.env.reading() as services:
            return len(services.cases.with_status(CaseStatus.QUEUED))

    def schedule_new(self) -> bool:
        """Whenever all is idle: SES's events for the emails sent since, and the scripted answers they start.
        True when something was put on the clock."""
        sent = self.ses.publish_new()
        return len(sent) + self._schedule_answers(sent) > 0

    def _on_idle(self) -> bool:
        if time.monotonic() - self._started > self.options.max_real_seconds:
            raise TwinError(f"the run took more than {self.options.max_real_seconds:g} s of real time")
        acted = self.schedule_new()
        today = self.env.clock.now().date()
        if self._last_week is None or (today - self._last_week).days >= 7:
            running = len(self.env.running())
            self.options.progress(f"week of {today:%a %d %b %Y}: {running} cases still open")
            self._last_week = today
        return acted

    def finished(self) -> bool:
        """Nothing left to happen: no scripted answer or SES event to come, no workflow running, no case still
        waiting for its first email (a case queued with nothing running, its message lost, waits for the
        reconciler to requeue it), and no answer's effect (a staff alert, a resume) still in the outbox for the
        reconciler's next run to deliver."""
        # no engine thread alive means no execution running (cheaper than listing executions at every step)
        if self.pending_answers or self.ses.pending or self.env.clock.busy_threads():
            return False
        with self.env.reading() as services:  # one read between activities, for both questions
            return not services.cases.with_status(CaseStatus.QUEUED) and not services.cases.pending_effects()

    def run(self, files: list[Path], key: str | None = None) -> dict[str, Any]:
        self._started = time.monotonic()
        limit = self.env.clock.now() + timedelta(days=self.options.max_days)
        for poison in self.options.faults.poisons:
            self._queue_poison(poison)
        for path in files:
            object_key = self.env.upload(path, key)
            self.uploads.append(object_key)
            self.options.progress(f"uploaded {object_key}")
        try:
            self.env.settle(done=self.finished, until=limit, on_idle=self._on_idle)
        except TwinStalledError as exc:
            raise TwinError(str(exc)) from exc
        result = self.result()
        with self.env.reading() as services:
            work = services.work.all()
        check_promises(result, set(self.env.running()), work)
        return result

    def _queue_poison(self, poison: Any) -> None:
        """An unparseable message in the authority's message group, before the file's cases."""
        from advocacy_notify.domain.authorities import AuthorityDirectory

        match = AuthorityDirectory.default().resolve(str(poison.authority))
        if match.status != "resolved" or not match.gss_code:
            raise TwinError(f"faults: poison authority {poison.authority!r} is {match.status}")
        self.env.client("sqs").send_message(
            QueueUrl=self.env.stack.queue_url,
            MessageBody="{this is not a case",
            MessageGroupId=match.gss_code,
            MessageDeduplicationId=f"poison-{match.gss_code}",
        )
        poison.fire()

    def case_ids(self, reports: list[dict[str, Any]]) -> list[str]:
        """The cases the uploaded files opened, from their reports (a read per case, never a scan of the
        cases table, which moto answers in time that grows with the whole table)."""
        return sorted({str(c["case_id"]) for r in reports for c in r.get("cases", [])})

    def result(self) -> dict[str, Any]:
        reports = [self.report(k) for k in dict.fromkeys(self.uploads)]
        with self.env.reading() as services:
            histories = [services.cases.history(case_id) for case_id in self.case_ids(reports)]
            work = services.work.all()
            snapshots = services.report.monitoring()
        out_cases: list[dict[str, Any]] = []
        for history in sorted((h for h in histories if h is not None), key=lambda h: h.case.case_id):
            case = history.case
            emails = [
                {
                    "kind": e.kind,
                    "stage": e.stage,
                    "to": list(e.to),
                    "sent_at": iso(e.sent_at) if e.sent_at else None,
                    "state": e.state,
                    "delivery": {r: d.get("status") for r, d in sorted(e.delivery.items())},
                    "complaints": list(e.complaints),
                }
                for e in sorted(history.emails, key=lambda e: e.stage)
                if e.state in {"sent", "uncertain"}
            ]
            out_cases.append(
                {
                    "case_id": case.case_id,
                    "urn": case.urn,
                    "gss_code": case.gss_code,
                    "la_name": case.la_name,
                    "home_name": case.home_name,
                    "rating_date": case.rating_date.isoformat(),
                    "first_sent": case.first_sent.isoformat() if case.first_sent else None,
                    "status": case.status.value,
                    "answer": case.answer.value if case.answer else None,
                    "answered_at": iso(case.answered_at) if case.answered_at else None,
                    "advocacy_before_contact": case.advocacy_before_contact,
                    "working_days_to_answer": case.working_days_to_answer,
                    "reminders_sent": case.reminders_sent,
                    "escalated": case.escalated_at is not None,
                    "joined_ratings": [d.isoformat() for d in case.joined_ratings],
                    "execution_name": case.execution_name,
                    "emails": emails,
                }
            )
        kinds = Counter(str(w["kind"]) for w in work)
        emails_by_kind = Counter(e["kind"] for c in out_cases for e in c["emails"])
        queued, dead = self.env.queue_depths()
        totals = {
            "files": len(dict.fromkeys(self.uploads)),
            "cases": len(out_cases),
            "by_status": dict(sorted(Counter(c["status"] for c in out_cases).items())),
            "emails": {
                "initial": emails_by_kind["initial"],
                "reminder": emails_by_kind["reminder"],
                "escalation": emails_by_kind["escalation"],
                "total": sum(emails_by_kind.values()),
            },
            "emails_sent_by_ses": len(self.env.sent_emails()),
            "ses_refused_over_rate": self.env.ses_rate.refused,
            "staff_work_items": dict(sorted(kinds.items())),
            "dead_letter_messages": dead,
            "queued_messages": queued,
            "still_running": len(self.env.running()),
            "poller_errors": len(self.env.poller_errors),
            # asynchronous events (S3, SNS, schedules) that failed after Lambda's retries
            "failed_events": len(self.env.failed_events),
            "ratings_snapshots": len(snapshots),
            "function_errors": dict(sorted(Counter(c.function for c in self.env.calls if c.error).items())),
            "script_errors": len(self.errors),
        }
        staff = {
            "unresolved_authorities": [w for r in reports for w in r.get("unresolved_authorities", [])],
            "homes_without_placing_authority": sorted(
                {u for r in reports for u in r.get("homes_without_placing_authority", [])}
            ),
            "rejected_rows": [{"key": r["file"]["key"], **row} for r in reports for row in r.get("rejected", [])],
            "unreadable_files": [
                {"key": r["file"]["key"], "reason": r.get("reason")} for r in reports if r.get("status") == "unreadable"
            ],
        }
        totals.update({k: len(v) for k, v in staff.items()})
        work_items = sorted(
            (
                {
                    k: w[k]
                    for k in ("kind", "case_id", "urn", "gss_code", "state", "input", "reason", "role", "snapshot_date")
                    if k in w
                }
                for w in work
            ),
            key=lambda w: (str(w["kind"]), str(w.get("case_id") or w.get("urn") or w.get("input") or "")),
        )
        return {
            "cases": out_cases,
            "work_items": work_items,
            "totals": totals,
            "staff_work_items": {**staff, "work_items": work_items},
            # the latest ratings snapshot's figures, and every snapshot's in order (None: no snapshot uploaded)
            "monitoring": {**snapshots[-1].figures(), "snapshots": [s.figures() for s in snapshots]}
            if snapshots
            else None,
            "faults": self.options.faults.report(),
            "files": [
                {"file": r.get("file"), "status": r.get("status"), "reason": r.get("reason"), **r.get("counts", {})}
                for r in reports
            ],
            "simulated": {"started_at": iso(self.env.start), "stopped_at": iso(self.env.clock.now())},
        }

    def report(self, object_key: str) -> dict[str, Any]:
        doc = self.env.services().files.get_json(self.env.stack.bucket, object_key + ".report.json")
        return doc if isinstance(doc, dict) else {"file": {"key": object_key}, "status": "missing"}


def check_promises(result: dict[str, Any], running: set[str], work: list[dict[str, Any]]) -> None:
    """What every run must show, or the twin failed: each case's emails in order and dated in order, the first
    one an initial email, no stage skipped, none sent after the council answered, and an escalation before a
    case closes unresolved; and every case still being chased has a running workflow or a staff work item."""
    problems = []
    flagged = {str(w.get("case_id")) for w in work if w.get("state") == "open"}
    chasing = {s.value for s in CHASING}
    for case in result["cases"]:
        emails = case["emails"]
        kinds = [EMAIL_ORDER.get(e["kind"], 9) for e in emails]
        if kinds != sorted(kinds) or [e["stage"] for e in emails] != sorted(e["stage"] for e in emails):
            problems.append(f"{case['case_id']}: emails out of order")
        times = [e["sent_at"] for e in emails if e["sent_at"]]
        if times != sorted(times):
            problems.append(f"{case['case_id']}: emails dated out of order")
        if emails and emails[0]["kind"] != "initial":
            problems.append(f"{case['case_id']}: the first email is a {emails[0]['kind']}")
        stages = sorted({int(e["stage"]) for e in emails})
        if stages != list(range(len(stages))):
            problems.append(f"{case['case_id']}: a stage was skipped ({stages})")
        answered_at = case.get("answered_at")
        if answered_at and any(t > answered_at for t in times):
            problems.append(f"{case['case_id']}: an email was sent after the council answered")
        if case["status"] == CaseStatus.UNRESOLVED.value and not any(e["kind"] == "escalation" for e in emails):
            problems.append(f"{case['case_id']}: closed unresolved without its escalation")
        if case["status"] in chasing and case["execution_name"] not in running and case["case_id"] not in flagged:
            problems.append(f"{case['case_id']}: still {case['status']}, with no workflow and no work item")
    if problems:
        raise TwinError("the twin broke its promise: " + "; ".join(problems[:10]))
