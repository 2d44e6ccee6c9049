"""The answer pages: GET shows the form and changes nothing; POST records the answer once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..adapters import dynamodb as ddb
from ..adapters import repository as repo
from ..adapters import sns, stepfunctions
from ..domain import links
from ..domain.answers import AnswerForm, parse_answer_form
from ..domain.clock import working_days_between
from ..domain.models import OPEN_STATUSES, AnswerKind
from ..render.pages import (
    FormCase,
    already_answered_page,
    confirmation_page,
    expired_page,
    form_page,
    not_found_page,
)
from ..settings import Settings


@dataclass(frozen=True)
class Page:
    status: int
    html: str
    outcome: str  # form | invalid | answered | already_answered | expired | not_found
    working_days: int | None = None  # when answered: working days from the first email to the answer


def _lookup(link: str, settings: Settings) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    if not links.is_well_formed(link):
        return None, None
    record = repo.get_link(settings.links_table, links.link_hash(link))
    if record is None:
        return None, None
    return record, repo.get_case(settings.cases_table, record["case_id"])


def _form_case(case: dict[str, Any], settings: Settings) -> FormCase:
    return FormCase(
        case_id=case["case_id"],
        la_name=case["la_name"],
        urn=case["urn"],
        home_name=case.get("home_name"),
        provision_type=case["provision_type"],
        home_local_authority=case.get("home_local_authority"),
        rating_date=date.fromisoformat(case["rating_date"]),
        deadline=date.fromisoformat(case.get("reply_by") or case["rating_date"]),
        help_at_hand=settings.help_at_hand,
        answer=case.get("answer"),  # once answered: shown when the link is used again
        answered_at=case.get("answered_at"),
        children_count=case.get("children_count"),
        advocacy_before_contact=case.get("advocacy_before_contact"),
    )


def _closed_page(record: dict[str, Any], case: dict[str, Any] | None, now: datetime, settings: Settings) -> Page | None:
    fc = _form_case(case, settings) if case else None
    if record.get("used_at"):
        return Page(410, already_answered_page(fc, settings.help_at_hand), "already_answered")
    expires = datetime.fromisoformat(record["expires"].replace("Z", "+00:00"))
    if case is None or now >= expires or case["status"] not in {s.value for s in OPEN_STATUSES}:
        return Page(410, expired_page(fc, settings.help_at_hand), "expired")
    return None


def show_form(link: str, settings: Settings, action_url: str) -> Page:
    record, case = _lookup(link, settings)
    if record is None:
        return Page(404, not_found_page(settings.help_at_hand), "not_found")
    closed = _closed_page(record, case, settings.clock.now(), settings)
    if closed is not None:
        return closed
    assert case is not None
    return Page(200, form_page(_form_case(case, settings), action_url=action_url), "form")


def submit(link: str, fields: dict[str, str], settings: Settings, action_url: str) -> Page:
    record, case = _lookup(link, settings)
    if record is None:
        return Page(404, not_found_page(settings.help_at_hand), "not_found")
    now = settings.clock.now()
    closed = _closed_page(record, case, now, settings)
    if closed is not None:
        return closed
    assert case is not None
    form, errors = parse_answer_form(fields)
    if form is None:
        return Page(
            400,
            form_page(_form_case(case, settings), action_url=action_url, values=fields, errors=errors),
            "invalid",
        )
    days = _record(record, case, form, now, settings)
    if days is None:
        latest = repo.get_link(settings.links_table, record["link_hash"]) or record
        return _closed_page(latest, repo.get_case(settings.cases_table, case["case_id"]), now, settings) or Page(
            410, already_answered_page(_form_case(case, settings), settings.help_at_hand), "already_answered"
        )
    _resume(case, form, now, settings)
    return Page(200, confirmation_page(_form_case(case, settings), form), "answered", working_days=days)


def _record(
    record: dict[str, Any], case: dict[str, Any], form: AnswerForm, now: datetime, settings: Settings
) -> int | None:
    """Mark the link used, store the answer and update the case, all or nothing.
    Returns the working days to answer, or None when the link or case was closed meanwhile."""
    at = repo.iso(now)
    first = date.fromisoformat(case["first_sent"]) if case.get("first_sent") else now.date()
    days = working_days_between(first, now.date())
    answer_doc = {
        "case_id": case["case_id"],
        "answered_at": at,
        "answer": form.answer.value,
        "children_count": form.children_count,
        "responder_name": form.responder_name,
        "responder_role": form.responder_role,
        "responder_email": form.responder_email,
        "notes": form.notes,
        "gss_code": case["gss_code"],
        "urn": case["urn"],
        "reminders_before_answer": int(case.get("reminders_sent", 0)),
        "escalated_before_answer": bool(case.get("escalated_at")),
        "working_days_to_answer": days,
        "expires_at": repo.expires_at(now),
    }
    open_values = {f":o{i}": s for i, s in enumerate(repo.OPEN)}
    # true / false, or an explicit null for "do not know" and "not asked" (to_item drops None)
    before = {"NULL": True} if form.advocacy_before_contact is None else {"BOOL": form.advocacy_before_contact}
    try:
        ddb.transact(
            [
                {
                    "Update": {
                        "TableName": settings.links_table,
                        "Key": ddb.to_item({"link_hash": record["link_hash"]}),
                        "UpdateExpression": "SET used_at = :at",
                        "ConditionExpression": "attribute_exists(link_hash) AND attribute_not_exists(used_at)",
                        "ExpressionAttributeValues": ddb.to_item({":at": at}),
                    }
                },
                {
                    "Put": {
                        "TableName": settings.answers_table,
                        "Item": {**ddb.to_item(answer_doc), "advocacy_before_contact": before},
                    }
                },
                {
                    "Update": {
                        "TableName": settings.cases_table,
                        "Key": ddb.to_item({"case_id": case["case_id"], "sk": ddb.CASE}),
                        "UpdateExpression": "SET #status = :s, #answered_at = :at, #answer = :s, "
                        "#children = :n, #days = :d, #before = :b",
                        "ConditionExpression": "#status IN (" + ", ".join(open_values) + ")",
                        "ExpressionAttributeNames": {
                            "#status": "status",
                            "#answered_at": "answered_at",
                            "#answer": "answer",
                            "#children": "children_count",
                            "#days": "working_days_to_answer",
                            "#before": "advocacy_before_contact",
                        },
                        "ExpressionAttributeValues": {
                            **ddb.to_item(
                                {
                                    ":s": form.answer.value,
                                    ":at": at,
                                    ":n": form.children_count,
                                    ":d": days,
                                    **open_values,
                                }
                            ),
                            ":b": before,
                        },
                    }
                },
            ]
        )
    except ddb.ConditionFailed:
        return None
    repo.add_event(settings.cases_table, case["case_id"], now, "answered", answer=form.answer.value, working_days=days)
    return days


def _resume(case: dict[str, Any], form: AnswerForm, now: datetime, settings: Settings) -> None:
    latest = repo.get_case(settings.cases_table, case["case_id"]) or case
    token = latest.get("task_token")
    # If the token has just timed out, the next stage's task sees the answer and finishes itself.
    if token:
        stepfunctions.succeed(token, {"answer": form.answer.value, "answered_at": repo.iso(now)})
    if form.answer is AnswerKind.NEED_HELP:
        repo.add_work_item(
            settings.work_table,
            "need_help",
            case["case_id"],
            now,
            case_id=case["case_id"],
            gss_code=case["gss_code"],
        )
        sns.alert(
            settings.alert_topic_arn,
            "advocacy-notify: an authority asked for help",
            {"case_id": case["case_id"], "gss_code": case["gss_code"], "urn": case["urn"]},
        )
