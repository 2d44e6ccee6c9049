"""Delivery events on in-memory fakes, modelled as GOV.UK Notify does: per recipient, complaints apart; one dead
address is a contact to fix, and only an authority with no reachable address waits for staff."""

from __future__ import annotations

import json

from advocacy_notify.domain.case import CaseStatus
from advocacy_notify.logic.delivery import parse_ses_event
from advocacy_notify.logic.workflow import AwaitRequest, StageRequest

from tests.unit.world import World

LEAD = "advocacy.lead@leeds.example"
INBOX = "childrens.services@leeds.example"


def _event(event_type: str, case_id: str, recipients: list[str], bounce_type: str = "Permanent") -> str:
    doc: dict[str, object] = {
        "eventType": event_type,
        "mail": {"tags": {"case_id": [case_id], "stage": ["0"]}, "destination": [LEAD, INBOX]},
    }
    if event_type == "Bounce":
        doc["bounce"] = {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": r} for r in recipients],
        }
    elif event_type == "Delivery":
        doc["delivery"] = {"recipients": recipients}
    elif event_type == "Complaint":
        doc["complaint"] = {
            "complaintFeedbackType": "abuse",
            "complainedRecipients": [{"emailAddress": r} for r in recipients],
        }
    return json.dumps(doc)


def _waiting(w: World) -> str:
    case = w.open_case()
    w.send_stage()(StageRequest(case_id=case.case_id))
    w.await_answer()(AwaitRequest(task_token="tok", execution_arn="arn", case_id=case.case_id, stage=0))
    w.workflow.live_tokens.add("tok")
    return case.case_id


def _apply(w: World, message: str) -> object:
    event = parse_ses_event(message)
    assert event is not None
    return w.record_delivery()(event)


def test_delivered_recipients_are_recorded() -> None:
    w = World()
    case_id = _waiting(w)
    _apply(w, _event("Delivery", case_id, [LEAD, INBOX]))
    entry = w.cases.email(case_id, 0)
    assert entry is not None
    assert {a: d["status"] for a, d in entry.delivery.items()} == {LEAD: "delivered", INBOX: "delivered"}
    assert not w.work.items


def test_one_dead_address_of_two_is_a_contact_to_fix_and_the_chase_goes_on() -> None:
    w = World()
    case_id = _waiting(w)
    _apply(w, _event("Delivery", case_id, [INBOX]))
    _apply(w, _event("Bounce", case_id, [LEAD]))
    assert w.work.kinds() == ["fix_contact"]
    item = next(iter(w.work.items.values()))
    assert item["role"] == "advocacy_lead"
    assert LEAD not in json.dumps(item)  # the work item names the role, never the address
    assert w.cases.get(case_id).status is CaseStatus.AWAITING_RESPONSE  # type: ignore[union-attr]
    assert not w.workflow.failed


def test_every_address_dead_makes_the_case_wait_for_staff_and_stops_the_wait() -> None:
    w = World()
    case_id = _waiting(w)
    _apply(w, _event("Bounce", case_id, [LEAD, INBOX]))
    assert w.cases.get(case_id).status is CaseStatus.DELIVERY_FAILED  # type: ignore[union-attr]
    assert sorted(w.work.kinds()) == ["delivery_failed", "fix_contact", "fix_contact"]
    assert w.workflow.failed == [("tok", "DeliveryFailed")]


def test_a_transient_bounce_is_recorded_and_the_chase_goes_on() -> None:
    w = World()
    case_id = _waiting(w)
    _apply(w, _event("Bounce", case_id, [LEAD, INBOX], bounce_type="Transient"))
    entry = w.cases.email(case_id, 0)
    assert entry is not None
    assert {d["status"] for d in entry.delivery.values()} == {"temporary-failure"}
    assert w.cases.get(case_id).status is CaseStatus.AWAITING_RESPONSE  # type: ignore[union-attr]
    assert not w.work.items


def test_a_complaint_is_recorded_apart_and_does_not_stop_the_chase() -> None:
    w = World()
    case_id = _waiting(w)
    _apply(w, _event("Delivery", case_id, [LEAD, INBOX]))
    _apply(w, _event("Complaint", case_id, [LEAD]))
    entry = w.cases.email(case_id, 0)
    assert entry is not None
    assert entry.complaints == (LEAD,)
    assert entry.delivery[LEAD]["status"] == "delivered"
    assert w.cases.get(case_id).status is CaseStatus.AWAITING_RESPONSE  # type: ignore[union-attr]
    assert w.work.kinds() == ["complaint"]


def test_a_bounce_on_an_answered_case_raises_only_the_contact_item() -> None:
    w = World()
    case_id = _waiting(w)
    w.cases.move(case_id, CaseStatus.CONFIRMED, w.clock.now())
    _apply(w, _event("Bounce", case_id, [LEAD, INBOX]))
    assert w.cases.get(case_id).status is CaseStatus.CONFIRMED  # type: ignore[union-attr]
    assert w.work.kinds() == ["fix_contact", "fix_contact"]
    assert not w.workflow.failed


def test_a_failure_for_no_known_case_goes_to_staff_but_a_delivery_does_not() -> None:
    w = World()
    _apply(w, _event("Delivery", "NOPE", [LEAD]))
    assert not w.work.items
    _apply(w, _event("Bounce", "NOPE", [LEAD]))
    assert w.work.kinds() == ["delivery_unmatched"]
