"""Email content for placing authorities: rendering (Jinja2) and building the MIME message.

Pure Python: no boto3, no network. `render_email` turns an `EmailContext` into a subject,
a plain-text body and an HTML body; `build_mime` wraps them in a multipart/alternative
message whose headers cannot be injected into.

The Jinja2 environment built here (`template_environment`) is shared with `pages`: HTML
templates are always autoescaped, plain-text templates never are, and an undefined
variable is an error rather than an empty string.
"""

from __future__ import annotations

import email.policy
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .models import EmailKind

__all__ = [
    "EmailContext",
    "HelpAtHand",
    "RenderedEmail",
    "build_mime",
    "clean_inline",
    "count_noun",
    "display_home_name",
    "long_date",
    "render_email",
    "safe_url",
    "short_date",
    "template_environment",
]

SUBJECT_MAX = 150


class HelpAtHand(BaseModel):
    """How to reach the Help at Hand team (shown in every email and on every page)."""

    model_config = ConfigDict(frozen=True)

    phone: str = "0800 528 0731"
    email: str = "help.at.hand@childrenscommissioner.gov.uk"
    website: str = "https://www.childrenscommissioner.gov.uk/help-at-hand/"

    @property
    def phone_href(self) -> str:
        """`tel:` link target: digits and a leading + only."""
        digits = re.sub(r"[^0-9+]", "", self.phone)
        return f"tel:{digits}"


class EmailContext(BaseModel):
    """Everything one email says.

    `sent_on` is the date of this email. `first_sent_on`, when known, is the date of the
    first email about the case; reminders and escalations quote it. `working_days_waiting`
    counts working days since the first email. `reminder_number` is the number of this
    reminder (reminder emails) or of reminders already sent (escalation emails).
    """

    model_config = ConfigDict(frozen=True)

    kind: EmailKind
    case_id: str
    la_name: str
    urn: str
    home_name: str | None
    provision_type: str
    home_local_authority: str | None
    rating_date: date
    sent_on: date
    deadline: date
    link_url: str
    link_expires: date
    working_days_waiting: int = Field(default=0, ge=0)
    reminder_number: int = Field(default=0, ge=0)
    final_deadline: date | None = None
    first_sent_on: date | None = None
    help_at_hand: HelpAtHand = Field(default_factory=HelpAtHand)

    @field_validator("link_url")
    @classmethod
    def _link_is_web_address(cls, value: str) -> str:
        return safe_url(value, allow_relative=False)


class RenderedEmail(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    text: str
    html: str


# --------------------------------------------------------------------------- text helpers

# Characters that could break a header or a line, or reorder text on screen
# (bidirectional overrides: "Trojan Source" style spoofing).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _is_unsafe_char(ch: str) -> bool:
    return ch in _BIDI_CONTROLS or ch in _LINE_BREAKS or unicodedata.category(ch) in ("Cc", "Cs")


def clean_inline(value: str | None, *, max_len: int | None = None) -> str:
    """One line of display text: control, line-break and bidi characters become spaces,
    runs of whitespace collapse to one space, and the result is trimmed (with "…" when
    longer than `max_len`)."""
    if not value:
        return ""
    text = "".join(" " if _is_unsafe_char(ch) else ch for ch in value)
    text = " ".join(text.split())
    if max_len is not None and len(text) > max_len:
        text = text[: max(max_len - 1, 0)].rstrip() + "…"
    return text


_REDACTED = frozenset({"", "redacted", "[redacted]", "(redacted)", "withheld", "n/a", "none", "null"})


def display_home_name(name: str | None, *, max_len: int = 200) -> str | None:
    """The home's name for display, or None when Ofsted withheld it (None, blank, REDACTED)."""
    cleaned = clean_inline(name, max_len=max_len)
    if cleaned.strip(" .*-").lower() in _REDACTED:
        return None
    return cleaned


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def short_date(d: date) -> str:
    """GOV.UK style: 1 December 2026 (no leading zero, locale independent)."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def long_date(d: date) -> str:
    """GOV.UK style with the weekday: Tuesday 1 December 2026."""
    return f"{_WEEKDAYS[d.weekday()]} {short_date(d)}"


def count_noun(n: int, singular: str, plural: str | None = None) -> str:
    """'1 reminder', '2 reminders'."""
    word = singular if n == 1 else (plural if plural is not None else singular + "s")
    return f"{n} {word}"


_URL_SCHEME = re.compile(r"^https?://[^/\s?#@]+", re.IGNORECASE)


def safe_url(value: str, *, allow_relative: bool = True) -> str:
    """Accept only http(s) addresses (or, when allowed, a path on this site) with no
    whitespace or control characters; anything else (javascript:, data:, //host) raises."""
    if any(ch.isspace() or _is_unsafe_char(ch) for ch in value) or len(value) > 2048:
        raise ValueError("link must be a single web address with no spaces or control characters")
    if allow_relative and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    if not _URL_SCHEME.match(value):
        raise ValueError("link must start with https:// or http://")
    return value


# --------------------------------------------------------------------------- Jinja2

_ENV: Environment | None = None


def template_environment() -> Environment:
    """The shared Jinja2 environment (built once): autoescape on for HTML templates and
    strings, off for `.txt.j2`; StrictUndefined; templates from advocacy_notify/templates."""
    global _ENV
    if _ENV is None:
        env = Environment(
            loader=PackageLoader("advocacy_notify", "templates"),
            autoescape=select_autoescape(
                enabled_extensions=("html", "htm", "xml", "html.j2"),
                disabled_extensions=("txt", "txt.j2"),
                default_for_string=True,
                default=True,
            ),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["long_date"] = long_date
        env.filters["short_date"] = short_date
        env.filters["clean"] = clean_inline
        env.filters["underline"] = _underline
        env.globals["count_noun"] = count_noun
        _ENV = env
    return _ENV


def _underline(text: str, char: str = "-") -> str:
    """A plain-text heading: the text, then a line of `char` as long as it."""
    return f"{text}\n{char * len(text)}"


# --------------------------------------------------------------------------- rendering

# Inline styles for the HTML email (no stylesheet: many mail clients drop <style>).
# The markup is semantic, so the email still reads well with styles off.
_FONT = "font-family:Arial,Helvetica,sans-serif;"
_EMAIL_STYLES: dict[str, str] = {
    "body": "margin:0;padding:0;background-color:#ffffff;color:#0b0c0c;" + _FONT,
    "wrap": "max-width:640px;margin:0 auto;padding:0 16px 24px 16px;",
    "brand": "margin:0 0 24px 0;padding:12px 16px;background-color:#0b0c0c;color:#ffffff;"
    "font-size:16px;font-weight:bold;line-height:1.3;" + _FONT,
    "h1": "margin:0 0 20px 0;font-size:28px;line-height:1.2;font-weight:bold;color:#0b0c0c;" + _FONT,
    "h2": "margin:32px 0 12px 0;font-size:22px;line-height:1.25;font-weight:bold;color:#0b0c0c;" + _FONT,
    "p": "margin:0 0 16px 0;font-size:17px;line-height:1.5;color:#0b0c0c;" + _FONT,
    "lead": "margin:0 0 16px 0;font-size:19px;line-height:1.45;font-weight:bold;color:#0b0c0c;" + _FONT,
    "ul": "margin:0 0 16px 0;padding:0 0 0 24px;font-size:17px;line-height:1.5;color:#0b0c0c;" + _FONT,
    "li": "margin:0 0 6px 0;",
    "p_inset": "margin:0;font-size:17px;line-height:1.5;color:#0b0c0c;" + _FONT,
    "inset": "margin:0 0 20px 0;padding:12px 16px;border-left:6px solid #1d70b8;background-color:#f3f2f1;",
    "link": "color:#1d70b8;text-decoration:underline;word-break:break-all;",
    "small": "margin:24px 0 0 0;padding-top:12px;border-top:1px solid #b1b4b6;font-size:14px;"
    "line-height:1.4;color:#505a5f;" + _FONT,
}


def _subject(ctx: EmailContext, la_name: str, home_name: str | None) -> str:
    urn = clean_inline(ctx.urn, max_len=20)
    if ctx.kind is EmailKind.INITIAL:
        head = f"Action needed by {short_date(ctx.deadline)}: confirm advocacy for children placed at "
    elif ctx.kind is EmailKind.REMINDER:
        head = f"Reminder {ctx.reminder_number}: confirm advocacy by {short_date(ctx.deadline)} for children placed at "
    else:
        answer_by = ctx.final_deadline or ctx.deadline
        head = (
            f"No answer from {clean_inline(la_name, max_len=60)}: confirm advocacy by "
            f"{short_date(answer_by)} for children placed at "
        )
    subject = head + urn
    if home_name:
        room = SUBJECT_MAX - len(subject) - len(" ()")
        if room >= 8:
            subject += f" ({clean_inline(home_name, max_len=room)})"
    return clean_inline(subject, max_len=SUBJECT_MAX)


def render_email(ctx: EmailContext) -> RenderedEmail:
    """Render the subject, plain-text and HTML bodies for one email."""
    env = template_environment()
    la_name = clean_inline(ctx.la_name, max_len=120)
    home_name = display_home_name(ctx.home_name)
    urn = clean_inline(ctx.urn, max_len=20)
    home_label = f"{home_name} ({urn})" if home_name else f"the home with Ofsted URN {urn}"
    help_at_hand = ctx.help_at_hand
    answer_by = ctx.final_deadline or ctx.deadline if ctx.kind is EmailKind.ESCALATION else ctx.deadline
    values = {
        "kind": ctx.kind.value,
        "case_id": clean_inline(ctx.case_id, max_len=200),
        "la_name": la_name,
        "urn": urn,
        "home_name": home_name,
        "home_label": home_label,
        "provision_type": clean_inline(ctx.provision_type, max_len=120),
        "home_local_authority": clean_inline(ctx.home_local_authority, max_len=120) or None,
        "rating_date": ctx.rating_date,
        "sent_on": ctx.sent_on,
        "deadline": ctx.deadline,
        "answer_by": answer_by,
        "link_url": ctx.link_url,
        "link_expires": ctx.link_expires,
        "working_days_waiting": ctx.working_days_waiting,
        "reminder_number": ctx.reminder_number,
        "final_deadline": ctx.final_deadline,
        "first_sent_on": ctx.first_sent_on,
        "help": {
            "phone": clean_inline(help_at_hand.phone),
            "phone_href": help_at_hand.phone_href,
            "email": clean_inline(help_at_hand.email),
            "website": safe_url(help_at_hand.website, allow_relative=False),
        },
    }
    subject = _subject(ctx, la_name, home_name)
    values["subject"] = subject
    text = env.get_template(f"email_{ctx.kind.value}.txt.j2").render(values)
    html = env.get_template(f"email_{ctx.kind.value}.html.j2").render(values, s=_EMAIL_STYLES)
    return RenderedEmail(subject=subject, text=_tidy_text(text), html=html)


def _tidy_text(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line == "" and (not out or out[-1] == ""):
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- MIME

# A plain addr-spec: dot-atom local part @ a dotted hostname (ASCII only, no comments,
# no quoted strings, no display names, no groups).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDR_SPEC_RE = re.compile(rf"^{_ATEXT}+(?:\.{_ATEXT}+)*@{_LABEL}(?:\.{_LABEL})+$")
_DOMAIN_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_DISPLAY_NAME_BAD = re.compile(r"[\"<>\\]")


def _check_header_value(name: str, value: str, *, max_len: int = 998) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    if "\r" in value or "\n" in value or any(_is_unsafe_char(ch) for ch in value):
        raise ValueError(f"{name} must not contain line breaks or control characters")
    if len(value) > max_len:
        raise ValueError(f"{name} is too long")
    return value


def _plain_address(field: str, value: str) -> Address:
    """One bare address (name@example.org) or ValueError."""
    _check_header_value(field, value, max_len=254)
    if not ADDR_SPEC_RE.match(value) or len(value) > 254 or len(value.split("@", 1)[0]) > 64:
        raise ValueError(f"{field} must be a single plain email address")
    address = Address(addr_spec=value)
    if address.addr_spec != value:
        raise ValueError(f"{field} must be a single plain email address")
    return address


def _mailbox(field: str, value: str) -> Address:
    """A bare address or 'Display Name <name@example.org>' (for From)."""
    _check_header_value(field, value, max_len=320)
    match = re.fullmatch(r"\s*([^<>]*?)\s*<([^<>]+)>\s*", value)
    if match is None:
        return _plain_address(field, value.strip())
    display_name, addr = match.group(1), match.group(2)
    if _DISPLAY_NAME_BAD.search(display_name) or len(display_name) > 78:
        raise ValueError(f"{field} display name is not allowed")
    plain = _plain_address(field, addr)
    return Address(display_name=display_name, username=plain.username, domain=plain.domain)


def build_mime(
    rendered: RenderedEmail,
    *,
    sender: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    reply_to: str,
    case_id: str,
    kind: EmailKind,
    message_id_domain: str = "advocacy-notify.local",
    date_sent: datetime | None = None,
) -> bytes:
    """A multipart/alternative message (text/plain, then text/html, both UTF-8) as bytes
    with CRLF line endings, ready for SES SendRawEmail / sesv2 Raw content.

    Raises ValueError for any header value with CR, LF or other control characters, or
    any recipient that is not one plain address (header injection is impossible).
    """
    if isinstance(to, str) or isinstance(cc, str):
        raise ValueError("to and cc must be lists of addresses")
    if not to:
        raise ValueError("at least one To address is needed")
    if len(to) + len(cc) > 50:
        raise ValueError("too many recipients")
    from_addr = _mailbox("From", sender)
    to_addrs = [_plain_address("To", a) for a in to]
    cc_addrs = [_plain_address("Cc", a) for a in cc]
    reply_addr = _plain_address("Reply-To", reply_to)
    subject = _check_header_value("Subject", rendered.subject)
    case_header = _check_header_value("X-Advocacy-Case-Id", case_id, max_len=200)
    kind_header = _check_header_value("X-Advocacy-Email-Kind", EmailKind(kind).value)
    if not _DOMAIN_RE.match(message_id_domain) or len(message_id_domain) > 253:
        raise ValueError("message_id_domain must be a plain host name")
    when = date_sent or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)

    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = from_addr
    msg["To"] = to_addrs
    if cc_addrs:
        msg["Cc"] = cc_addrs
    msg["Reply-To"] = reply_addr
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=message_id_domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Advocacy-Case-Id"] = case_header
    msg["X-Advocacy-Email-Kind"] = kind_header
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg.as_bytes(policy=email.policy.SMTP)
