"""Issue 11, defect 3: a bounce or a complaint never closes a case on its own; delivery is modelled per email and
per recipient, as GOV.UK Notify does (`delivered`, `permanent-failure`, `temporary-failure`, ...).

One run, five authorities, each with its own fate for its first email (the response script's `bounce`, and one
SES event script that bounces one address of two), looked at a little after the first reminders were due:

| authority  | first email                              | expected                                                  |
| ---------- | ---------------------------------------- | --------------------------------------------------------- |
| Leeds      | `"bounce": "transient"` (mailbox full)   | temporary-failure, chased on: the reminder goes           |
| Bradford   | `"bounce": "complaint"`                  | delivered, a complaint recorded apart, chased on          |
| Wakefield  | `"bounce": true` (= permanent)           | both addresses dead: delivery_failed, waits for staff     |
| Kirklees   | its advocacy lead's address bounces      | one "fix this contact" item, chased on to the other       |
| Calderdale | answers at once, then both bounce        | the answer stands; only the contact items                 |
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from advocacy_notify.domain.clock import iso
from advocacy_offline.ses_events import always_delivered

from tests.integration.faultkit import (
    BRADFORD,
    CALDERDALE,
    HOMES,
    KIRKLEES,
    LEEDS,
    WAKEFIELD,
    by_case,
    lost_cases,
    provisional_file,
    record,
    trial,
)

RESPONSES: dict[str, dict[str, Any]] = {
    "Leeds": {"bounce": "transient"},
    "Bradford": {"bounce": "complaint"},
    "Wakefield": {"bounce": True},
    "Calderdale": {"respond_on_day": 0, "answer": "confirmed", "bounce": "permanent"},
}
KIRKLEES_LEAD = "advocacy.lead@kirklees.example"
# the first reminders are due at 09:00 UK on Wed 2 December 2026 (5 working days after Tue 24 November)
LOOK_AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _case_id(urn: str, gss: str) -> str:
    return f"{urn}-{gss}-20261102"


@pytest.fixture(scope="module")
def bounced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The run's outcome, once the twin is closed (one offline environment at a time in a process)."""
    tmp = tmp_path_factory.mktemp("bounces")
    with trial(tmp, responses=RESPONSES) as t:
        scripted = t.runner.ses.fate

        def fate(case_id: str, recipient: str, stage: int, kind: str) -> str:
            if recipient == KIRKLEES_LEAD and stage == 0:
                return "permanent"
            return scripted(case_id, recipient, stage, kind)

        t.runner.ses.fate = fate
        t.upload(provisional_file(tmp / "f.csv", HOMES))
        t.settle(until=LOOK_AT)
        result = t.result()
        return {
            "result": result,
            "cases": by_case(result),
            "work": t.work(),
            "alerts": t.alerts(),
            "running": set(t.env.running()),
            "duplicates": t.duplicates(),
        }


def _items(run: dict[str, Any], case_id: str) -> list[str]:
    return sorted(w["kind"] for w in run["work"] if w.get("case_id") == case_id)


def _kinds(case: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in case["emails"]]


def test_the_run_json_shows_each_emails_delivery_per_recipient(bounced: dict[str, Any]) -> None:
    cases = bounced["cases"]
    first = {cid: c["emails"][0] for cid, c in cases.items()}
    assert first[_case_id("SC800001", LEEDS)]["delivery"] == {
        "advocacy.lead@leeds.example": "temporary-failure",
        "childrens.services@leeds.example": "temporary-failure",
    }
    assert first[_case_id("SC800001", BRADFORD)]["delivery"] == {
        "advocacy.lead@bradford.example": "delivered",
        "childrens.services@bradford.example": "delivered",
    }
    assert first[_case_id("SC800001", WAKEFIELD)]["delivery"] == {
        "advocacy.lead@wakefield.example": "permanent-failure",
        "childrens.services@wakefield.example": "permanent-failure",
    }
    assert first[_case_id("SC800002", KIRKLEES)]["delivery"] == {
        KIRKLEES_LEAD: "permanent-failure",
        "childrens.services@kirklees.example": "delivered",
    }
    assert first[_case_id("SC800002", CALDERDALE)]["delivery"] == {
        "advocacy.lead@calderdale.example": "permanent-failure",
        "childrens.services@calderdale.example": "permanent-failure",
    }
    # the reminders, sent after the bounces, were delivered (the run JSON shows every email's status)
    reminders = [e for c in cases.values() for e in c["emails"] if e["kind"] == "reminder"]
    assert reminders
    assert all(set(e["delivery"].values()) == {"delivered"} for e in reminders)


def test_a_transient_bounce_is_chased_on(bounced: dict[str, Any]) -> None:
    leeds = bounced["cases"][_case_id("SC800001", LEEDS)]
    assert leeds["status"] == "awaiting_response"
    assert _kinds(leeds) == ["initial", "reminder"]
    assert _items(bounced, leeds["case_id"]) == []  # a soft bounce is nobody's work yet
    assert leeds["execution_name"] in bounced["running"]


def test_a_complaint_is_recorded_apart_and_the_chase_goes_on(bounced: dict[str, Any]) -> None:
    bradford = bounced["cases"][_case_id("SC800001", BRADFORD)]
    assert bradford["status"] == "awaiting_response"
    assert _kinds(bradford) == ["initial", "reminder"]
    assert sorted(bradford["emails"][0]["complaints"]) == [
        "advocacy.lead@bradford.example",
        "childrens.services@bradford.example",
    ]
    assert _items(bounced, bradford["case_id"]) == ["complaint"]


def test_one_dead_address_of_two_is_a_contact_to_fix_while_the_chase_goes_on(bounced: dict[str, Any]) -> None:
    kirklees = bounced["cases"][_case_id("SC800002", KIRKLEES)]
    assert kirklees["status"] == "awaiting_response"
    assert _kinds(kirklees) == ["initial", "reminder"]
    fix = [w for w in bounced["work"] if w["kind"] == "fix_contact" and w.get("gss_code") == KIRKLEES]
    assert [(w["case_id"], w["role"]) for w in fix] == [(kirklees["case_id"], "advocacy_lead")]
    assert _items(bounced, kirklees["case_id"]) == ["fix_contact"]


def test_every_address_dead_makes_the_case_wait_for_staff(bounced: dict[str, Any]) -> None:
    wakefield = bounced["cases"][_case_id("SC800001", WAKEFIELD)]
    assert wakefield["status"] == "delivery_failed"
    assert _kinds(wakefield) == ["initial"]  # no reminder to dead addresses
    assert _items(bounced, wakefield["case_id"]) == ["delivery_failed", "fix_contact", "fix_contact"]
    assert wakefield["execution_name"] not in bounced["running"]  # the wait ended: nothing left silent
    reachable = [a for a in bounced["alerts"] if "cannot reach" in a["subject"]]
    assert [a["case_id"] for a in reachable] == [wakefield["case_id"]]


def test_a_bounce_on_an_answered_case_raises_only_the_contact_items(bounced: dict[str, Any]) -> None:
    calderdale = bounced["cases"][_case_id("SC800002", CALDERDALE)]
    assert calderdale["status"] == "confirmed"
    assert _kinds(calderdale) == ["initial"]
    assert _items(bounced, calderdale["case_id"]) == ["fix_contact", "fix_contact"]


def test_bounces_lose_no_case_and_duplicate_no_email(bounced: dict[str, Any]) -> None:
    result = bounced["result"]
    assert lost_cases(result, bounced["work"]) == []
    assert bounced["duplicates"] == 0
    statuses = {c["la_name"]: c["status"] for c in result["cases"]}
    record(
        "bounces and complaints on first emails (transient, complaint, permanent x2, one of two, answered)",
        statuses=statuses,
        work_items=dict(sorted(result["totals"]["staff_work_items"].items())),
        cases_lost=0,
        duplicate_emails=bounced["duplicates"],
    )


def test_a_staff_resend_resumes_a_case_that_could_reach_no_address(tmp_path: Path) -> None:
    """Every address of Wakefield's is dead: the case waits for staff. Staff fix the directory and resend: the
    case starts again from its first email, to the new addresses, and is chased as any other."""
    dead = {"advocacy.lead@wakefield.example", "childrens.services@wakefield.example"}
    with trial(tmp_path, responses={"Wakefield": {"bounce": True}}) as t:
        t.runner.ses.fate = lambda case_id, to, stage, kind: "permanent" if to in dead else "delivered"
        t.upload(provisional_file(tmp_path / "f.csv", [("SC820001", "Calder View", "Wakefield")]))
        t.settle(until=LOOK_AT)  # stops as soon as nothing is left to happen: the case waits for staff
        case_id = _case_id("SC820001", WAKEFIELD)
        assert t.case(case_id).status == "delivery_failed"
        assert t.env.running() == []
        resent_at = t.env.clock.now()

        staff = t.services().staff
        fixed = "\n".join(
            [
                "gss_code,la_name,advocacy_lead,childrens_services,senior_contact",
                f"{WAKEFIELD},Wakefield,advocacy@wakefield.example,cs@wakefield.example,dcs@wakefield.example",
            ]
        )
        assert staff.import_directory(fixed, by="staff").changed == [WAKEFIELD]
        resent = staff.resend_case(case_id, by="staff")
        assert resent["started"] is True
        assert resent["work_items_done"] == 3  # delivery_failed and both fix_contact items
        t.runner.ses.fate = always_delivered
        t.settle(until=LOOK_AT)
        case = by_case(t.result())[case_id]
        assert case["status"] == "awaiting_response"
        new_addresses = ["advocacy@wakefield.example", "cs@wakefield.example"]
        assert [(e["kind"], e["to"], e["sent_at"], set(e["delivery"].values())) for e in case["emails"]] == [
            ("initial", new_addresses, iso(resent_at), {"delivered"}),
            ("reminder", new_addresses, "2026-12-02T09:00:00.000Z", {"delivered"}),
        ]
        assert case["execution_name"] in t.env.running()
        record(
            "staff resend of a delivery_failed case after fixing the directory",
            status_before="delivery_failed",
            status_after=case["status"],
            work_items_done_by_resend=resent["work_items_done"],
            emails_after_resend=[e["kind"] for e in case["emails"]],
        )
