"""Email addresses: the one validator shared by the authority directory, the answer form and the MIME builder.

It is the `email-validator` library, syntax only (no DNS, no deliverability checks), with the
strictest options: one plain `local@domain` address, no display name ("Jo <jo@x.gov.uk>"), no
quoted local part, no IP-address domain, no comments, at most 64 characters before the @ and 254
in all, and no special-use domain (`localhost`, `.local`, `.test`, ...; the reserved `.example`
domain that local runs use is accepted).

Decision: ASCII only. A non-ASCII local part (`jö@x.gov.uk`) and an internationalised domain,
in Unicode (`a@bücher.example`) or in its `xn--` form, are refused. English councils' mail domains
are ASCII, SES needs ASCII anyway, and a look-alike (homograph) domain in the directory would send
a child's case to the wrong place.

`plain_address` returns the address as it should be stored and sent: the domain in lower case
(the local part is kept as typed).
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

__all__ = ["MAX_ADDRESS", "InvalidAddress", "is_plain_address", "plain_address"]

MAX_ADDRESS = 254  # RFC 5321 (a path of 256 octets, less the angle brackets)


class InvalidAddress(ValueError):
    """Not one plain email address. The message says why and may quote part of the address: keep it out of logs."""


def plain_address(value: object) -> str:
    """The normalised address, or InvalidAddress. Leading or trailing spaces are an error, not trimmed."""
    if not isinstance(value, str):
        raise InvalidAddress("an email address must be text")
    if len(value) > MAX_ADDRESS:
        raise InvalidAddress(f"an email address must be {MAX_ADDRESS} characters or fewer")
    if not value.isascii():
        raise InvalidAddress("an email address must be plain ASCII")
    try:
        checked = validate_email(
            value,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            allow_empty_local=False,
            strict=True,
            globally_deliverable=True,
            test_environment=False,
        )
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    if checked.ascii_domain != checked.domain:  # an xn-- (internationalised) domain
        raise InvalidAddress("an internationalised domain is not accepted")
    return checked.normalized


def is_plain_address(value: object) -> bool:
    try:
        plain_address(value)
    except InvalidAddress:
        return False
    return True
