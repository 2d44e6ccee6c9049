"""What an email to a placing authority says: its facts (`EmailContext`) and Help at Hand's contact details.

Pure data, no rendering: `render.emails` turns an `EmailContext` into a subject and bodies, and
`render.mime` wraps them in a message.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .models import CaseFacts, EmailKind
from .text import safe_url

__all__ = ["EmailContext", "HelpAtHand"]


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


class EmailContext(CaseFacts):
    """Everything one email says.

    `sent_on` is the date of this email. `first_sent_on`, when known, is the date of the
    first email about the case; reminders and escalations quote it. `working_days_waiting`
    counts working days since the first email. `reminder_number` is the number of this
    reminder (reminder emails) or of reminders already sent (escalation emails).
    """

    kind: EmailKind
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
