"""The full-chase benchmark's own parts: its file opens exactly the cases it says, its check finds every way a
silent chase can go wrong, and its CPU ledger charges each CPU second once, to the innermost layer."""

from __future__ import annotations

import copy
import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from advocacy_notify.domain.authorities import AuthorityDirectory
from advocacy_notify.domain.clock import uk_time
from advocacy_notify.domain.ofsted import open_ofsted
from advocacy_notify.domain.pipeline import Counts, HomeOut, process
from advocacy_notify.domain.schedule import Timers

from bench import full_chase, gen
from bench.cpu_ledger import CLIENT, DRIVER, HANDLER, MOTO, CpuLedger

TIMERS = Timers()  # the template's defaults: reminders after 5 and 10 working days, escalation 15, final 20
FIRST_SENT = dt.date(2026, 11, 24)


def test_the_chase_file_opens_homes_times_authorities_cases(tmp_path: Path) -> None:
    path = tmp_path / "chase.csv"
    summary = full_chase.write_file(path, homes=30)
    assert summary["expected_cases"] == 60
    counts = Counts()
    authorities_per_home = []
    with open_ofsted(path) as f:
        for outcome in process(f, AuthorityDirectory.default()):
            counts.add(outcome)
            if isinstance(outcome, HomeOut):
                authorities_per_home.append(len({c.gss_code for c in outcome.cases}))
    assert (counts.homes, counts.cases, counts.rejected, counts.skipped) == (30, 60, 0, 0)
    assert authorities_per_home == [2] * 30


def test_chase_rows_are_deterministic_for_a_seed() -> None:
    anchor = dt.date(2026, 11, 24)
    a = [r.cells() for r in gen.Generator(seed=1, anchor=anchor).chase_rows(20, 2)]
    b = [r.cells() for r in gen.Generator(seed=1, anchor=anchor).chase_rows(20, 2)]
    assert a == b


def _email(kind: str, stage: int, at: dt.datetime) -> dict[str, Any]:
    to = ["lead@la.example", "inbox@la.example"]
    return {
        "kind": kind,
        "stage": stage,
        "to": to,
        "sent_at": at.isoformat(),
        "state": "sent",
        "delivery": dict.fromkeys(to, "delivered"),
        "complaints": [],
    }


def _silent_case(case_id: str) -> dict[str, Any]:
    plan = full_chase.expected_emails(FIRST_SENT, TIMERS)
    emails = []
    for kind, stage, not_before in plan:
        at = not_before + dt.timedelta(seconds=stage) if not_before else uk_time(FIRST_SENT, 9)
        emails.append(_email(kind, stage, at))
    return {"case_id": case_id, "status": "unresolved", "answer": None, "first_sent": "2026-11-24", "emails": emails}


def _result(n: int) -> dict[str, Any]:
    zeros = ("dead_letter_messages", "queued_messages", "still_running", "poller_errors", "failed_events")
    return {
        "cases": [_silent_case(f"case-{i}") for i in range(n)],
        "totals": {
            "emails": {"total": n * TIMERS.stages},
            "emails_sent_by_ses": n * TIMERS.stages,
            "function_errors": 0,
            "script_errors": 0,
            **dict.fromkeys(zeros, 0),
        },
    }


def test_the_stage_plan_of_a_silent_case_is_four_emails() -> None:
    plan = full_chase.expected_emails(FIRST_SENT, TIMERS)
    assert [(kind, stage) for kind, stage, _ in plan] == [
        ("initial", 0),
        ("reminder", 1),
        ("reminder", 2),
        ("escalation", 3),
    ]
    assert plan[0][2] is None
    due = [at for _, _, at in plan[1:]]
    assert due == sorted(due)
    assert all(at is not None and at.weekday() < 5 for at in due)


def test_a_right_silent_chase_passes() -> None:
    assert full_chase.check(_result(3), 3, TIMERS) == []


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (lambda r: r["cases"].pop(), "2 cases, not 3"),
        (lambda r: r["cases"][1].update(status="answered"), "case-1: answered, not unresolved"),
        (lambda r: r["cases"][1].update(answer="confirmed"), "case-1: answered confirmed"),
        (lambda r: r["cases"][0]["emails"].pop(2), "case-0: emails"),
        (lambda r: r["cases"][0]["emails"].reverse(), "case-0: emails"),
        (
            lambda r: r["cases"][2]["emails"][1].update(
                sent_at=(
                    dt.datetime.fromisoformat(r["cases"][2]["emails"][1]["sent_at"]) - dt.timedelta(days=1)
                ).isoformat()
            ),
            "case-2: stage 1 sent",
        ),
        (lambda r: r["cases"][0]["emails"][3].update(state="failed"), "case-0: stage 3 is failed"),
        (
            lambda r: r["cases"][0]["emails"][0]["delivery"].update({"lead@la.example": "bounced"}),
            "case-0: stage 0 delivery",
        ),
        (lambda r: r["totals"].update(still_running=1), "totals.still_running = 1"),
        (lambda r: r["totals"].update(function_errors=2), "function errors 2"),
        (lambda r: r["totals"].update(emails_sent_by_ses=11), "emails:"),
    ],
)
def test_each_way_a_chase_goes_wrong_is_named(spoil: Any, expected: str) -> None:
    result = copy.deepcopy(_result(3))
    spoil(result)
    problems = full_chase.check(result, 3, TIMERS)
    assert any(p.startswith(expected) for p in problems), problems


def _spin(seconds: float) -> None:
    started = time.thread_time()
    while time.thread_time() - started < seconds:
        pass


def test_the_ledger_charges_cpu_to_the_innermost_layer_once() -> None:
    book = CpuLedger()
    with book.layer(f"{HANDLER} send_email"):
        _spin(0.05)
        with book.layer(CLIENT):
            _spin(0.05)
            with book.layer(MOTO):
                _spin(0.1)
        _spin(0.05)
    _spin(0.05)
    book.flush()
    by_layer = book.report()
    assert by_layer[MOTO] == pytest.approx(0.1, abs=0.02)
    assert by_layer[CLIENT] == pytest.approx(0.05, abs=0.02)
    assert by_layer[HANDLER] == pytest.approx(0.1, abs=0.02)
    assert book.handler_seconds().keys() == {"send_email"}
    assert by_layer[DRIVER] >= 0.05
    assert book.entries[CLIENT] == 1
    assert book.entries[MOTO] == 1


FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


@pytest.mark.parametrize("handler", sorted(p.parent.name for p in FUNCTIONS.glob("*/app.py")))
def test_the_bench_environment_satisfies_every_handlers_settings(handler: str) -> None:
    """`make bench` imports each handler cold with `LAMBDA_ENV`: its settings must find every variable."""
    import re

    from advocacy_notify import settings

    from bench.run import LAMBDA_ENV

    source = (FUNCTIONS / handler / "app.py").read_text()
    names = re.findall(r"Dependencies\((\w+)\)", source)
    assert names, f"{handler} builds no Dependencies"
    for name in names:
        getattr(settings, name).from_mapping(LAMBDA_ENV)  # raises SettingsError naming what is missing
