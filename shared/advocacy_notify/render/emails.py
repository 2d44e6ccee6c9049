"""Email bodies: an `EmailContext` rendered to a subject, a plain-text part and an HTML part (Jinja2).

Pure Python: no boto3, no network. `render.mime.build_mime` wraps the result in a message.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ..domain.emails import EmailContext
from ..domain.models import EmailKind
from ..domain.text import clean_inline, display_home_name, safe_url
from .environment import template_environment
from .formats import short_date

__all__ = ["SUBJECT_MAX", "RenderedEmail", "answer_link_text", "render_email"]

SUBJECT_MAX = 150


class RenderedEmail(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    text: str
    html: str


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
    "answer_link": "color:#1d70b8;text-decoration:underline;font-weight:bold;overflow-wrap:anywhere;",
    "small": "margin:24px 0 0 0;padding-top:12px;border-top:1px solid #b1b4b6;font-size:14px;"
    "line-height:1.4;color:#505a5f;" + _FONT,
}


def answer_link_text(urn: str, home_name: str | None) -> str:
    """The answer link's words: 'Answer for Maple View (SC900101)', or 'Answer for the home SC900101'
    when Ofsted withheld the name."""
    return f"Answer for {home_name} ({urn})" if home_name else f"Answer for the home {urn}"


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
        "link_text": answer_link_text(urn, home_name),
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
