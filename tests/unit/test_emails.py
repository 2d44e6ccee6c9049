"""Email content and MIME: rendering, subjects, escaping and header-injection safety."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date
from email.message import EmailMessage
from typing import Any

import pytest
from advocacy_notify.domain.emails import EmailContext, HelpAtHand
from advocacy_notify.domain.models import EmailKind
from advocacy_notify.render.emails import RenderedEmail, answer_link_text, render_email
from advocacy_notify.render.formats import long_date, short_date
from advocacy_notify.render.mime import build_mime

LINK = "https://respond.example/r/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg"
SENDER = "Help at Hand <no-reply@advocacy.example>"
REPLY_TO = "help.at.hand@childrenscommissioner.example"


def make_ctx(**overrides: Any) -> EmailContext:
    values: dict[str, Any] = {
        "kind": EmailKind.INITIAL,
        "case_id": "SC123456-E08000035-20261116",
        "la_name": "Leeds",
        "urn": "SC123456",
        "home_name": "Sunny House",
        "provision_type": "Children's home",
        "home_local_authority": "Wakefield",
        "rating_date": date(2026, 11, 16),
        "sent_on": date(2026, 11, 17),
        "deadline": date(2026, 12, 1),
        "link_url": LINK,
        "link_expires": date(2027, 1, 15),
    }
    values.update(overrides)
    return EmailContext(**values)


def mime_for(ctx: EmailContext, **kwargs: Any) -> EmailMessage:
    rendered = render_email(ctx)
    args: dict[str, Any] = {
        "sender": SENDER,
        "to": ["advocacy@leeds.example"],
        "cc": [],
        "reply_to": REPLY_TO,
        "case_id": ctx.case_id,
        "kind": ctx.kind,
    }
    args.update(kwargs)
    raw = build_mime(rendered, **args)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def parts(msg: EmailMessage) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    subparts = list(msg.iter_parts())
    assert [p.get_content_type() for p in subparts] == ["text/plain", "text/html"]
    for p in subparts:
        assert p.get_content_charset() == "utf-8"
    text = subparts[0].get_content()
    html = subparts[1].get_content()
    assert isinstance(text, str)
    assert isinstance(html, str)
    return text, html


# --------------------------------------------------------------------------- dates


def test_dates_in_gov_uk_style() -> None:
    assert long_date(date(2026, 12, 1)) == "Tuesday 1 December 2026"
    assert short_date(date(2027, 1, 5)) == "5 January 2027"


# --------------------------------------------------------------------------- the initial email


def test_initial_email_is_multipart_alternative_with_headers() -> None:
    ctx = make_ctx()
    msg = mime_for(ctx, cc=["dcs@leeds.example"])
    text, html = parts(msg)
    assert msg["From"].addresses[0].addr_spec == "no-reply@advocacy.example"
    assert msg["From"].addresses[0].display_name == "Help at Hand"
    assert [a.addr_spec for a in msg["To"].addresses] == ["advocacy@leeds.example"]
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["dcs@leeds.example"]
    assert msg["Reply-To"].addresses[0].addr_spec == REPLY_TO
    assert msg["X-Advocacy-Case-Id"] == "SC123456-E08000035-20261116"
    assert msg["X-Advocacy-Email-Kind"] == "initial"
    assert msg["Message-ID"].startswith("<")
    assert msg["Message-ID"].endswith("@advocacy-notify.local>")
    assert msg["Date"] is not None
    assert msg["Bcc"] is None
    assert msg["Subject"] == (
        "Action needed by 1 December 2026: confirm advocacy for children placed at SC123456 (Sunny House)"
    )
    assert text
    assert html


def test_no_cc_header_when_no_cc() -> None:
    msg = mime_for(make_ctx())
    assert msg["Cc"] is None


def test_link_expiry_and_help_at_hand_in_both_parts() -> None:
    ctx = make_ctx()
    assert len(ctx.link_url) < 120
    text, html = parts(mime_for(ctx))
    for body in (text, html):
        assert LINK in body
        assert "This link is unique to your council and expires on Friday 15 January 2027." in body
        assert "0800 528 0731" in body
        assert "help.at.hand@childrenscommissioner.gov.uk" in body
        assert "https://www.childrenscommissioner.gov.uk/help-at-hand/" in body
        assert "Replies go to the Help at Hand team" in body
    # the link is a plain <a href> whose text is the address
    assert f'<a href="{LINK}"' in html
    assert re.search(rf'<a href="{re.escape(LINK)}"[^>]*>{re.escape(LINK)}</a>', html)
    # the link sits on its own line in the text part
    assert LINK in text.splitlines()


def test_first_sentence_says_what_and_by_when() -> None:
    text = render_email(make_ctx()).text
    first = text.strip().split(". ")[0]
    assert first.startswith("Please confirm by Tuesday 1 December 2026")
    assert "independent advocate" in first


def test_initial_email_content() -> None:
    rendered = render_email(make_ctx())
    for body in (rendered.text, rendered.html):
        assert "SC123456" in body
        assert "Sunny House" in body
        assert "Wakefield" in body
        assert "Monday 16 November 2026" in body  # the provisional rating
        assert "non-instructed advocacy" in body.lower()
        assert "they can contact Help at Hand" in body
        assert "advocacy provider your council commissions" in body
        assert "views and wishes" in body
        assert "Tuesday 1 December 2026" in body


def test_html_is_accessible_and_self_contained() -> None:
    html = render_email(make_ctx()).html
    assert '<html lang="en-GB">' in html
    assert re.search(r"<title>[^<]+</title>", html)
    assert "<h1" in html
    assert "<h2" in html
    assert "<ul" in html
    assert "<img" not in html.lower()
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "<style" not in html.lower()
    assert "url(" not in html.lower()
    # only the answer link and Help at Hand's own addresses are linked
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert set(hrefs) == {
        LINK,
        "tel:08005280731",
        "mailto:help.at.hand@childrenscommissioner.gov.uk",
        "https://www.childrenscommissioner.gov.uk/help-at-hand/",
    }


def test_custom_help_at_hand_details() -> None:
    help_at_hand = HelpAtHand(phone="0800 000 0000", email="hah@cc.example", website="https://cc.example/hah")
    text, html = parts(mime_for(make_ctx(help_at_hand=help_at_hand)))
    for body in (text, html):
        assert "0800 000 0000" in body
        assert "hah@cc.example" in body
        assert "https://cc.example/hah" in body


# --------------------------------------------------------------------------- subjects


@pytest.mark.parametrize("name", [None, "REDACTED", "  redacted ", ""])
def test_subject_uses_urn_only_when_name_withheld(name: str | None) -> None:
    rendered = render_email(make_ctx(home_name=name))
    assert rendered.subject.endswith("placed at SC123456")
    assert "REDACTED" not in rendered.subject.upper()
    assert "REDACTED" not in rendered.text.upper()
    assert "the home with Ofsted URN SC123456" in rendered.text


def test_hostile_home_name_cannot_inject_headers() -> None:
    hostile = "Evil\r\nBcc: victim@evil.example\r\n\r\n<b>body</b>\x00\x1b\u2028X-Injected: yes"
    ctx = make_ctx(home_name=hostile)
    rendered = render_email(ctx)
    assert "\r" not in rendered.subject
    assert "\n" not in rendered.subject
    assert "\x00" not in rendered.subject
    assert "\u2028" not in rendered.subject
    msg = mime_for(ctx)
    assert msg["Bcc"] is None
    assert msg["X-Injected"] is None
    assert "\n" not in str(msg["Subject"])
    assert msg["Subject"].startswith("Action needed by 1 December 2026")
    keys = [k.lower() for k in msg]
    assert "bcc" not in keys
    assert "x-injected" not in keys


def test_long_home_name_keeps_subject_short() -> None:
    rendered = render_email(make_ctx(home_name="Very Long Name " * 40))
    assert len(rendered.subject) <= 150
    assert "SC123456" in rendered.subject
    assert rendered.subject.endswith("…)")


def test_script_in_home_name_is_escaped_in_html() -> None:
    ctx = make_ctx(home_name="<script>alert(1)</script>", la_name='Leeds "&" <b>')
    rendered = render_email(ctx)
    assert "<script" not in rendered.html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "<b>" not in rendered.html
    assert "&#34;&amp;&#34; &lt;b&gt;" in rendered.html
    # the plain-text part shows the name as text
    assert "<script>alert(1)</script>" in rendered.text
    # the subject is a header, not HTML: the text is kept, but nothing breaks out
    assert "(<script>alert(1)</script>)" in rendered.subject
    msg = mime_for(ctx)
    _, html = parts(msg)
    assert "<script" not in html.lower()


def test_unknown_home_local_authority_is_left_out() -> None:
    rendered = render_email(make_ctx(home_local_authority=None))
    assert "Local authority area" not in rendered.text
    assert "Local authority area" not in rendered.html


# --------------------------------------------------------------------------- reminder and escalation


def test_reminder_mentions_number_and_working_days() -> None:
    ctx = make_ctx(
        kind=EmailKind.REMINDER,
        reminder_number=2,
        working_days_waiting=10,
        first_sent_on=date(2026, 11, 17),
        sent_on=date(2026, 12, 1),
        deadline=date(2026, 12, 8),
    )
    msg = mime_for(ctx)
    text, html = parts(msg)
    assert msg["X-Advocacy-Email-Kind"] == "reminder"
    assert msg["Subject"].startswith("Reminder 2: confirm advocacy by 8 December 2026")
    for body in (text, html):
        assert "This is reminder 2." in body
        assert "We first wrote to you on Tuesday 17 November 2026, 10 working days ago" in body
        assert LINK in body
        assert "expires on Friday 15 January 2027" in body
        assert "0800 528 0731" in body


def test_reminder_without_first_date_still_says_how_long() -> None:
    ctx = make_ctx(kind=EmailKind.REMINDER, reminder_number=1, working_days_waiting=1)
    text = render_email(ctx).text
    assert "We first wrote to you 1 working day ago" in text


def test_escalation_mentions_reminders_and_final_deadline() -> None:
    ctx = make_ctx(
        kind=EmailKind.ESCALATION,
        reminder_number=2,
        working_days_waiting=15,
        first_sent_on=date(2026, 11, 17),
        final_deadline=date(2027, 1, 12),
    )
    msg = mime_for(ctx, to=["dcs@leeds.example"], cc=["help.at.hand@cc.example"])
    text, html = parts(msg)
    assert msg["X-Advocacy-Email-Kind"] == "escalation"
    assert "No answer from Leeds" in msg["Subject"]
    assert "12 January 2027" in msg["Subject"]
    for body in (text, html):
        assert "Leeds has not answered us after 2 reminders and 15 working days" in body
        assert "Tuesday 12 January 2027" in body
        assert "senior contact" in body
        assert LINK in body
        assert "expires on Friday 15 January 2027" in body
        assert "independent advocate" in body


def test_escalation_after_one_reminder_is_singular() -> None:
    ctx = make_ctx(kind=EmailKind.ESCALATION, reminder_number=1, working_days_waiting=5)
    assert "after 1 reminder and 5 working days" in render_email(ctx).text


@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_kind_renders_without_trailing_spaces(kind: EmailKind) -> None:
    rendered = render_email(make_ctx(kind=kind, reminder_number=1, final_deadline=date(2027, 1, 12)))
    assert all(line == line.rstrip() for line in rendered.text.splitlines())
    assert "\n\n\n" not in rendered.text
    assert len(rendered.subject) <= 150


# --------------------------------------------------------------------------- link validation


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:text/html,x", "//evil.example/x", "https://a.example/x y", "/relative"],
)
def test_bad_links_are_rejected(url: str) -> None:
    with pytest.raises(ValueError):
        make_ctx(link_url=url)


# --------------------------------------------------------------------------- build_mime safety

RENDERED = RenderedEmail(subject="Hello", text="Hi\n", html="<p>Hi</p>")


def _build(**kwargs: Any) -> bytes:
    args: dict[str, Any] = {
        "sender": SENDER,
        "to": ["a@b.example"],
        "reply_to": REPLY_TO,
        "case_id": "C1",
        "kind": EmailKind.INITIAL,
    }
    args.update(kwargs)
    return build_mime(RENDERED, **args)


@pytest.mark.parametrize(
    "bad",
    [
        "a@b.example\r\nBcc: x@y.example",
        "a@b.example\nBcc: x@y.example",
        "a@b.example, x@y.example",
        "Someone <a@b.example>",
        "a@b.example (comment)",
        '"quoted"@b.example',
        "group: a@b.example;",
        "not-an-address",
        "a@localhost",
        "a@b.example\x00",
        "",
    ],
)
def test_build_mime_rejects_bad_recipients(bad: str) -> None:
    with pytest.raises(ValueError):
        _build(to=[bad])
    with pytest.raises(ValueError):
        _build(to=["ok@b.example"], cc=[bad])
    with pytest.raises(ValueError):
        _build(reply_to=bad)


def test_build_mime_rejects_injected_header_values() -> None:
    with pytest.raises(ValueError):
        build_mime(
            RenderedEmail(subject="Hi\r\nBcc: x@y.example", text="t", html="h"),
            sender=SENDER,
            to=["a@b.example"],
            reply_to=REPLY_TO,
            case_id="C1",
            kind=EmailKind.INITIAL,
        )
    with pytest.raises(ValueError):
        _build(case_id="C1\r\nBcc: x@y.example")
    with pytest.raises(ValueError):
        _build(sender="Evil\r\nBcc: x@y.example <a@b.example>")
    with pytest.raises(ValueError):
        _build(sender='Evil" <x@y.example>, "x <a@b.example>')
    with pytest.raises(ValueError):
        _build(message_id_domain="evil.example>\r\nBcc: x@y.example")
    with pytest.raises(ValueError):
        _build(to="a@b.example")  # a string, not a list
    with pytest.raises(ValueError):
        _build(to=[])


def test_build_mime_uses_crlf_and_plain_sender() -> None:
    raw = _build(sender="no-reply@advocacy.example", message_id_domain="mail.example")
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["From"] == "no-reply@advocacy.example"
    assert msg["Message-ID"].endswith("@mail.example>")
    assert msg["Auto-Submitted"] == "auto-generated"


def test_non_ascii_content_survives() -> None:
    ctx = make_ctx(home_name="Tŷ Gwyn – Café", la_name="Bristol, City of")
    msg = mime_for(ctx)
    text, html = parts(msg)
    assert "Tŷ Gwyn – Café" in msg["Subject"]
    assert "Tŷ Gwyn – Café" in text
    assert "Tŷ Gwyn – Café" in html
    assert "Bristol, City of" in text


# --------------------------------------------------------------------------- the answer link's words


@pytest.mark.parametrize("kind", list(EmailKind))
@pytest.mark.parametrize(
    ("home_name", "text"),
    [("Maple View", "Answer for Maple View (SC900101)"), ("REDACTED", "Answer for the home SC900101")],
)
def test_the_answer_link_says_where_it_goes(kind: EmailKind, home_name: str, text: str) -> None:
    ctx = make_ctx(kind=kind, urn="SC900101", home_name=home_name, reminder_number=1)
    rendered = render_email(ctx)
    link = re.escape(ctx.link_url)
    assert re.search(rf'<a href="{link}"[^>]*>{re.escape(text)}</a>', rendered.html)
    assert re.search(rf'copy this address into your web browser:<br><a href="{link}"[^>]*>{link}</a>', rendered.html)
    lines = rendered.text.splitlines()
    assert lines[lines.index(f"{text}:") + 1] == ctx.link_url  # the words, then the bare address to copy


def test_answer_link_text() -> None:
    assert answer_link_text("SC900101", "Maple View") == "Answer for Maple View (SC900101)"
    assert answer_link_text("SC900101", None) == "Answer for the home SC900101"
