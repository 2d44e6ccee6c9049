"""The answer pages on in-memory fakes: everything an answer causes is recorded with it, and resuming the
workflow or alerting staff is retried from the outbox until it succeeds."""

from __future__ import annotations

from advocacy_notify.domain.case import CaseStatus
from advocacy_notify.logic.workflow import AwaitRequest, StageRequest

from tests.unit.world import World

FIELDS = {
    "answer": "confirmed",
    "children_count": "2",
    "responder_name": "Sam Lead",
    "responder_role": "Advocacy lead",
    "responder_email": "sam.lead@leeds.example",
    "notes": "",
    "advocacy_before_contact": "yes",
}


def _waiting(w: World) -> tuple[str, str]:
    case = w.open_case()
    w.send_stage()(StageRequest(case_id=case.case_id))
    w.await_answer()(AwaitRequest(task_token="tok", execution_arn="arn", case_id=case.case_id, stage=0))
    w.workflow.live_tokens.add("tok")
    return case.case_id, w.sent_link()


def test_get_shows_the_form_and_changes_nothing() -> None:
    w = World()
    case_id, link = _waiting(w)
    before = w.cases.get(case_id)
    page = w.respond().show_form(link, action_url=f"/respond/{link}")
    assert page.status == 200
    assert page.outcome == "form"
    assert w.cases.get(case_id) == before
    assert not w.answers.items


def test_an_answer_is_recorded_and_resumes_the_workflow() -> None:
    w = World()
    case_id, link = _waiting(w)
    page = w.respond().submit(link, dict(FIELDS), action_url=f"/respond/{link}")
    assert (page.status, page.outcome, page.answer) == (200, "answered", "confirmed")
    assert w.cases.get(case_id).status is CaseStatus.CONFIRMED  # type: ignore[union-attr]
    assert [a["answer"] for a in w.answers.for_case(case_id)] == ["confirmed"]
    assert [t for t, _ in w.workflow.resumed] == ["tok"]
    assert not w.cases.pending_effects()
    again = w.respond().submit(link, dict(FIELDS), action_url=f"/respond/{link}")
    assert again.outcome == "already_answered"
    assert len(w.answers.items) == 1


def test_a_need_help_answer_keeps_its_alert_and_resume_when_both_fail() -> None:
    """SendTaskSuccess and SNS both throttled: the council still sees its answer recorded, the work item is
    there at once, and the outbox delivers the rest later."""
    w = World()
    _case_id, link = _waiting(w)
    w.workflow.resume_failures.append(RuntimeError("ThrottlingException"))
    w.alerts.failures.append(RuntimeError("ThrottlingException"))
    page = w.respond().submit(link, {**FIELDS, "answer": "need_help"}, action_url=f"/respond/{link}")
    assert (page.status, page.outcome) == (200, "answered")
    assert w.work.kinds() == ["need_help"]
    pending = w.cases.pending_effects()
    assert sorted(e.effect for e in pending) == ["alert", "resume"]
    assert all(e.attempts == 1 for e in pending)
    delivered = w.effects().pending()
    assert (delivered.done, delivered.failed) == (2, 0)
    assert [t for t, _ in w.workflow.resumed] == ["tok"]
    assert [s for s, _ in w.alerts.sent if "asked for help" in s]
    assert not w.cases.pending_effects()


def test_an_invalid_answer_changes_nothing() -> None:
    w = World()
    case_id, link = _waiting(w)
    page = w.respond().submit(link, {**FIELDS, "answer": ""}, action_url=f"/respond/{link}")
    assert (page.status, page.outcome) == (400, "invalid")
    assert w.cases.get(case_id).status is CaseStatus.AWAITING_RESPONSE  # type: ignore[union-attr]
    assert not w.cases.pending_effects()


def test_unknown_and_malformed_links_are_not_found() -> None:
    w = World()
    _waiting(w)
    assert w.respond().show_form("A" * 32, action_url="/x").outcome == "not_found"
    assert w.respond().show_form("../../etc", action_url="/x").outcome == "not_found"


def test_an_expired_link_says_so() -> None:
    w = World()
    _case_id, link = _waiting(w)
    w.clock.advance(days=120)
    assert w.respond().show_form(link, action_url="/x").outcome == "expired"


def test_an_answer_says_its_part_in_the_habitual_referral_measure() -> None:
    """What the respond handler emits (HabitualReferralAnswered/Yes) is the use case's figure: yes, no, or out."""
    seen = {}
    for answer, before in [
        ("confirmed", "yes"),
        ("referrals_in_progress", "no"),
        ("confirmed", "unknown"),
        ("no_children_placed", ""),
    ]:
        w = World()
        _case_id, link = _waiting(w)
        count = "0" if answer == "no_children_placed" else "2"
        fields = {**FIELDS, "answer": answer, "advocacy_before_contact": before, "children_count": count}
        page = w.respond().submit(link, fields, action_url=f"/respond/{link}")
        assert page.outcome == "answered"
        seen[(answer, before)] = (page.habitual_referral, page.gss_code)
    assert seen == {
        ("confirmed", "yes"): (True, "E08000035"),
        ("referrals_in_progress", "no"): (False, "E08000035"),
        ("confirmed", "unknown"): (None, "E08000035"),
        ("no_children_placed", ""): (None, "E08000035"),
    }
