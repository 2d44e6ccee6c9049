"""`advocacy run`: upload Ofsted files, let the workflow run on a shrunk clock, answer as scripted."""

from __future__ import annotations

import email
import email.policy
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from advocacy_notify.domain.answers import before_contact_form_value
from advocacy_notify.domain.models import AnswerKind
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .env import OfflineEnv
from .httpapi import form_body, http_event
from .lambdas import INVOKE_LOCK

LINK = re.compile(r"/respond/([A-Za-z0-9_-]{32})")


class ScriptedResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    respond_on_day: int | None = Field(default=None, ge=0)
    answer: AnswerKind = AnswerKind.CONFIRMED
    children_count: int | None = None
    notes: str = ""
    # the habitual-referral question (asked for confirmed and referrals_in_progress); null: "do not know"
    advocacy_before_contact: bool | None = None
    bounce: bool = False  # the authority's first email bounces (as SES reports through the configuration set)

    def model_post_init(self, __context: object) -> None:
        if self.respond_on_day is None and not self.bounce:
            raise ValueError("give respond_on_day (or bounce: true)")


class ResponseScriptError(ValueError):
    pass


def load_responses(path: Path | None) -> dict[str, ScriptedResponse]:
    """{authority name or GSS code: {respond_on_day, answer}} -> {gss_code: response}."""
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
    day_seconds: float = 0.2
    start: date | None = None
    outbox: Path | None = None
    max_real_seconds: float = 600.0
    progress: Callable[[str], None] = lambda _msg: None
    log_path: Path | None = None


def _header(head: str, name: str) -> str | None:
    for line in head.split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


class Runner:
    def __init__(self, env: OfflineEnv, responses: dict[str, ScriptedResponse], options: RunOptions) -> None:
        self.env = env
        self.responses = responses
        self.options = options
        self.answered: set[str] = set()  # cases whose scripted answer (or bounce) is scheduled
        self.uploads: list[str] = []
        self.timers: list[threading.Timer] = []
        self.seen_emails = 0
        self.errors: list[str] = []

    # ------------------------------------------------------------------ helpers
    def cases(self) -> list[dict[str, Any]]:
        from advocacy_notify.adapters import repository as repo

        with INVOKE_LOCK.urgent():  # moto's DynamoDB is not thread-safe: read between invocations
            return repo.all_cases(self.env.stack.outputs["CasesTableName"])

    def items(self, case_id: str) -> list[dict[str, Any]]:
        from advocacy_notify.adapters import repository as repo

        with INVOKE_LOCK.urgent():
            return repo.case_items(self.env.stack.outputs["CasesTableName"], case_id)

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

    def answer(self, case: dict[str, Any], response: ScriptedResponse) -> int:
        """Answer as the council would: open the link from the email (GET), then send the form (POST)."""
        link = self.link_for(case["case_id"])
        if link is None:
            return 0
        path = f"/respond/{link}"
        got = self.env.invoke("RespondFunction", http_event("GET", path))
        if got.get("statusCode") != 200:
            return int(got.get("statusCode", 0))
        count = response.children_count
        if count is None:
            count = 0 if response.answer == "no_children_placed" else 1
        slug = case["gss_code"].lower()
        fields = {
            "answer": response.answer.value,
            "children_count": str(count),
            "responder_name": "Scripted responder",
            "responder_role": "Advocacy lead",
            "responder_email": f"advocacy.lead@{slug}.example",
            "notes": response.notes,
            "advocacy_before_contact": before_contact_form_value(response.advocacy_before_contact),
        }
        posted = self.env.invoke("RespondFunction", http_event("POST", path, body=form_body(fields)))
        return int(posted.get("statusCode", 0))

    @staticmethod
    def due(first_sent: date, response: ScriptedResponse) -> datetime:
        """Day N counts calendar days from the day of the first email (day 0, the date its timers
        count from); the answer comes at midday that day, or at once for day 0."""
        if not response.respond_on_day:
            return datetime(first_sent.year, first_sent.month, first_sent.day, tzinfo=UTC)
        day = first_sent + timedelta(days=response.respond_on_day)
        return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)

    # ------------------------------------------------------------------ the run
    def _schedule_answers(self) -> None:
        """When a case's first email goes out, set a timer for its scripted answer (exact, not polled).

        New emails are read from moto's SES outbox; scanning the tables every tick instead would eat
        the CPU that the shrunk clock needs."""
        from advocacy_notify.adapters import repository as repo

        sent = self.env.sent_emails()
        fresh, self.seen_emails = sent[self.seen_emails :], len(sent)
        for msg in fresh:
            raw = getattr(msg, "raw_data", "") or ""
            head = raw.split("\r\n\r\n", 1)[0]
            case_id = _header(head, "X-Advocacy-Case-Id")
            if not case_id or _header(head, "X-Advocacy-Email-Kind") != "initial" or case_id in self.answered:
                continue
            with INVOKE_LOCK.urgent():
                case = repo.get_case(self.env.stack.outputs["CasesTableName"], case_id)
            if not case or case["gss_code"] not in self.responses or not case.get("first_sent"):
                continue
            self.answered.add(case_id)
            response = self.responses[case["gss_code"]]
            if response.bounce:
                timer = threading.Timer(0.0, self._bounce_now, args=(case,))
                timer.daemon = True
                self.timers.append(timer)
                timer.start()
                continue
            due = self.due(date.fromisoformat(case["first_sent"]), response)
            delay = max(self.env.clock.real_seconds_until(due), 0.0)
            timer = threading.Timer(delay, self._answer_now, args=(case, response))
            timer.daemon = True
            self.timers.append(timer)
            timer.start()

    def _bounce_now(self, case: dict[str, Any]) -> None:
        self.env.publish_delivery_event(case["case_id"], stage=0, event_type="Bounce")
        self.options.progress(f"{case['la_name']}: the first email bounced")

    def _answer_now(self, case: dict[str, Any], response: ScriptedResponse) -> None:
        try:
            status = self.answer(case, response)
        except Exception as exc:  # reported, never silent
            status = 0
            self.errors.append(f"{case['case_id']}: {type(exc).__name__}")
        self.options.progress(
            f"{case['la_name']} answered {response.answer.value} on {self.env.clock.now():%a %d %b} (HTTP {status})"
        )

    def run(self, files: list[Path], key: str | None = None) -> dict[str, Any]:
        started = time.monotonic()
        self.env.start_clock()
        for path in files:
            object_key = self.env.upload(path, key)
            self.uploads.append(object_key)
            self.options.progress(f"uploaded {object_key}")
            self.env.pump_queue()
        last_day = None
        try:
            tick = 0
            while True:
                self._schedule_answers()
                tick += 1
                if tick % 10:  # the outbox is checked every 20 ms, the rest every 200 ms
                    time.sleep(0.02)
                    continue
                queued, _dlq = self.env.queue_depths()
                pending = [t for t in self.timers if t.is_alive()]
                running = [e for e in self.env.executions().values() if e["status"] == "RUNNING"]
                today = self.env.clock.now().date()
                if last_day is None or (today - last_day).days >= 7:  # a weekly line of progress
                    self.options.progress(f"week of {today:%a %d %b %Y}: {len(running)} cases still open")
                    last_day = today
                if not queued and not pending and not running:
                    break
                if time.monotonic() - started > self.options.max_real_seconds:
                    self.options.progress("stopped: the run took longer than its limit")
                    break
                time.sleep(0.02)
        finally:
            for t in self.timers:
                t.cancel()
        return self.result()

    def result(self) -> dict[str, Any]:
        from advocacy_notify.adapters import repository as repo

        out_cases = []
        for case in sorted(self.cases(), key=lambda c: c["case_id"]):
            items = self.items(case["case_id"])
            emails = [
                {"kind": i["kind"], "stage": i["stage"], "to": i["to"], "sent_at": i["sent_at"]}
                for i in sorted(items, key=lambda i: i["sk"])
                if i["sk"].startswith("EMAIL#") and i.get("state") == "sent"
            ]
            out_cases.append(
                {
                    "case_id": case["case_id"],
                    "urn": case["urn"],
                    "gss_code": case["gss_code"],
                    "la_name": case["la_name"],
                    "first_sent": case.get("first_sent"),
                    "home_name": case.get("home_name"),
                    "status": case["status"],
                    "answer": case.get("answer"),
                    "answered_at": case.get("answered_at"),
                    "working_days_to_answer": case.get("working_days_to_answer"),
                    "reminders_sent": case.get("reminders_sent", 0),
                    "escalated": bool(case.get("escalated_at")),
                    "emails": emails,
                }
            )
        with INVOKE_LOCK.urgent():
            work = repo.work_items(self.env.stack.outputs["WorkTableName"])
        kinds = Counter(w["kind"] for w in work)
        emails_by_kind = Counter(e["kind"] for c in out_cases for e in c["emails"])
        reports = [self.report(k) for k in dict.fromkeys(self.uploads)]
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
            "staff_work_items": dict(sorted(kinds.items())),
            "dead_letter_messages": self.env.queue_depths()[1],
            # the SQS poller keeps going after an error, as Lambda's would; say how many it met
            "poller_errors": len(self.env.poller_errors),
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
            "work_items": [
                {
                    k: v
                    for k, v in w.items()
                    if k in {"kind", "case_id", "urn", "input", "key", "reason", "count", "gss_code"}
                }
                for w in work
            ],
        }
        totals.update({k: len(v) for k, v in staff.items() if k != "work_items"})
        return {
            "cases": out_cases,
            "totals": totals,
            "staff_work_items": staff,
            "files": [
                {"file": r.get("file"), "status": r.get("status"), "reason": r.get("reason"), **r.get("counts", {})}
                for r in reports
            ],
        }

    def report(self, object_key: str) -> dict[str, Any]:
        s3 = self.env.client("s3")
        try:
            body = s3.get_object(Bucket=self.env.stack.bucket, Key=object_key + ".report.json")["Body"].read()
        except Exception:
            return {"file": {"key": object_key}, "status": "missing"}
        doc: dict[str, Any] = json.loads(body)
        return doc
