"""The workflow's tasks on in-memory fakes: each email sent exactly once, "uncertain" only when SES itself may
have sent it, UK dates, chases at 09:00 UK time on a working day, and a case that cannot be reached waits."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from advocacy_notify.domain.case import CaseStatus
from advocacy_notify.domain.clock import is_working_day
from advocacy_notify.logic.workflow import AwaitRequest, MarkRequest, StageRequest, Undeliverable
from advocacy_notify.ports import EmailRejected, EmailThrottled, EmailUnavailable, EmailUncertain

from tests.fakes import FakeLinkKey
from tests.unit.world import HELP, World, at

UK = ZoneInfo("Europe/London")


def test_the_first_email_goes_once_and_the_case_waits_until_9am_uk_on_a_working_day() -> None:
    w = World()
    w.clock.set(at(2026, 11, 27, 16, 30))  # a Friday afternoon
    case = w.open_case()
    result = w.send_stage()(StageRequest(case_id=case.case_id))
    assert result.action == "sent"
    assert len(w.mailer.sent) == 1
    assert w.sent_to() == ("advocacy.lead@leeds.example", "childrens.services@leeds.example")
    assert result.first_sent == date(2026, 11, 27)
    assert result.reply_by == date(2026, 12, 4)  # 5 working days after Friday 27 November
    assert result.fires_at is not None
    chase = result.fires_at.astimezone(UK)
    assert (chase.hour, chase.minute) == (9, 0)
    assert is_working_day(chase.date())
    assert chase.date() == date(2026, 12, 7)  # Monday after the reply-by Friday
    assert isinstance(result.timeout_seconds, int)
    assert result.timeout_seconds == int((result.fires_at - w.clock.now()).total_seconds())
    stored = w.cases.get(case.case_id)
    assert stored is not None
    assert stored.status is CaseStatus.AWAITING_RESPONSE
    assert w.cases.email(case.case_id, 0).state == "sent"  # type: ignore[union-attr]


def test_a_retry_after_the_email_went_sends_nothing_more() -> None:
    w = World()
    case = w.open_case()
    send = w.send_stage()
    send(StageRequest(case_id=case.case_id))
    again = send(StageRequest(case_id=case.case_id))
    assert again.action == "already_sent"
    assert len(w.mailer.sent) == 1
    assert not w.work.items


def test_an_email_sent_just_after_midnight_bst_is_dated_that_uk_day() -> None:
    w = World()
    w.clock.set(at(2026, 6, 1, 23, 30))  # 00:30 BST on Tuesday 2 June
    case = w.open_case()
    result = w.send_stage()(StageRequest(case_id=case.case_id))
    assert result.first_sent == date(2026, 6, 2)
    assert result.reply_by == date(2026, 6, 9)


def test_the_preparation_failing_leaves_nothing_in_the_ledger_and_a_retry_sends() -> None:
    """GetSecretValue throttled once: the email was not sent, and must not be recorded as (perhaps) sent."""
    w = World(link_key=FakeLinkKey(failures=1))
    case = w.open_case()
    send = w.send_stage()
    with pytest.raises(RuntimeError):
        send(StageRequest(case_id=case.case_id))
    assert w.cases.email(case.case_id, 0) is None
    assert send(StageRequest(case_id=case.case_id)).action == "sent"
    assert len(w.mailer.sent) == 1
    assert "email_uncertain" not in w.work.kinds()


@pytest.mark.parametrize("error", [EmailThrottled("TooManyRequestsException"), EmailUnavailable("SendingPaused")])
def test_throttling_and_unavailability_send_nothing_and_the_retry_sends(error: Exception) -> None:
    w = World()
    w.mailer.failures.append(error)
    case = w.open_case()
    send = w.send_stage()
    with pytest.raises(type(error)):
        send(StageRequest(case_id=case.case_id))
    assert w.cases.email(case.case_id, 0).state == "not_sent"  # type: ignore[union-attr]
    assert w.cases.get(case.case_id).status is CaseStatus.QUEUED  # type: ignore[union-attr]
    assert send(StageRequest(case_id=case.case_id)).action == "sent"
    assert len(w.mailer.sent) == 1


def test_only_an_uncertain_ses_call_makes_an_uncertain_email() -> None:
    w = World()
    w.mailer.failures.append(EmailUncertain("ReadTimeoutError"))
    case = w.open_case()
    send = w.send_stage()
    first = send(StageRequest(case_id=case.case_id))
    assert first.action == "uncertain"
    assert w.work.kinds() == ["email_uncertain"]
    assert w.cases.get(case.case_id).status is CaseStatus.AWAITING_RESPONSE  # type: ignore[union-attr]
    assert send(StageRequest(case_id=case.case_id)).action == "uncertain"  # never risks a duplicate
    assert not w.mailer.sent
    assert len(w.alerts.sent) == 1


def test_an_attempt_that_stopped_while_ses_was_called_is_uncertain_on_the_retry() -> None:
    from advocacy_notify.ports import EmailEntry

    w = World()
    case = w.open_case()
    entry = EmailEntry(case_id=case.case_id, stage=0, kind="initial", state="sending", to=("a@leeds.example",))
    assert w.cases.begin_email(entry, w.clock.now()) is None  # the crashed attempt's intent
    result = w.send_stage()(StageRequest(case_id=case.case_id))
    assert result.action == "uncertain"
    assert not w.mailer.sent
    assert w.cases.email(case.case_id, 0).state == "uncertain"  # type: ignore[union-attr]
    assert w.work.kinds() == ["email_uncertain"]


def test_a_permanent_rejection_makes_the_case_wait_for_staff() -> None:
    w = World()
    w.mailer.failures.append(EmailRejected("MessageRejected"))
    case = w.open_case()
    with pytest.raises(Undeliverable):
        w.send_stage()(StageRequest(case_id=case.case_id))
    stored = w.cases.get(case.case_id)
    assert stored is not None
    assert stored.status is CaseStatus.DELIVERY_FAILED
    assert stored.is_open  # not closed: staff fix the contact and resend
    assert w.work.kinds() == ["delivery_failed"]
    again = w.send_stage()(StageRequest(case_id=case.case_id))  # a retry finds the case waiting: nothing sent
    assert again.action == "closed"
    assert not w.mailer.sent


def test_no_contact_address_makes_the_case_wait_for_staff() -> None:
    w = World()
    w.directory.records.clear()
    case = w.open_case()
    with pytest.raises(Undeliverable):
        w.send_stage()(StageRequest(case_id=case.case_id))
    assert w.cases.get(case.case_id).status is CaseStatus.DELIVERY_FAILED  # type: ignore[union-attr]
    assert sorted(w.work.kinds()) == ["delivery_failed", "no_contacts"]
    assert w.cases.email(case.case_id, 0) is None


def test_pacing_holds_the_send_back_until_its_slot_without_touching_the_ledger() -> None:
    w = World()
    w.pacer.wait = 2.4
    case = w.open_case()
    paced = w.send_stage()(StageRequest(case_id=case.case_id))
    assert (paced.action, paced.wait_seconds) == ("paced", 3)
    assert w.cases.email(case.case_id, 0) is None
    assert not w.mailer.sent
    # after waiting for its slot the workflow sends without asking again; a retry of that attempt asks again
    sent = w.send_stage()(StageRequest(case_id=case.case_id, paced=True))
    assert sent.action == "sent"
    assert w.pacer.asked == 1


def test_an_answered_case_gets_no_more_emails() -> None:
    w = World()
    case = w.open_case()
    w.cases.move(case.case_id, CaseStatus.CONFIRMED, w.clock.now())
    result = w.send_stage()(StageRequest(case_id=case.case_id, stage=1, first_sent=date(2026, 11, 24)))
    assert result.action == "closed"
    assert not w.mailer.sent


def test_reminders_and_the_escalation_follow_the_schedule() -> None:
    w = World()
    w.clock.set(at(2026, 11, 24, 10))
    case = w.open_case()
    send = w.send_stage()
    first = send(StageRequest(case_id=case.case_id))
    stage = first
    kinds = [first.kind.value]
    while not stage.final:
        assert stage.fires_at is not None
        w.clock.set(stage.fires_at)
        stage = send(StageRequest(case_id=case.case_id, stage=stage.next_stage, first_sent=first.first_sent))
        kinds.append(stage.kind.value)
        sent_at_uk = w.clock.now().astimezone(UK)
        assert sent_at_uk.hour == 9
        assert is_working_day(sent_at_uk.date())
    assert kinds == ["initial", "reminder", "reminder", "escalation"]
    assert w.sent_to() == ("director.childrens.services@leeds.example", HELP.email)
    stored = w.cases.get(case.case_id)
    assert stored is not None
    assert stored.status is CaseStatus.ESCALATED
    assert stored.reminders_sent == 2


def test_await_keeps_the_token_and_resumes_at_once_when_already_answered() -> None:
    w = World()
    case = w.open_case()
    w.send_stage()(StageRequest(case_id=case.case_id))
    kept = w.await_answer()(AwaitRequest(task_token="t1", execution_arn="arn", case_id=case.case_id, stage=0))
    assert kept["action"] == "waiting"
    assert w.cases.get(case.case_id).task_token == "t1"  # type: ignore[union-attr]
    w.cases.move(case.case_id, CaseStatus.CONFIRMED, w.clock.now())
    w.workflow.live_tokens.add("t2")
    late = w.await_answer()(AwaitRequest(task_token="t2", execution_arn="arn", case_id=case.case_id, stage=1))
    assert late["action"] == "resumed"
    assert w.workflow.resumed == [("t2", {"status": "confirmed", "ended_before_stage": 1})]


def test_marking_an_outcome_raises_one_work_item_and_alert() -> None:
    w = World()
    case = w.open_case()
    w.send_stage()(StageRequest(case_id=case.case_id))
    mark = w.mark_case()
    tf = mark(MarkRequest(case_id=case.case_id, outcome="technical_failure", error={"Error": "EmailUnavailable"}))
    assert tf == {"status": "technical_failure", "changed": True, "work_item": True}
    again = mark(MarkRequest(case_id=case.case_id, outcome="technical_failure"))
    assert again["changed"] is False  # a second budget of retries raises nothing new
    assert w.work.kinds() == ["technical_failure"]
    assert w.cases.get(case.case_id).is_open  # type: ignore[union-attr]
    # sending works again: the case goes on being chased
    w.clock.advance(hours=1)
    assert w.send_stage()(StageRequest(case_id=case.case_id, stage=0)).action == "already_sent"
    assert w.cases.get(case.case_id).status is CaseStatus.AWAITING_RESPONSE  # type: ignore[union-attr]


def test_unresolved_only_from_a_case_still_waiting() -> None:
    w = World()
    case = w.open_case()
    w.send_stage()(StageRequest(case_id=case.case_id))
    w.cases.move(case.case_id, CaseStatus.NEED_HELP, w.clock.now() + timedelta(days=1))
    result = w.mark_case()(MarkRequest(case_id=case.case_id, outcome="unresolved"))
    assert result["changed"] is False
    assert w.cases.get(case.case_id).status is CaseStatus.NEED_HELP  # type: ignore[union-attr]
