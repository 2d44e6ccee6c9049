"""The MIME builder: rendered bodies in a multipart/alternative message whose headers cannot be injected into."""

from __future__ import annotations

import email.policy
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from ..domain.addresses import InvalidAddress, plain_address
from ..domain.models import EmailKind
from ..domain.text import is_unsafe_char
from .emails import RenderedEmail

__all__ = ["build_mime"]

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")  # the Message-ID's host name (not an address)
_DISPLAY_NAME_BAD = re.compile(r"[\"<>\\]")


def _check_header_value(name: str, value: str, *, max_len: int = 998) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    if "\r" in value or "\n" in value or any(is_unsafe_char(ch) for ch in value):
        raise ValueError(f"{name} must not contain line breaks or control characters")
    if len(value) > max_len:
        raise ValueError(f"{name} is too long")
    return value


def _plain_address(field: str, value: str) -> Address:
    """One bare address (name@example.org), checked by the shared validator, or ValueError."""
    _check_header_value(field, value, max_len=254)
    try:
        normalised = plain_address(value)
    except InvalidAddress:
        raise ValueError(f"{field} must be a single plain email address") from None
    address = Address(addr_spec=normalised)
    if address.addr_spec != normalised:
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
    stage: int | None = None,
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
    if stage is not None:  # which email of the case this is (staff reading a raw message; SES's events name it too)
        msg["X-Advocacy-Stage"] = str(int(stage))
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg.as_bytes(policy=email.policy.SMTP)
