"""The reconciler on in-memory fakes: stalled work found, repaired safely or handed to staff."""

from __future__ import annotations

from advocacy_notify.domain.case import Case, CaseStatus
from advocacy_notify.logic.reconcile import MAX_REQUEUES
from advocacy_notify.logic.workflow import StageRequest
from advocacy_notify.ports import EmailEntry

from tests.unit.world import World


def _claimed_not_started(w: World) -> Case:
    case = Case.opened(w.message(), w.clock.now(), 730)
    w.cases.claim(case)
    w.cases.mark_queued([case.case_id], w.clock.now())
    return case


def test_a_case_whose_queue_message_was_lost_is_queued_again_after_the_grace() -> None:
    w = World()
    case = _claimed_not_started(w)
    assert w.reconcile()().requeued == 0  # too soon: the message may still be on its way
    w.clock.advance(hours=1)
    assert w.reconcile()().requeued == 1
    assert [m.case_id for m in w.queue.sent] == [case.case_id]


def test_a_case_that_never_starts_goes_to_staff() -> None:
    w = World()
    case = _claimed_not_started(w)
    w.clock.advance(hours=1)
    for _ in range(MAX_REQUEUES):
        w.reconcile()()
    found = w.reconcile()()
    assert found.requeued == 0
    assert w.work.kinds() == ["case_not_started"]
    assert len(w.queue.sent) == MAX_REQUEUES
    assert w.cases.get(case.case_id).requeues == MAX_REQUEUES  # type: ignore[union-attr]


def test_an_email_stuck_in_sending_becomes_uncertain() -> None:
    w = World()
    case = w.open_case()
    entry = EmailEntry(case_id=case.case_id, stage=0, kind="initial", state="sending", to=("a@leeds.example",))
    w.cases.begin_email(entry, w.clock.now())
    w.clock.advance(minutes=30)
    assert w.reconcile()().emails_uncertain == 1
    assert w.cases.email(case.case_id, 0).state == "uncertain"  # type: ignore[union-attr]
    assert w.work.kinds() == ["email_uncertain"]


def test_a_failed_workflow_of_a_chased_case_is_marked_failed_for_staff() -> None:
    w = World()
    case = w.open_case()
    w.send_stage()(StageRequest(case_id=case.case_id))
    w.workflow.statuses[case.case_id] = "FAILED"
    assert w.reconcile()().workflows_failed == 1
    assert w.cases.get(case.case_id).status is CaseStatus.FAILED  # type: ignore[union-attr]
    assert w.work.kinds() == ["failed"]
    assert w.reconcile()().workflows_failed == 0  # once


def test_a_stopped_workflow_of_an_answered_case_is_nothing_to_repair() -> None:
    w = World()
    case = w.open_case()
    w.cases.move(case.case_id, CaseStatus.CONFIRMED, w.clock.now())
    w.workflow.statuses[case.case_id] = "ABORTED"
    assert w.reconcile()().workflows_failed == 0
    assert not w.work.items
