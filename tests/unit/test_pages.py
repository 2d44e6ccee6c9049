"""The respond pages and the answer form: validation, rendering, accessibility and escaping; the habitual-referral
question, oversize posts, a used link's answer, the error summary's script and the response headers."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from advocacy_notify.domain.answers import (
    ANSWER_LABELS,
    ASKS_BEFORE_CONTACT,
    BEFORE_CONTACT_VALUES,
    MAX_FIELD_CHARS,
    MAX_FIELDS,
    MAX_NOTES,
    AnswerForm,
    before_contact_form_value,
    parse_answer_form,
    read_form_body,
)
from advocacy_notify.domain.emails import HelpAtHand
from advocacy_notify.domain.models import AnswerKind
from advocacy_notify.render.formats import uk_date_time
from advocacy_notify.render.pages import (
    ERROR_SUMMARY_SCRIPT,
    PAGE_CSP,
    PAGE_HEADERS,
    FormCase,
    already_answered_page,
    confirmation_page,
    error_page,
    expired_page,
    form_page,
    not_found_page,
)

ACTION = "/respond/abcDEF123"
OUR_SCRIPT = f"<script>{ERROR_SUMMARY_SCRIPT}</script>"  # the form with errors carries this one script
BEFORE_CONTACT_ERROR = (
    "Select whether every child had an advocate, or had been referred to one, before Help at Hand contacted you"
)
HOSTILE_NAME = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","x")'


def make_case(**overrides: Any) -> FormCase:
    values: dict[str, Any] = {
        "case_id": "SC123456-E08000035-20261116",
        "la_name": "Leeds",
        "urn": "SC123456",
        "home_name": "Sunny House",
        "provision_type": "Children's home",
        "home_local_authority": "Wakefield",
        "rating_date": date(2026, 11, 16),
        "deadline": date(2026, 12, 1),
    }
    values.update(overrides)
    return FormCase(**values)


def valid_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "answer": "confirmed",
        "children_count": "2",
        "responder_name": "Jo Bloggs",
        "responder_role": "Advocacy lead",
        "responder_email": "jo.bloggs@leeds.example",
        "notes": "",
        "advocacy_before_contact": "yes",  # asked for confirmed and referrals_in_progress, ignored otherwise
    }
    fields.update(overrides)
    return fields


def title_of(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return match.group(1).strip()


class _Collector(HTMLParser):
    """Collects tags and attributes, to check structure without string matching."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Collector()
    parser.feed(html)
    return parser.tags


def all_pages() -> list[str]:
    case = make_case()
    form, _ = parse_answer_form(valid_fields())
    assert form is not None
    _, errors = parse_answer_form({})
    return [
        form_page(case, action_url=ACTION),
        form_page(case, action_url=ACTION, values={}, errors=errors),
        confirmation_page(case, form),
        already_answered_page(case),
        already_answered_page(None),
        expired_page(case),
        expired_page(None),
        not_found_page(),
        error_page(),
    ]


# =========================================================================== answers


def test_labels_cover_every_answer() -> None:
    assert set(ANSWER_LABELS) == set(AnswerKind)
    assert ANSWER_LABELS[AnswerKind.CONFIRMED] == (
        "Every child we placed there has an independent advocate or has been offered one"
    )
    assert ANSWER_LABELS[AnswerKind.REFERRALS_IN_PROGRESS] == "We are making referrals to an advocate now"
    assert ANSWER_LABELS[AnswerKind.NO_CHILDREN_PLACED] == "We have no children placed there"
    assert ANSWER_LABELS[AnswerKind.NEED_HELP] == "We need help to arrange advocacy"


@pytest.mark.parametrize("answer", ["confirmed", "referrals_in_progress", "need_help"])
def test_valid_answers(answer: str) -> None:
    form, errors = parse_answer_form(valid_fields(answer=answer, children_count=" 3 ", notes="Thanks"))
    assert errors == {}
    assert form is not None
    assert form.answer == AnswerKind(answer)
    assert form.children_count == 3
    assert form.responder_name == "Jo Bloggs"
    assert form.notes == "Thanks"


@pytest.mark.parametrize("count", ["", "0"])
def test_no_children_placed_count_blank_or_zero(count: str) -> None:
    form, errors = parse_answer_form(valid_fields(answer="no_children_placed", children_count=count))
    assert errors == {}
    assert form is not None
    assert form.children_count == 0


def test_no_children_placed_count_absent() -> None:
    fields = valid_fields(answer="no_children_placed")
    del fields["children_count"]
    form, errors = parse_answer_form(fields)
    assert errors == {}
    assert form is not None
    assert form.children_count == 0


def test_no_children_placed_with_children_is_an_error() -> None:
    form, errors = parse_answer_form(valid_fields(answer="no_children_placed", children_count="2"))
    assert form is None
    assert set(errors) == {"children_count"}
    assert "must be 0" in errors["children_count"]


def test_confirmed_with_zero_children_is_an_error() -> None:
    form, errors = parse_answer_form(valid_fields(children_count="0"))
    assert form is None
    assert "We have no children placed there" in errors["children_count"]


def test_empty_form_errors_in_gov_uk_style_and_page_order() -> None:
    form, errors = parse_answer_form({})
    assert form is None
    assert list(errors) == ["answer", "children_count", "responder_name", "responder_role", "responder_email"]
    assert errors["answer"] == "Select what you can confirm"
    assert errors["children_count"] == "Enter the number of children, like 2"
    assert errors["responder_name"] == "Enter your name"
    assert errors["responder_role"] == "Enter your role"
    assert errors["responder_email"] == "Enter your email address"


@pytest.mark.parametrize(
    ("count", "message_part"),
    [
        ("abc", "whole number"),
        ("-1", "0 or more"),
        ("1e9", "whole number"),
        ("2.5", "whole number"),
        ("501", "500 or fewer"),
        ("1000000000", "500 or fewer"),
        ("9" * 5000, "whole number"),
        ("١٢", "whole number"),  # non-ASCII digits
        ("1_0", "whole number"),
    ],
)
def test_bad_children_counts(count: str, message_part: str) -> None:
    form, errors = parse_answer_form(valid_fields(children_count=count))
    assert form is None
    assert message_part in errors["children_count"]


def test_unknown_answer_value() -> None:
    form, errors = parse_answer_form(valid_fields(answer="yes_please"))
    assert form is None
    assert errors == {"answer": "Select what you can confirm"}


@pytest.mark.parametrize(
    "address",
    [
        "jo",
        "jo@",
        "@leeds.example",
        "jo@leeds",
        "jo bloggs@leeds.example",
        "jo@leeds.example\r\nBcc: x@evil.example",
        "jo@leeds.example,x@evil.example",
        "Jo <jo@leeds.example>",
        "jo@@leeds.example",
        "jo..b@leeds.example",
        "jö@leeds.example",
    ],
)
def test_bad_email_addresses(address: str) -> None:
    form, errors = parse_answer_form(valid_fields(responder_email=address))
    assert form is None
    assert errors == {"responder_email": "Enter your email address in the correct format, like name@example.com"}


def test_email_address_too_long() -> None:
    address = "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "example"
    form, errors = parse_answer_form(valid_fields(responder_email=address))
    assert form is None
    assert "254 characters or fewer" in errors["responder_email"]


def test_text_limits_and_control_characters() -> None:
    form, errors = parse_answer_form(
        valid_fields(responder_name="x" * 121, responder_role="Lead\x00er", notes="n" * 2001)
    )
    assert form is None
    assert errors["responder_name"] == "Your name must be 120 characters or fewer"
    assert "special characters" in errors["responder_role"]
    assert errors["notes"] == "Anything else you want to tell us must be 2,000 characters or fewer"


def test_whitespace_is_tidied() -> None:
    form, errors = parse_answer_form(
        valid_fields(responder_name="  Jo \t Bloggs\r\n ", notes="  line 1\r\nline 2\x00  ")
    )
    assert errors == {}
    assert form is not None
    assert form.responder_name == "Jo Bloggs"
    assert form.notes == "line 1\nline 2"


def test_oversized_input_never_raises() -> None:
    huge = "x" * 1_000_000
    form, errors = parse_answer_form(
        {
            "answer": huge,
            "children_count": huge,
            "responder_name": huge,
            "responder_role": huge,
            "responder_email": huge + "@example.com",
            "notes": huge,
            "unexpected": huge,
        }
    )
    assert form is None
    assert set(errors) == {
        "answer",
        "children_count",
        "responder_name",
        "responder_role",
        "responder_email",
        "notes",
    }


def test_one_megabyte_notes_is_an_error_not_an_exception() -> None:
    form, errors = parse_answer_form(valid_fields(notes="a\n" * 500_000))
    assert form is None
    assert list(errors) == ["notes"]


def test_extra_fields_ignored_and_formula_kept_as_text() -> None:
    form, errors = parse_answer_form(valid_fields(notes=FORMULA, csrf="x", submit="Send answer"))
    assert errors == {}
    assert form is not None
    assert form.notes == FORMULA


def test_model_enforces_count_rules_directly() -> None:
    base: dict[str, Any] = {
        "responder_name": "Jo",
        "responder_role": "Lead",
        "responder_email": "jo@leeds.example",
    }
    assert AnswerForm(answer=AnswerKind.NO_CHILDREN_PLACED, **base).children_count == 0
    with pytest.raises(ValueError):
        AnswerForm(answer=AnswerKind.NO_CHILDREN_PLACED, children_count=3, **base)
    with pytest.raises(ValueError):
        AnswerForm(answer=AnswerKind.CONFIRMED, children_count=0, **base)
    with pytest.raises(ValueError):
        AnswerForm(answer=AnswerKind.CONFIRMED, children_count=501, **base)
    with pytest.raises(ValueError):
        AnswerForm(answer=AnswerKind.CONFIRMED, children_count=1, **{**base, "responder_email": "x\r\n@y"})


# =========================================================================== the form page


def test_form_page_structure() -> None:
    html = form_page(make_case(), action_url=ACTION)
    assert '<html lang="en-GB">' in html
    assert title_of(html).startswith("Confirm advocacy for children placed at Sunny House")
    assert "Help at Hand - Children" in html
    assert 'href="#main-content"' in html
    assert 'id="main-content"' in html
    found = tags(html)
    forms = [a for t, a in found if t == "form"]
    assert forms == [{"method": "post", "action": ACTION, "novalidate": None, "accept-charset": "utf-8"}]
    assert sum(1 for t, _ in found if t == "fieldset") == 2  # what you can confirm; the habitual-referral question
    assert "<legend" in html
    legend = re.search(r"<legend.*?</legend>", html, re.S)
    assert legend
    assert "What can you confirm about the children Leeds placed at Sunny House?" in legend.group(0)
    radios = [a for t, a in found if t == "input" and a.get("type") == "radio"]
    answer_radios = [r for r in radios if r["name"] == "answer"]
    before_radios = [r for r in radios if r["name"] == "advocacy_before_contact"]
    assert [r["value"] for r in answer_radios] == [k.value for k in AnswerKind]
    assert [r["value"] for r in before_radios] == ["yes", "no", "unknown"]
    assert len(radios) == len(answer_radios) + len(before_radios)  # no other radios
    assert radios[0]["id"] == "answer"
    assert before_radios[0]["id"] == "advocacy_before_contact"
    label_fors = {a["for"] for t, a in found if t == "label"}
    for radio in radios:
        assert radio["id"] in label_fors
    for kind, label in ANSWER_LABELS.items():
        assert label in html, kind
    inputs = {a["name"]: a for t, a in found if t in ("input", "textarea") and a.get("name")}
    assert inputs["children_count"]["inputmode"] == "numeric"
    assert inputs["responder_email"]["autocomplete"] == "email"
    assert inputs["responder_email"]["type"] == "email"
    for name in ("children_count", "responder_name", "responder_role", "responder_email", "notes"):
        assert inputs[name]["id"] == name
        assert name in label_fors
    assert "How many children has your council placed there?" in html
    assert "Your name" in html
    assert "Your role" in html
    assert "Your email address" in html
    assert "Anything else you want to tell us (optional)" in html
    assert re.search(r'<button type="submit"[^>]*>Send answer</button>', html)
    assert 'class="error-summary"' not in html
    assert "There is a problem" not in html
    assert "0800 528 0731" in html


def test_form_page_with_errors_keeps_values_and_links_to_fields() -> None:
    fields = {
        "answer": "confirmed",
        "children_count": "abc",
        "responder_name": "Jo Bloggs",
        "responder_role": "",
        "responder_email": "jo@",
        "notes": FORMULA,
        "advocacy_before_contact": "no",
    }
    form, errors = parse_answer_form(fields)
    assert form is None
    html = form_page(make_case(), action_url=ACTION, values=fields, errors=errors)
    assert title_of(html).startswith("Error: Confirm advocacy")
    summary = re.search(r'<div class="error-summary"[^>]*>.*?</div>', html, re.S)
    assert summary
    assert 'role="alert"' in summary.group(0)
    assert 'tabindex="-1"' in summary.group(0)
    assert "autofocus" not in html
    assert "There is a problem" in summary.group(0)
    hrefs = re.findall(r'href="#([a-z_]+)"', summary.group(0))
    assert hrefs == ["children_count", "responder_role", "responder_email"]
    ids = {a.get("id") for _, a in tags(html)}
    for target in hrefs:
        assert target in ids
        assert f'id="{target}-error"' in html
    # values are kept
    assert re.search(r'value="confirmed" [^>]*checked', html)
    assert re.search(r'value="no" [^>]*checked', html)
    assert 'value="abc"' in html
    assert 'value="Jo Bloggs"' in html
    assert 'value="jo@"' in html
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;x&#34;)</textarea>" in html
    # field-level messages, with hidden "Error:" prefix, tied to the inputs
    assert '<span class="visually-hidden">Error:</span> Enter your role' in html
    assert re.search(r'id="responder_role"[^>]*aria-describedby="responder_role-hint responder_role-error"', html)


def test_answer_error_links_to_first_radio() -> None:
    fields = valid_fields(answer="", advocacy_before_contact="")
    _, errors = parse_answer_form(fields)
    html = form_page(make_case(), action_url=ACTION, values=fields, errors=errors)
    assert '<a href="#answer">Select what you can confirm</a>' in html
    assert 'id="answer"' in html
    assert "checked" not in html


def test_hostile_data_is_escaped_everywhere() -> None:
    case = make_case(home_name=HOSTILE_NAME, la_name='Leeds" onmouseover="x', home_local_authority="<b>x</b>")
    form, _ = parse_answer_form(valid_fields(notes=FORMULA + "\n<img src=x onerror=alert(1)>"))
    assert form is not None
    values = valid_fields(responder_name='"><script>alert(2)</script>', notes=HOSTILE_NAME)
    pages = [
        form_page(case, action_url=ACTION, values=values, errors={"responder_role": "Enter your role"}),
        confirmation_page(case, form),
        already_answered_page(case),
        expired_page(case),
    ]
    for html in pages:
        assert "<script" not in html.replace(OUR_SCRIPT, "").lower()
        assert "<img" not in html.lower()
        assert "<b>x</b>" not in html
        assert 'onmouseover="x' not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;x&#34;)" in pages[1]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[1]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/x", "/a b", "data:x"])
def test_form_page_rejects_unsafe_action(url: str) -> None:
    with pytest.raises(ValueError):
        form_page(make_case(), action_url=url)


def test_huge_values_are_not_echoed_in_full() -> None:
    huge = "x" * 1_000_000
    values = {"answer": huge, "children_count": huge, "responder_name": huge, "notes": huge}
    _, errors = parse_answer_form(values)
    html = form_page(make_case(), action_url=ACTION, values=values, errors=errors)
    assert len(html) < 60_000


def test_withheld_home_name_uses_urn() -> None:
    html = form_page(make_case(home_name=None, home_local_authority=None), action_url=ACTION)
    assert "placed at SC123456?" in html
    assert "Local authority area" not in html
    assert ">None<" not in html
    assert "None placed" not in html


# =========================================================================== other pages


def test_confirmation_page_summarises_answer() -> None:
    form, _ = parse_answer_form(valid_fields(answer="need_help", children_count="3", notes="Please call"))
    assert form is not None
    html = confirmation_page(make_case(), form)
    assert title_of(html).startswith("Answer received")
    assert re.search(r'<h1 class="panel__title">Answer received</h1>', html)
    assert "We need help to arrange advocacy" in html
    assert "Help at Hand will contact you within 2 working days" in html
    assert "Jo Bloggs" in html
    assert "Advocacy lead" in html
    assert "jo.bloggs@leeds.example" in html
    assert "Please call" in html
    assert "What happens next" in html


@pytest.mark.parametrize("answer", ["confirmed", "referrals_in_progress", "no_children_placed"])
def test_confirmation_next_steps_per_answer(answer: str) -> None:
    count = "0" if answer == "no_children_placed" else "1"
    form, _ = parse_answer_form(valid_fields(answer=answer, children_count=count))
    assert form is not None
    html = confirmation_page(make_case(), form)
    assert ANSWER_LABELS[AnswerKind(answer)] in html
    assert "within 2 working days" not in html
    assert "What happens next" in html


def test_page_titles_are_distinct() -> None:
    titles = [title_of(html) for html in all_pages()]
    assert titles[1].startswith("Error: ")
    assert titles[0] == titles[1].removeprefix("Error: ")
    distinct = {titles[0], *titles[2:]}
    assert len(distinct) == 6  # form, confirmation, already answered, expired, not found, error
    assert title_of(already_answered_page(None)).startswith("This link has already been used")
    assert title_of(expired_page(None)).startswith("This link has expired")
    assert title_of(not_found_page()).startswith("Page not found")
    assert title_of(error_page()).startswith("Sorry, there is a problem with the service")


def test_every_page_is_accessible_and_runs_no_script_but_the_error_summarys() -> None:
    for html in all_pages():
        assert html.startswith("<!DOCTYPE html>")
        assert '<html lang="en-GB">' in html
        scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S | re.I)
        assert scripts == ([ERROR_SUMMARY_SCRIPT] if 'class="error-summary"' in html else [])
        assert "<script" not in html.replace(OUR_SCRIPT, "").lower()
        assert " on" + "click" not in html.lower()
        assert "javascript:" not in html.lower()
        assert "<img" not in html.lower()
        assert "<link" not in html.lower()  # no external stylesheet
        assert "Skip to main content" in html
        assert html.count("<h1") == 1
        assert "<main" in html
        assert ":focus" in html
        # Help at Hand contact details on every page
        assert "0800 528 0731" in html
        assert "help.at.hand@childrenscommissioner.gov.uk" in html
        assert 'name="referrer" content="no-referrer"' in html


def test_pages_use_given_help_at_hand_details() -> None:
    case = make_case(help_at_hand=HelpAtHand(phone="0800 111 2222", email="h@cc.example"))
    assert "0800 111 2222" in expired_page(case)
    assert "h@cc.example" in already_answered_page(case)


def test_error_page_is_generic() -> None:
    html = error_page()
    assert "Sorry, there is a problem with the service" in html
    assert "Traceback" not in html
    assert "Exception" not in html


# =========================================================================== the habitual-referral question


@pytest.mark.parametrize("answer", ["confirmed", "referrals_in_progress"])
@pytest.mark.parametrize(("value", "stored"), [("yes", True), ("no", False), ("unknown", None)])
def test_asked_when_children_are_placed(answer: str, value: str, stored: bool | None) -> None:
    form, errors = parse_answer_form(valid_fields(answer=answer, advocacy_before_contact=value))
    assert errors == {}
    assert form is not None
    assert form.advocacy_before_contact is stored


@pytest.mark.parametrize("answer", ["confirmed", "referrals_in_progress"])
@pytest.mark.parametrize("value", ["", "   ", "maybe", "true", "YES", "y" * 100_000])
def test_required_when_children_are_placed(answer: str, value: str) -> None:
    form, errors = parse_answer_form(valid_fields(answer=answer, advocacy_before_contact=value))
    assert form is None
    assert errors == {"advocacy_before_contact": BEFORE_CONTACT_ERROR}


def test_missing_question_is_reported_in_page_order() -> None:
    bad = valid_fields(answer="referrals_in_progress", responder_name="")
    del bad["advocacy_before_contact"]
    _, errors = parse_answer_form(bad)
    assert list(errors) == ["advocacy_before_contact", "responder_name"]


@pytest.mark.parametrize("answer", ["no_children_placed", "need_help"])
@pytest.mark.parametrize("value", ["yes", "no", "unknown", "", "rubbish"])
def test_ignored_for_the_other_answers(answer: str, value: str) -> None:
    count = "0" if answer == "no_children_placed" else "1"
    form, errors = parse_answer_form(valid_fields(answer=answer, children_count=count, advocacy_before_contact=value))
    assert errors == {}
    assert form is not None
    assert form.advocacy_before_contact is None  # "not asked" is stored as null


def test_not_asked_while_the_answer_itself_is_missing() -> None:
    _, errors = parse_answer_form(valid_fields(answer="", advocacy_before_contact=""))
    assert "answer" in errors
    assert "advocacy_before_contact" not in errors


def test_the_model_keeps_the_rule() -> None:
    base: dict[str, Any] = {"responder_name": "Jo", "responder_role": "Lead", "responder_email": "jo@leeds.example"}
    assert AnswerForm(answer=AnswerKind.CONFIRMED, children_count=1, advocacy_before_contact=False, **base)
    with pytest.raises(ValueError):
        AnswerForm(answer=AnswerKind.NO_CHILDREN_PLACED, advocacy_before_contact=True, **base)
    assert {AnswerKind.CONFIRMED, AnswerKind.REFERRALS_IN_PROGRESS} == ASKS_BEFORE_CONTACT


def test_form_values_and_stored_values_round_trip() -> None:
    for value, stored in BEFORE_CONTACT_VALUES.items():
        assert before_contact_form_value(stored) == value


def test_the_form_asks_one_clear_question() -> None:
    html = form_page(make_case(), action_url=ACTION)
    fieldsets = re.findall(r"<fieldset.*?</fieldset>", html, re.S)
    assert len(fieldsets) == 2
    question = fieldsets[1]
    legend = re.search(r"<legend.*?</legend>", question, re.S)
    assert legend
    assert (
        "Before Help at Hand contacted you, did every child Leeds placed there already have an advocate, "
        "or had they been referred to one?" in legend.group(0)
    )
    assert 'aria-describedby="advocacy_before_contact-hint"' in question
    assert 'id="advocacy_before_contact-hint"' in question
    radios = re.findall(
        r'<input class="radios__input" id="([^"]+)" name="advocacy_before_contact"[^>]*value="(\w+)"', question
    )
    assert radios == [
        ("advocacy_before_contact", "yes"),
        ("advocacy_before_contact-2", "no"),
        ("advocacy_before_contact-3", "unknown"),
    ]
    for label in ('for="advocacy_before_contact">Yes<', ">No<", ">I do not know<"):
        assert label in question
    # after the number of children, before the responder's details
    assert (
        html.index('id="children_count"')
        < html.index('id="advocacy_before_contact"')
        < html.index('id="responder_name"')
    )


def test_the_question_with_an_error_keeps_the_other_values() -> None:
    posted = valid_fields(advocacy_before_contact="")
    _, errors = parse_answer_form(posted)
    html = form_page(make_case(), action_url=ACTION, values=posted, errors=errors)
    assert f'<a href="#advocacy_before_contact">{BEFORE_CONTACT_ERROR}</a>' in html
    assert f'<span class="visually-hidden">Error:</span> {BEFORE_CONTACT_ERROR}' in html
    assert re.search(
        r'<fieldset class="fieldset" aria-describedby="advocacy_before_contact-hint advocacy_before_contact-error"',
        html,
    )
    assert re.search(r'value="confirmed" [^>]*checked', html)
    assert 'value="Jo Bloggs"' in html
    chosen = form_page(
        make_case(), action_url=ACTION, values=valid_fields(advocacy_before_contact="unknown"), errors={}
    )
    assert re.search(r'name="advocacy_before_contact" type="radio" value="unknown" checked', chosen)


@pytest.mark.parametrize(("value", "shown"), [("yes", "Yes"), ("no", "No"), ("unknown", "I do not know")])
def test_confirmation_repeats_the_answer(value: str, shown: str) -> None:
    form, _ = parse_answer_form(valid_fields(advocacy_before_contact=value))
    assert form is not None
    html = confirmation_page(make_case(), form)
    assert re.search(rf"before Help at Hand contacted you</dt><dd>{shown}</dd>", html)


def test_confirmation_does_not_mention_it_when_not_asked() -> None:
    form, _ = parse_answer_form(valid_fields(answer="no_children_placed", children_count="0"))
    assert form is not None
    assert "before Help at Hand contacted you</dt>" not in confirmation_page(make_case(), form)


# =========================================================================== oversize posts


def test_a_post_reads_like_parse_qsl() -> None:
    body = urlencode({"answer": "confirmed", "notes": "a & b = c\r\nd", "responder_name": "Jö+1 "})
    assert read_form_body(body + "&empty=&bare") == {
        "answer": "confirmed",
        "notes": "a & b = c\r\nd",
        "responder_name": "Jö+1 ",
        "empty": "",
        "bare": "",
    }
    assert read_form_body("") == {}
    assert read_form_body("answer=a&answer=b") == {"answer": "b"}  # the last one, as dict(parse_qsl(...))


def test_a_70_kib_paste_costs_only_the_notes() -> None:
    posted = valid_fields(notes="x" * 70 * 1024)
    got = read_form_body(urlencode(posted))
    assert len(got["notes"]) == MAX_FIELD_CHARS
    assert {k: v for k, v in got.items() if k != "notes"} == {k: v for k, v in posted.items() if k != "notes"}
    form, errors = parse_answer_form(got)
    assert form is None
    assert errors == {"notes": f"Anything else you want to tell us must be {MAX_NOTES:,} characters or fewer"}
    html = form_page(make_case(), action_url=ACTION, values=got, errors=errors)
    assert 'value="Jo Bloggs"' in html
    assert 'value="jo.bloggs@leeds.example"' in html
    assert re.search(r'value="confirmed" [^>]*checked', html)
    assert re.search(r'name="advocacy_before_contact" type="radio" value="yes" checked', html)
    assert html.count('class="error-message"') == 1
    assert len(html) < 60_000


def test_encoded_multibyte_paste_is_cut_too() -> None:
    got = read_form_body(urlencode(valid_fields(notes="€" * 50_000)))  # 9 encoded characters each
    assert got["notes"] == "€" * MAX_FIELD_CHARS
    assert got["responder_name"] == "Jo Bloggs"


def test_ten_megabytes_is_read_quickly_and_boundedly() -> None:
    """API Gateway HTTP APIs accept 10 MB: the function cuts, never decodes it all."""
    body = urlencode(valid_fields()) + "&notes=" + "%41" * (10 * 1024 * 1024 // 3)
    started = time.perf_counter()
    got = read_form_body(body)
    assert time.perf_counter() - started < 1.0
    assert got["notes"] == "A" * MAX_FIELD_CHARS
    assert got["responder_email"] == "jo.bloggs@leeds.example"


def test_too_many_fields_are_dropped_not_an_error() -> None:
    body = "&".join(f"f{i}=x" for i in range(10_000)) + "&answer=confirmed"
    got = read_form_body(body)
    assert len(got) == MAX_FIELDS
    assert "answer" not in got  # beyond the first MAX_FIELDS fields: never read
    assert read_form_body("&".join(["answer=confirmed", *[f"f{i}=x" for i in range(10_000)]]))["answer"] == "confirmed"


def test_the_notes_box_says_its_limit() -> None:
    html = form_page(make_case(), action_url=ACTION)
    textarea = re.search(r"<textarea[^>]*>", html)
    assert textarea
    assert f'maxlength="{MAX_NOTES}"' in textarea.group(0)


# =========================================================================== a used link shows the answer


def test_used_link_shows_when_and_what_was_answered() -> None:
    case = make_case(
        answer=AnswerKind.REFERRALS_IN_PROGRESS,
        answered_at=datetime(2026, 11, 18, 14, 5, tzinfo=UTC),
        children_count=3,
        advocacy_before_contact=False,
    )
    html = already_answered_page(case)
    assert "This link has already been used" in html
    assert "<dt>Answered</dt><dd>Wednesday 18 November 2026 at 2:05pm</dd>" in html
    assert "<dt>Answer</dt><dd>We are making referrals to an advocate now</dd>" in html
    assert "<dt>Number of children placed there</dt><dd>3</dd>" in html
    assert "before Help at Hand contacted you</dt><dd>No</dd>" in html
    # only the council's answer: no responder, no notes
    for absent in ("Your name", "Your email", "Your role", "Anything else"):
        assert absent not in html


def test_used_link_with_no_children_says_so() -> None:
    case = make_case(
        answer=AnswerKind.NO_CHILDREN_PLACED, answered_at=datetime(2026, 6, 1, 8, 0, tzinfo=UTC), children_count=0
    )
    html = already_answered_page(case)
    assert "<dd>Monday 1 June 2026 at 9:00am</dd>" in html  # British Summer Time
    assert "<dd>We have no children placed there</dd>" in html
    assert "before Help at Hand contacted you</dt>" not in html


def test_used_link_without_an_answer_on_record_says_only_it_was_used() -> None:
    html = already_answered_page(make_case())
    assert "This link has already been used" in html
    assert "The answer we have" not in html


@pytest.mark.parametrize(
    ("at", "shown"),
    [
        (datetime(2026, 1, 5, 0, 30, tzinfo=UTC), "Monday 5 January 2026 at 12:30am"),
        (datetime(2026, 7, 5, 11, 59, tzinfo=UTC), "Sunday 5 July 2026 at 12:59pm"),
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "Sunday 29 March 2026 at 12:59am"),  # GMT, just before BST
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "Sunday 29 March 2026 at 2:00am"),  # BST begins
        (datetime(2026, 10, 31, 23, 30), "Saturday 31 October 2026 at 11:30pm"),  # naive is UTC; GMT again
    ],
)
def test_uk_date_time(at: datetime, shown: str) -> None:
    assert uk_date_time(at) == shown


# =========================================================================== script and headers


def test_csp_allows_exactly_the_error_summary_script() -> None:
    _, errors = parse_answer_form({})
    html = form_page(make_case(), action_url=ACTION, values={}, errors=errors)
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert scripts == [ERROR_SUMMARY_SCRIPT]
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    directives = dict(d.strip().split(" ", 1) for d in PAGE_CSP.split(";"))
    assert directives["script-src"] == f"'sha256-{digest}'"
    assert directives["default-src"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "autofocus" not in html  # focus is the script's job (GOV.UK), never autofocus
    assert "summary.focus()" in ERROR_SUMMARY_SCRIPT
    assert "<script" not in form_page(make_case(), action_url=ACTION)  # no errors, no script


def test_every_answer_page_sends_hsts_and_the_csp() -> None:
    assert PAGE_HEADERS["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert PAGE_HEADERS["Content-Security-Policy"] == PAGE_CSP
    assert PAGE_HEADERS["Cache-Control"] == "no-store"


def test_long_addresses_wrap_rather_than_scroll_sideways() -> None:
    html = form_page(make_case(), action_url=ACTION)
    body_rule = re.search(r"^body\{[^}]*\}", html, re.M)
    assert body_rule
    assert "overflow-wrap:anywhere" in body_rule.group(0)
