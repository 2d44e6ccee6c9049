"""HTML pages for the respond web form (GOV.UK Design System patterns; they work without JavaScript).

Every function returns a complete HTML document rendered from `templates/page_*.html.j2` with the
shared, autoescaping Jinja2 environment. All data is escaped. The pages link to nothing on other
sites except Help at Hand's website, and ask browsers not to send a Referer (the respond address
is a secret).

The form with errors carries one small inline script (`templates/error_summary.js`: focus the error
summary, keep a field's label in view when a summary link is followed); every other page has none.
`PAGE_CSP` allows exactly that script, by its SHA-256 hash, and one inline <style> element.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from importlib.resources import files
from typing import Any

from markupsafe import Markup
from pydantic import Field

from ..domain.answers import (
    ANSWER_HINTS,
    ANSWER_LABELS,
    ASKS_BEFORE_CONTACT,
    BEFORE_CONTACT_LABELS,
    FIELD_ORDER,
    MAX_NOTES,
    AnswerForm,
    before_contact_form_value,
)
from ..domain.emails import HelpAtHand
from ..domain.models import AnswerKind, CaseFacts
from ..domain.text import clean_inline, display_home_name, safe_url
from .environment import template_environment

__all__ = [
    "ERROR_SUMMARY_SCRIPT",
    "PAGE_CSP",
    "PAGE_HEADERS",
    "FormCase",
    "already_answered_page",
    "confirmation_page",
    "error_page",
    "expired_page",
    "form_page",
    "not_found_page",
]

ERROR_SUMMARY_SCRIPT = files("advocacy_notify.render").joinpath("templates/error_summary.js").read_text("utf-8")
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(ERROR_SUMMARY_SCRIPT.encode("utf-8")).digest()).decode("ascii")

PAGE_CSP = (
    f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Every answer page's response headers: never cached (the address is a secret), HTTPS only, no framing.
PAGE_HEADERS: dict[str, str] = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": PAGE_CSP,
}

# Values echoed back into the form after an error are capped, so a huge post is not
# sent straight back to the browser.
_ECHO_MAX = {"notes": MAX_NOTES * 2}
_ECHO_DEFAULT_MAX = 500


class FormCase(CaseFacts):
    """What the respond pages need to know about one case (and, once answered, the council's answer)."""

    deadline: date
    help_at_hand: HelpAtHand = Field(default_factory=HelpAtHand)
    # the case record's answer, shown when the link is used again (never the responder's name or email)
    answer: AnswerKind | None = None
    answered_at: datetime | None = None
    children_count: int | None = None
    advocacy_before_contact: bool | None = None


def _help(help_at_hand: HelpAtHand | None) -> dict[str, str]:
    h = help_at_hand or HelpAtHand()
    return {
        "phone": clean_inline(h.phone),
        "phone_href": h.phone_href,
        "email": clean_inline(h.email),
        "website": safe_url(h.website, allow_relative=False),
    }


def _before_contact_label(answer: AnswerKind, value: bool | None) -> str | None:
    """'Yes', 'No' or 'I do not know' for the answers that ask it; None for the others."""
    return BEFORE_CONTACT_LABELS[before_contact_form_value(value)] if answer in ASKS_BEFORE_CONTACT else None


def _answered(case: FormCase) -> dict[str, Any] | None:
    if case.answer is None:
        return None
    return {
        "answer_label": ANSWER_LABELS[case.answer],
        "answered_at": case.answered_at,
        "children_count": case.children_count,
        "before_contact": _before_contact_label(case.answer, case.advocacy_before_contact),
    }


def _case_values(case: FormCase | None, help_at_hand: HelpAtHand | None = None) -> dict[str, Any]:
    if case is None:
        return {"case": None, "help": _help(help_at_hand)}
    home_name = display_home_name(case.home_name)
    urn = clean_inline(case.urn, max_len=20)
    return {
        "case": {
            "case_id": clean_inline(case.case_id, max_len=200),
            "la_name": clean_inline(case.la_name, max_len=120),
            "urn": urn,
            "home_name": home_name,
            # "Sunny House (SC123456)" or "the home with Ofsted URN SC123456"
            "home_label": f"{home_name} ({urn})" if home_name else f"the home with Ofsted URN {urn}",
            # short form for headings: "Sunny House" or "SC123456"
            "home_short": home_name or urn,
            "provision_type": clean_inline(case.provision_type, max_len=120),
            "home_local_authority": clean_inline(case.home_local_authority, max_len=120) or None,
            "rating_date": case.rating_date,
            "deadline": case.deadline,
            "answered": _answered(case),
        },
        "help": _help(case.help_at_hand),
    }


def _render(template: str, **values: Any) -> str:
    return template_environment().get_template(template).render(**values)


def _echo(values: Mapping[str, str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in FIELD_ORDER:
        raw = values.get(name, "") if values is not None else ""
        if not isinstance(raw, str):
            raw = ""
        out[name] = raw[: _ECHO_MAX.get(name, _ECHO_DEFAULT_MAX)]
    return out


def _radios(name: str, choices: list[tuple[str, str, str | None]]) -> list[dict[str, str | None]]:
    """GOV.UK radio ids: the first is the field's name (error summary links go there), then name-2, name-3..."""
    return [
        {"value": value, "id": name if i == 0 else f"{name}-{i + 1}", "label": label, "hint": hint}
        for i, (value, label, hint) in enumerate(choices)
    ]


def form_page(
    case: FormCase,
    *,
    action_url: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """The answer form. On a failed POST pass back the raw `values` and the `errors` from
    `parse_answer_form`: the page then opens with an error summary and keeps the values."""
    errs = {name: str(errors[name]) for name in FIELD_ORDER if errors and name in errors}
    return _render(
        "page_form.html.j2",
        **_case_values(case),
        action_url=safe_url(action_url),
        values=_echo(values),
        errors=errs,
        options=_radios("answer", [(k.value, ANSWER_LABELS[k], ANSWER_HINTS[k]) for k in AnswerKind]),
        before_contact_options=_radios(
            "advocacy_before_contact", [(value, label, None) for value, label in BEFORE_CONTACT_LABELS.items()]
        ),
        notes_max=MAX_NOTES,
        error_summary_script=Markup(ERROR_SUMMARY_SCRIPT) if errs else None,  # noqa: S704 - our own file
    )


def confirmation_page(case: FormCase, form: AnswerForm) -> str:
    """'Answer received': what they told us and what happens next."""
    return _render(
        "page_confirmation.html.j2",
        **_case_values(case),
        answer=form.answer.value,
        answer_label=ANSWER_LABELS[form.answer],
        before_contact=_before_contact_label(form.answer, form.advocacy_before_contact),
        form=form,
    )


def already_answered_page(case: FormCase | None, help_at_hand: HelpAtHand | None = None) -> str:
    """'This link has already been used', with when the council answered and what (from the case record)."""
    return _render("page_already_answered.html.j2", **_case_values(case, help_at_hand))


def expired_page(case: FormCase | None, help_at_hand: HelpAtHand | None = None) -> str:
    return _render("page_expired.html.j2", **_case_values(case, help_at_hand))


def not_found_page(help_at_hand: HelpAtHand | None = None) -> str:
    return _render("page_not_found.html.j2", **_case_values(None, help_at_hand))


def error_page(help_at_hand: HelpAtHand | None = None) -> str:
    """'Sorry, there is a problem with the service'. Never shows exception details."""
    return _render("page_error.html.j2", **_case_values(None, help_at_hand))
