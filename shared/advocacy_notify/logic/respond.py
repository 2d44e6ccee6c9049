"""The answer pages: GET shows the form and changes nothing; POST records the answer once, with everything
it causes, and shows the council its answer was recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain import links as link_ids
from ..domain.answers import AnswerForm, parse_answer_form
from ..domain.case import Case
from ..domain.clock import iso, uk_date, working_days_between
from ..domain.emails import HelpAtHand
from ..domain.measures import habitual_referral
from ..domain.models import AnswerKind
from ..ports import AnswerRecord, Answers, Cases, Clock, LinkRecord, Links, OutboxEntry, WorkItems
from ..render.pages import (
    FormCase,
    already_answered_page,
    confirmation_page,
    expired_page,
    form_page,
    not_found_page,
)
from .outbox import ALERT, RESUME, DeliverEffects


@dataclass(frozen=True)
class Page:
    status: int
    html: str
    outcome: str  # form | invalid | answered | already_answered | expired | not_found | error
    working_days: int | None = None  # when answered: working days from the first email to the answer
    answer: str | None = None  # when answered: the answer kind
    habitual_referral: bool | None = None  # when answered: its part in the measure (None: not in it)
    gss_code: str | None = None  # when answered: the authority


class Respond:
    def __init__(
        self,
        *,
        links: Links,
        cases: Cases,
        answers: Answers,
        work: WorkItems,
        effects: DeliverEffects,
        clock: Clock,
        help_at_hand: HelpAtHand,
    ) -> None:
        self.links, self.cases, self.answers, self.work = links, cases, answers, work
        self.effects, self.clock, self.help_at_hand = effects, clock, help_at_hand

    def _lookup(self, link: str) -> tuple[LinkRecord | None, Case | None]:
        if not link_ids.is_well_formed(link):
            return None, None
        record = self.links.get(link_ids.link_hash(link))
        if record is None:
            return None, None
        return record, self.cases.get(record.case_id)

    def _form_case(self, case: Case) -> FormCase:
        return FormCase(
            **case.facts(),
            deadline=case.reply_by or case.rating_date,
            help_at_hand=self.help_at_hand,
            answer=case.answer.value if case.answer else None,  # once answered: shown when the link is used again
            answered_at=case.answered_at,
            children_count=case.children_count,
            advocacy_before_contact=case.advocacy_before_contact,
        )

    def _closed_page(self, record: LinkRecord, case: Case | None, now: datetime) -> Page | None:
        fc = self._form_case(case) if case else None
        if record.used_at is not None:
            return Page(410, already_answered_page(fc, self.help_at_hand), "already_answered")
        if case is None or now >= record.expires or not case.is_open:
            return Page(410, expired_page(fc, self.help_at_hand), "expired")
        return None

    def show_form(self, link: str, action_url: str) -> Page:
        record, case = self._lookup(link)
        if record is None:
            return Page(404, not_found_page(self.help_at_hand), "not_found")
        closed = self._closed_page(record, case, self.clock.now())
        if closed is not None:
            return closed
        assert case is not None
        return Page(200, form_page(self._form_case(case), action_url=action_url), "form")

    def submit(self, link: str, fields: dict[str, str], action_url: str) -> Page:
        record, case = self._lookup(link)
        if record is None:
            return Page(404, not_found_page(self.help_at_hand), "not_found")
        now = self.clock.now()
        closed = self._closed_page(record, case, now)
        if closed is not None:
            return closed
        assert case is not None
        form, errors = parse_answer_form(fields)
        if form is None:
            page = form_page(self._form_case(case), action_url=action_url, values=fields, errors=errors)
            return Page(400, page, "invalid")
        answer = self._answer_record(record, case, form, now)
        effects = self._effects(case, form, now)
        recorded = self.cases.record_answer(answer, self.answers, self.links, self.work, effects)
        if recorded is None:  # the link was used, or the case closed, a moment ago
            latest = self.links.get(record.link_hash) or record
            return self._closed_page(latest, self.cases.get(case.case_id), now) or Page(
                410, already_answered_page(self._form_case(case), self.help_at_hand), "already_answered"
            )
        self.effects.deliver(effects)  # what fails here stays in the outbox: the reconciler delivers it
        page = confirmation_page(self._form_case(case), form)
        return Page(
            200,
            page,
            "answered",
            working_days=answer.working_days_to_answer,
            answer=form.answer.value,
            habitual_referral=habitual_referral(form.answer.value, form.advocacy_before_contact),
            gss_code=case.gss_code,
        )

    @staticmethod
    def _answer_record(record: LinkRecord, case: Case, form: AnswerForm, now: datetime) -> AnswerRecord:
        first = case.first_sent or uk_date(now)
        return AnswerRecord(
            case_id=case.case_id,
            link_hash=record.link_hash,
            answered_at=now,
            answer=form.answer.value,
            children_count=form.children_count,
            advocacy_before_contact=form.advocacy_before_contact,
            responder_name=form.responder_name,
            responder_role=form.responder_role,
            responder_email=form.responder_email,
            notes=form.notes,
            gss_code=case.gss_code,
            urn=case.urn,
            reminders_before_answer=case.reminders_sent,
            escalated_before_answer=case.escalated_at is not None,
            working_days_to_answer=working_days_between(first, uk_date(now)),
        )

    @staticmethod
    def _effects(case: Case, form: AnswerForm, now: datetime) -> list[OutboxEntry]:
        effects = [OutboxEntry(case.case_id, RESUME, now, {"answer": form.answer.value, "answered_at": iso(now)})]
        if form.answer is AnswerKind.NEED_HELP:
            detail = {
                "subject": "advocacy-notify: an authority asked for help",
                "case_id": case.case_id,
                "gss_code": case.gss_code,
                "urn": case.urn,
            }
            effects.append(OutboxEntry(case.case_id, ALERT, now, detail))
        return effects
