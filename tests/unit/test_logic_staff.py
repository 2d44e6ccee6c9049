"""Staff operations on in-memory fakes: close, resend, directory import, dead-letter redrive, work done."""

from __future__ import annotations

import pytest
from advocacy_notify.domain.case import CaseStatus
from advocacy_notify.logic.staff import StaffError
from advocacy_notify.logic.workflow import AwaitRequest, StageRequest
from advocacy_notify.ports import EmailRejected, EmailUncertain

from tests.unit.world import LEEDS, World


def test_closing_a_waiting_case_resumes_its_workflow_and_marks_its_work_done() -> None:
    w = World()
    case = w.open_case()
    w.send_stage()(StageRequest(case_id=case.case_id))
    w.await_answer()(AwaitRequest(task_token="tok", execution_arn="arn", case_id=case.case_id, stage=0))
    w.workflow.live_tokens.add("tok")
    w.work.raise_item("need_help", case.case_id, w.clock.now(), case_id=case.case_id)
    done = w.staff().close_case(case.case_id, "duplicate of another case", "sam")
    assert done["workflow"] == "resumed"
    assert done["work_items_done"] == 1
    assert w.cases.get(case.case_id).status is CaseStatus.CLOSED_BY_STAFF  # type: ignore[union-attr]
    with pytest.raises(StaffError):
        w.staff().close_case(case.case_id, "again", "sam")


def test_resend_restarts_an_undeliverable_case_from_its_first_email() -> None:
    w = World()
    w.mailer.failures.append(EmailRejected("MessageRejected"))
    case = w.open_case()
    with pytest.raises(Exception, match="MessageRejected"):
        w.send_stage()(StageRequest(case_id=case.case_id))
    result = w.staff().resend_case(case.case_id, "sam")
    assert result["execution_name"] == f"{case.case_id}-r1"
    assert f"{case.case_id}-r1" in w.workflow.started
    stored = w.cases.get(case.case_id)
    assert stored is not None
    assert stored.status is CaseStatus.QUEUED
    assert stored.resend_count == 1
    assert w.cases.email(case.case_id, 0) is None  # the refused attempt is set aside
    assert w.send_stage()(StageRequest(case_id=case.case_id)).action == "sent"


def test_resend_accepts_a_case_whose_email_is_uncertain() -> None:
    w = World()
    w.mailer.failures.append(EmailUncertain("ReadTimeoutError"))
    case = w.open_case()
    w.send_stage()(StageRequest(case_id=case.case_id))
    assert w.work.kinds() == ["email_uncertain"]
    result = w.staff().resend_case(case.case_id, "sam")
    assert result["started"] is True
    assert w.workflow.stopped == [case.case_id]  # the earlier chase stops
    assert w.work.open_items() == []


def test_resend_refuses_a_case_that_is_fine() -> None:
    w = World()
    case = w.open_case()
    w.send_stage()(StageRequest(case_id=case.case_id))
    with pytest.raises(StaffError, match="can be resent"):
        w.staff().resend_case(case.case_id, "sam")


def test_directory_import_applies_valid_rows_and_reports_the_rest_without_values() -> None:
    w = World()
    text = (
        "gss_code,la_name,advocacy_lead,childrens_services,senior_contact\r\n"
        f"{LEEDS},Leeds,new.lead@leeds.gov.uk,,\r\n"
        "E08000032,Bradford,a..b@bradford.gov.uk,,\r\n"
        "X99,Nowhere,x@y.gov.uk,,\r\n"
    )
    result = w.staff().import_directory(text, by="sam")
    assert result.changed == [LEEDS]
    assert [r["row"] for r in result.invalid] == [3, 4]
    assert "a..b" not in str(result.invalid)
    assert w.directory.contacts(LEEDS).advocacy_lead == "new.lead@leeds.gov.uk"  # type: ignore[union-attr]


def test_redrive_moves_cases_back_and_leaves_what_is_not_a_case() -> None:
    w = World()
    msg = w.message()
    w.dead_letters.put(msg.model_dump_json(), msg.gss_code, "d1")
    w.dead_letters.put("{not json", "E08000035", "d2")
    result = w.staff().redrive()
    assert result == {"moved": 1, "case_ids": [msg.case_id], "left_in_dlq": 1}


def test_work_done() -> None:
    w = World()
    w.work.raise_item("need_help", "k", w.clock.now())
    (item,) = w.staff().list_work()
    assert w.staff().work_done(item["item_id"], "sam", "called them") == {"item_id": item["item_id"], "state": "done"}
    with pytest.raises(StaffError):
        w.staff().work_done("nope", "sam", "")
