"""One email-address validator: the directory, the answer form and the MIME builder agree on every address."""

from __future__ import annotations

from typing import Any

import pytest
from advocacy_notify.domain.addresses import InvalidAddress, is_plain_address, plain_address
from advocacy_notify.domain.answers import parse_answer_form
from advocacy_notify.domain.contacts import Contacts
from advocacy_notify.domain.models import EmailKind
from advocacy_notify.render.emails import RenderedEmail
from advocacy_notify.render.mime import build_mime
from pydantic import ValidationError

ACCEPTED = [
    "advocacy.lead@council.gov.uk",
    "Advocacy.Lead@leeds.gov.uk",
    "a+tag@council.gov.uk",
    "o'neil@council.gov.uk",
    "first_last-2@sub.domain.council.gov.uk",
    "x" * 64 + "@council.gov.uk",  # the longest local part
    "advocacy.lead@leeds.example",  # the reserved domain local runs use
]

REFUSED = [
    "a..b@council.gov.uk",  # two dots in a row: the directory used to accept it, then sending failed
    ".a@council.gov.uk",
    "a.@council.gov.uk",
    "a@council.gov.uk.",  # a trailing dot
    "a@council..gov.uk",
    "a b@council.gov.uk",  # a space inside
    "a@council gov.uk",
    "Jo Bloggs <jo@council.gov.uk>",  # display-name forms
    '"Jo Bloggs" <jo@council.gov.uk>',
    "<jo@council.gov.uk>",
    "x" * 65 + "@council.gov.uk",  # a local part over 64 characters
    "a@" + "b" * 64 + ".gov.uk",  # a domain label over 63 characters
    "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "uk",  # over 254 characters in all
    "jö@council.gov.uk",  # non-ASCII local part
    "a@bücher.example",  # IDN domain, Unicode form: refused (see domain/addresses.py)
    "a@xn--bcher-kva.example",  # the same IDN domain in its ASCII (punycode) form: refused too
    '"quoted"@council.gov.uk',
    "a@[192.0.2.1]",
    "a@localhost",
    "a@council",  # no dot in the domain
    "a@council.local",  # special-use domains
    "a@council.test",
    "a@council.gov.uk,b@council.gov.uk",
    "a@council.gov.uk\r\nBcc: x@evil.example",
    "a@council.gov.uk\x00",
    "a@-council.gov.uk",
    "@council.gov.uk",
    "a@",
    "a",
    "",
]


def directory_accepts(address: str) -> bool:
    try:
        Contacts(gss_code="E08000035", la_name="Leeds", advocacy_lead=address)
    except ValidationError:
        return False
    return True


def form_accepts(address: str) -> bool:
    fields = {
        "answer": "confirmed",
        "children_count": "1",
        "advocacy_before_contact": "yes",
        "responder_name": "Jo",
        "responder_role": "Lead",
        "responder_email": address,
    }
    form, errors = parse_answer_form(fields)
    assert set(errors) <= {"responder_email"}, errors  # nothing else is wrong with the form
    return form is not None


def mime_accepts(address: str) -> bool:
    args: dict[str, Any] = {
        "sender": "Help at Hand <no-reply@advocacy.example>",
        "reply_to": "help@advocacy.example",
        "case_id": "C1",
        "kind": EmailKind.INITIAL,
    }
    try:
        build_mime(RenderedEmail(subject="s", text="t", html="h"), to=[address], **args)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("address", ACCEPTED)
def test_all_three_accept(address: str) -> None:
    assert is_plain_address(address)
    assert directory_accepts(address)
    assert form_accepts(address)
    assert mime_accepts(address)


@pytest.mark.parametrize("address", REFUSED)
def test_all_three_refuse(address: str) -> None:
    assert not is_plain_address(address)
    assert not directory_accepts(address) or address == ""  # a blank directory cell means "no contact"
    assert not form_accepts(address)
    assert not mime_accepts(address)


def test_a_blank_directory_cell_is_no_contact_not_an_address() -> None:
    assert Contacts(gss_code="E08000035", la_name="Leeds", advocacy_lead="  ").advocacy_lead is None


def test_what_the_directory_and_form_store_the_mime_builder_sends() -> None:
    """The directory and the form trim the spaces around what a person typed, and lower-case the domain;
    the MIME builder, fed what they stored, sends it unchanged."""
    typed = "  Advocacy.Lead@Leeds.GOV.UK "
    stored = Contacts(gss_code="E08000035", la_name="Leeds", advocacy_lead=typed).advocacy_lead
    form, _ = parse_answer_form(
        {
            "answer": "no_children_placed",
            "responder_name": "Jo",
            "responder_role": "Lead",
            "responder_email": typed,
        }
    )
    assert form is not None
    assert stored == form.responder_email == "Advocacy.Lead@leeds.gov.uk"
    assert not mime_accepts(typed)  # the builder never trims: spaces there are a bug upstream
    assert mime_accepts(stored)


def test_the_error_says_why_without_a_traceback() -> None:
    with pytest.raises(InvalidAddress, match="period"):
        plain_address("a..b@council.gov.uk")
    with pytest.raises(InvalidAddress, match="254"):
        plain_address("a" * 300 + "@council.gov.uk")
    with pytest.raises(InvalidAddress):
        plain_address(None)
